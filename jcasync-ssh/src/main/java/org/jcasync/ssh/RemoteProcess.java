package org.jcasync.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An ssh process whose standard input and output carry a protocol; its standard error is kept (the last few KiB)
 * so failures can name what ssh or the remote program said.
 */
final class RemoteProcess implements AutoCloseable {
    private static final int STDERR_KEEP = 4096;

    private final Process process;
    private final String commandLine;
    private final StringBuilder stderr = new StringBuilder();
    private final Thread stderrReader;

    private RemoteProcess(Process process, String commandLine) {
        this.process = process;
        this.commandLine = commandLine;
        this.stderrReader = Thread.ofVirtual().start(this::drainStderr);
    }

    /** Starts {@code command}. */
    static RemoteProcess start(List<String> command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.PIPE).redirectError(ProcessBuilder.Redirect.PIPE).start();
            return new RemoteProcess(p, String.join(" ", command));
        } catch (IOException e) {
            throw new IOException("cannot run " + command.getFirst() + ": " + e.getMessage()
                    + " (set CASYNC_SSH_PATH to the ssh program)", e);
        }
    }

    private void drainStderr() {
        byte[] buf = new byte[4096];
        try (InputStream err = process.getErrorStream()) {
            int n;
            while ((n = err.read(buf)) > 0) {
                synchronized (stderr) {
                    stderr.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    if (stderr.length() > STDERR_KEEP) {
                        stderr.delete(0, stderr.length() - STDERR_KEEP);
                    }
                }
            }
        } catch (IOException ignored) {
            // The process is gone: what was read is kept.
        }
    }

    InputStream in() {
        return process.getInputStream();
    }

    OutputStream out() {
        return process.getOutputStream();
    }

    /**
     * Why the process failed, from what it printed last: waits briefly for it to end so its last words are in.
     */
    String failure() {
        try {
            process.waitFor(2, TimeUnit.SECONDS);
            stderrReader.join(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String text;
        synchronized (stderr) {
            text = stderr.toString();
        }
        String last = "";
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                last = line.strip();
            }
        }
        String exit = process.isAlive() ? "" : " (exit status " + process.exitValue() + ")";
        return last.isEmpty() ? "the connection closed" + exit : last + exit;
    }

    /** The command line, for messages. */
    String commandLine() {
        return commandLine;
    }

    /** Kills the process at once (its output then ends). */
    void kill() {
        process.destroyForcibly();
    }

    /** Closes its input and waits a moment for it to end, then kills it. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // Already gone.
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
