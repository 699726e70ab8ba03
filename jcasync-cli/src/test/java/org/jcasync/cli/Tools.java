package org.jcasync.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/** Runs the packaged jcasync jar and the real casync binary as separate processes, as a user would. */
public final class Tools {
    private Tools() {
    }

    /** What a process did. */
    public record Result(int exit, String out, String err) {
        /** Fails the test unless the exit status was 0. */
        public Result ok() {
            if (exit != 0) {
                fail("exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    /** Runs {@code jcasync ARGS} in {@code dir}. */
    public static Result jcasync(Path dir, String... args) throws IOException, InterruptedException {
        return run(dir, jcasyncCommand(args));
    }

    /** Runs {@code jcasync ARGS} in {@code dir} with {@code env} added to the environment. */
    public static Result jcasync(Path dir, java.util.Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        return run(dir, jcasyncCommand(args), null, env);
    }

    /** Runs {@code jcasync ARGS} with a maximum heap of {@code heap} (e.g. "64m"). */
    public static Result jcasyncWithHeap(Path dir, String heap, String... args)
            throws IOException, InterruptedException {
        return jcasyncWithHeap(dir, heap, java.util.Map.of(), args);
    }

    /** Runs {@code jcasync ARGS} with a maximum heap of {@code heap} and {@code env} added to the environment. */
    public static Result jcasyncWithHeap(Path dir, String heap, java.util.Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = jcasyncCommand(args);
        cmd.set(cmd.indexOf("-Xmx1g"), "-Xmx" + heap);
        return run(dir, cmd, null, env);
    }

    /** The command line running {@code jcasync ARGS} (java, options, the jar, the arguments). */
    public static List<String> jcasyncCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("jcasync.java", "java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g"));
        cmd.addAll(startOptions());
        cmd.addAll(List.of("-jar", jar()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String jar() {
        return System.getProperty("jcasync.jar", "target/jcasync.jar");
    }

    private static List<String> startOptions;

    /**
     * The launcher's start-up options (C1 only, the ahead-of-time class cache, JVM logging off), so the suite's
     * thousand-odd short runs start as fast as users' do. The cache is recorded once per test JVM from the training
     * run; without it the runs just start slower.
     */
    private static synchronized List<String> startOptions() {
        if (startOptions != null) {
            return startOptions;
        }
        List<String> o = new ArrayList<>(List.of("-XX:+UseParallelGC", "-Xlog:disable", "-Xlog:all=error:stderr",
                "-XX:TieredStopAtLevel=1"));
        Path aot = Path.of(jar()).resolveSibling("it-jcasync.aot");
        try {
            if (!Files.exists(aot) || Files.getLastModifiedTime(aot).compareTo(
                    Files.getLastModifiedTime(Path.of(jar()))) < 0) {
                Files.deleteIfExists(aot);
                Process p = new ProcessBuilder(System.getProperty("jcasync.java", "java"),
                        "--enable-native-access=ALL-UNNAMED", "-XX:AOTCacheOutput=" + aot, "-cp", jar(),
                        "org.jcasync.cli.Training").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    Files.deleteIfExists(aot);
                }
            }
            if (Files.exists(aot)) {
                o.add("-XX:AOTCache=" + aot);
            }
        } catch (IOException e) {
            // No cache: slower starts only.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        startOptions = List.copyOf(o);
        return startOptions;
    }

    /** Runs {@code casync ARGS} in {@code dir}; skips the test when casync is missing (fails on CI). */
    public static Result casync(Path dir, String... args) throws IOException, InterruptedException {
        requireCasync();
        List<String> cmd = new ArrayList<>(List.of("casync"));
        cmd.addAll(List.of(args));
        return run(dir, cmd);
    }

    /** Skips (or, with CI=true, fails) when the casync binary is not installed. */
    public static void requireCasync() {
        boolean present = Files.isExecutable(Path.of("/usr/bin/casync"))
                || Files.isExecutable(Path.of("/usr/local/bin/casync"));
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("casync is not installed; .ci/run installs it");
        }
        Assumptions.assumeTrue(present, "casync not installed (apt-get install casync)");
    }

    /**
     * Runs {@code jcasync ARGS} in {@code dir} with its standard output going to the file {@code stdout} (for binary
     * output such as {@code extract X.caibx -}); the result's {@code out} is then empty.
     */
    public static Result jcasyncStdoutTo(Path dir, Path stdout, String... args)
            throws IOException, InterruptedException {
        return run(dir, jcasyncCommand(args), stdout);
    }

    /** Runs any command with a 5-minute limit. */
    public static Result run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        return run(dir, cmd, null);
    }

    /** Runs any command with a 5-minute limit; stdout goes to {@code stdout} when that is not null. */
    public static Result run(Path dir, List<String> cmd, Path stdout) throws IOException, InterruptedException {
        return run(dir, cmd, stdout, java.util.Map.of());
    }

    /** {@link #run(Path, List, Path)} with {@code env} added to the environment. */
    public static Result run(Path dir, List<String> cmd, Path stdout, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(env);
        Path out = stdout != null ? stdout : Files.createTempFile("out", ".txt");
        Path err = Files.createTempFile("err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("timed out: " + cmd);
        }
        Result r = new Result(p.exitValue(), stdout != null ? "" : Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        if (stdout == null) {
            Files.deleteIfExists(out);
        }
        Files.deleteIfExists(err);
        return r;
    }

    /** A long-running {@code jcasync} process (a server) and the URL it said it listens on. */
    public record Running(Process process, java.net.URI url, StringBuffer stderr) implements AutoCloseable {
        /** Sends SIGTERM and waits (at most 20 s) for the exit status. */
        public int stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("did not stop within 20 s of SIGTERM; stderr: " + stderr);
            }
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                stop();
            }
        }
    }

    /**
     * Starts {@code jcasync ARGS} (a server) in {@code dir} and waits (at most 60 s) for its
     * "jcasync VERB listening on URL" line on standard error; fails with what it printed when it exits first.
     */
    public static Running startJcasync(Path dir, String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(jcasyncCommand(args)).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        StringBuffer err = new StringBuffer();
        java.util.concurrent.CompletableFuture<java.net.URI> url = new java.util.concurrent.CompletableFuture<>();
        java.util.regex.Pattern listening = java.util.regex.Pattern.compile("listening on (https?://\\S+/)");
        Thread reader = new Thread(() -> {
            try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
                    p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    err.append(line).append('\n');
                    java.util.regex.Matcher m = listening.matcher(line);
                    if (m.find()) {
                        url.complete(java.net.URI.create(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            url.complete(null);
        }, "stderr of " + args[0]);
        reader.setDaemon(true);
        reader.start();
        java.net.URI u;
        try {
            u = url.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            u = null;
        }
        if (u == null) {
            p.destroyForcibly();
            fail("jcasync " + String.join(" ", args) + " did not start; stderr: " + err);
        }
        return new Running(p, u, err);
    }
}
