package org.jcasync.ssh;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * A real OpenSSH server on 127.0.0.1 (an ephemeral port) for tests, with its own host key, one client key that may
 * log in as the current user, SFTP, and a client wrapper script ({@link #sshWrapper()}) to use as
 * {@code CASYNC_SSH_PATH}. Skips the test when sshd cannot run here; with CI=true that fails instead.
 */
public final class LoopbackSshd implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final Path wrapper;
    private final int port;

    private LoopbackSshd(Process process, Path dir, Path wrapper, int port) {
        this.process = process;
        this.dir = dir;
        this.wrapper = wrapper;
        this.port = port;
    }

    /** Starts sshd with its files in {@code dir}. */
    public static LoopbackSshd start(Path dir) throws IOException, InterruptedException {
        require(Files.isExecutable(Path.of("/usr/sbin/sshd")) && Files.isExecutable(Path.of("/usr/bin/ssh"))
                && Files.isExecutable(Path.of("/usr/bin/ssh-keygen")),
                "OpenSSH is not installed (apt-get install openssh-server openssh-client)");
        Path hostKey = dir.resolve("host_ed25519");
        Path clientKey = dir.resolve("client_ed25519");
        keygen(hostKey);
        keygen(clientKey);
        Files.copy(dir.resolve("client_ed25519.pub"), dir.resolve("authorized_keys"));
        Path privsep = Path.of("/run/sshd");
        if (!Files.isDirectory(privsep)) {
            try {
                Files.createDirectories(privsep);
            } catch (IOException e) {
                // Not root: sshd may still run without privilege separation's directory on some builds.
            }
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "ListenAddress 127.0.0.1",
                "Port " + port,
                "HostKey " + hostKey,
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "StrictModes no",
                "PermitRootLogin yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PidFile " + dir.resolve("sshd.pid"),
                "UsePAM no",
                "Subsystem sftp internal-sftp",
                "MaxStartups 50",
                "MaxSessions 50",
                ""));
        Path log = dir.resolve("sshd.log");
        Process p = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path wrapper = dir.resolve("ssh-wrapper");
        Files.writeString(wrapper, "#!/bin/sh\nexec ssh -F /dev/null -i " + clientKey + " -p " + port
                + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
                + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        LoopbackSshd d = new LoopbackSshd(p, dir, wrapper, port);
        // Bounded wait until a login works.
        for (int i = 0; i < 50; i++) {
            if (!p.isAlive()) {
                d.close();
                require(false, "sshd did not start: " + Files.readString(log, StandardCharsets.UTF_8).strip());
            }
            Process probe = new ProcessBuilder(wrapper.toString(), "127.0.0.1", "true")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("probe.log").toFile()).start();
            if (probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                return d;
            }
            probe.destroyForcibly();
            Thread.sleep(100);
        }
        d.close();
        require(false, "cannot log in to the test sshd: "
                + Files.readString(dir.resolve("probe.log"), StandardCharsets.UTF_8).strip());
        return d;
    }

    private static void keygen(Path key) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("ssh-keygen failed for " + key);
        }
    }

    private static void require(boolean ok, String why) {
        if (!ok && "true".equals(System.getenv("CI"))) {
            fail(why);
        }
        Assumptions.assumeTrue(ok, why);
    }

    /** The client wrapper script: ssh with the test's key and port, no host key checks (for CASYNC_SSH_PATH). */
    public Path sshWrapper() {
        return wrapper;
    }

    /** The port sshd listens on. */
    public int port() {
        return port;
    }

    /** The server's directory (keys, config, log). */
    public Path dir() {
        return dir;
    }

    /** The environment a client needs: CASYNC_SSH_PATH set to the wrapper. */
    public java.util.Map<String, String> clientEnvironment() {
        return java.util.Map.of("CASYNC_SSH_PATH", wrapper.toString());
    }

    /** A command builder whose ssh is the wrapper; {@code remote} is CASYNC_REMOTE_PATH (null for casync). */
    public SshCommand commands(String remote) {
        java.util.Map<String, String> env = new java.util.HashMap<>(clientEnvironment());
        if (remote != null) {
            env.put("CASYNC_REMOTE_PATH", remote);
        }
        return new SshCommand(env);
    }

    /** Stops sshd. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

}
