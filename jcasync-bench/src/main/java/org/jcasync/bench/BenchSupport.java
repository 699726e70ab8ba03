package org.jcasync.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Running commands, timing them and cleaning up, for the benchmarks. */
final class BenchSupport {
    private BenchSupport() {
    }

    /** Runs a command and returns its standard output. */
    static String output(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String s = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("failed: " + cmd);
        }
        return s;
    }

    static String cpu() {
        try (Stream<String> l = Files.lines(Paths.get("/proc/cpuinfo"))) {
            return l.filter(s -> s.startsWith("model name")).findFirst().map(s -> s.replaceAll(".*:\\s*", ""))
                    .orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    static String version() {
        try {
            Process p = new ProcessBuilder("casync", "--version").redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes()).trim() + " (Debian), Java " + Runtime.version();
        } catch (IOException e) {
            return "casync ?";
        }
    }

    /** Runs a command to completion; returns wall seconds. Output goes to the bit bucket. */
    static double exec(Path dir, List<String> cmd) throws IOException, InterruptedException {
        return exec(dir, cmd, java.util.Map.of());
    }

    /** {@link #exec(Path, List)} with {@code env} added to the environment; stderr is kept in dir/stderr.txt. */
    static double exec(Path dir, List<String> cmd, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(dir.resolve("stderr.txt").toFile());
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + cmd);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) {
            throw new IllegalStateException("failed (" + p.exitValue() + "): " + cmd + "\n"
                    + Files.readString(dir.resolve("stderr.txt")));
        }
        return s;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static void delete(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
