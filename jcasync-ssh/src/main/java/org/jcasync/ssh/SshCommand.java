package org.jcasync.ssh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Builds the ssh command lines, as casync does: {@code $CASYNC_SSH_PATH} (default {@code ssh}) then the host, then
 * {@code $CASYNC_REMOTE_PATH} (default {@code casync}) with the verb and its arguments. A port from the URL becomes
 * {@code -p PORT}. When the program is plain {@code ssh} (OpenSSH), {@code --} goes before the host; a program set
 * with {@code $CASYNC_SSH_PATH} gets exactly casync's arguments. Host names starting with '-' are refused when the
 * location is parsed. The remote arguments are quoted for the remote shell where they need it.
 */
public final class SshCommand {
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

    private final Map<String, String> env;

    /** Commands with settings from {@code env} (normally {@link System#getenv()}). */
    public SshCommand(Map<String, String> env) {
        this.env = env;
    }

    /** Commands with settings from the process environment. */
    public static SshCommand fromEnvironment() {
        return new SshCommand(System.getenv());
    }

    private String ssh() {
        String s = env.get("CASYNC_SSH_PATH");
        return s == null || s.isEmpty() ? "ssh" : s;
    }

    private String remoteCasync() {
        String s = env.get("CASYNC_REMOTE_PATH");
        return s == null || s.isEmpty() ? "casync" : s;
    }

    private List<String> base(SshTarget t, boolean subsystem) {
        List<String> cmd = new ArrayList<>();
        String ssh = ssh();
        cmd.add(ssh);
        if (t.port() > 0) {
            cmd.add("-p");
            cmd.add(Integer.toString(t.port()));
        }
        if (subsystem) {
            cmd.add("-s");
        }
        if (ssh.equals("ssh")) {
            cmd.add("--");
        }
        cmd.add(t.destination());
        return cmd;
    }

    /**
     * {@code ssh HOST casync [--rate-limit-bps=N] VERB BASE ARCHIVE INDEX WSTORE [RSTORE...]}, "-" for absent
     * arguments (null here).
     */
    public List<String> casync(SshTarget t, long rateLimitBps, String verb, String archive, String index,
                               String wstore, List<String> rstores) {
        List<String> cmd = base(t, false);
        cmd.add(remoteCasync());
        if (rateLimitBps > 0) {
            cmd.add("--rate-limit-bps=" + rateLimitBps);
        }
        cmd.add(verb);
        cmd.add("-");
        cmd.add(quote(archive));
        cmd.add(quote(index));
        cmd.add(quote(wstore));
        for (String r : rstores) {
            cmd.add(quote(r));
        }
        return cmd;
    }

    /** {@code ssh -s HOST sftp}: the SFTP subsystem. */
    public List<String> sftp(SshTarget t) {
        List<String> cmd = base(t, true);
        cmd.add("sftp");
        return cmd;
    }

    /** {@code s} as one word for the remote shell ("-" for null). */
    static String quote(String s) {
        if (s == null) {
            return "-";
        }
        if (SHELL_SAFE.matcher(s).matches()) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
