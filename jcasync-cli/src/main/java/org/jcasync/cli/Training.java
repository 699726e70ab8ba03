package org.jcasync.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A short, representative run of the main verbs on a generated file, used once after each build to record the
 * JVM's ahead-of-time cache ({@code -XX:AOTCacheOutput}), which makes every later start faster. Not a user command.
 */
public final class Training {
    private Training() {
    }

    /**
     * Runs make, extract (plain, seeded, in place, to a stream), digest and gc of a blob, and make, extract (new,
     * update, seeded), mtree and list of a tree, in a temporary directory.
     */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("jcasync-training");
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream nul = new PrintStream(OutputStream.nullOutputStream());
        try {
            System.setOut(nul);
            System.setErr(nul);
            byte[] data = new byte[6 << 20];
            new Random(42).nextBytes(data);
            java.util.Arrays.fill(data, 1 << 20, 3 << 20, (byte) 0);
            Path a = dir.resolve("a.bin");
            Files.write(a, data);
            data[5 << 20] ^= 1;
            Path b = dir.resolve("b.bin");
            Files.write(b, data);
            // A small tree (files, a link, a sub-directory) for the tree verbs.
            Path tree = dir.resolve("tree");
            Files.createDirectories(tree.resolve("sub/deeper"));
            Files.write(tree.resolve("sub/f1"), java.util.Arrays.copyOf(data, 300_000));
            Files.write(tree.resolve("sub/deeper/f2"), "hello\n".getBytes());
            Files.write(tree.resolve("empty"), new byte[0]);
            Files.createSymbolicLink(tree.resolve("link"), Path.of("sub/f1"));
            String s = "--store=" + dir.resolve("s.castr");
            PrintWriter pw = new PrintWriter(nul);
            for (int round = 0; round < 3; round++) {
                run(pw, s, "make", dir + "/a.caibx", a.toString());
                run(pw, s, "make", dir + "/b.caibx", b.toString());
                run(pw, s, "extract", dir + "/b.caibx", dir + "/x.bin");
                run(pw, s, "--seed=" + a, "extract", dir + "/b.caibx", dir + "/y.bin");
                run(pw, s, "--in-place", "extract", dir + "/a.caibx", dir + "/y.bin");
                run(pw, s, "--cache=" + dir.resolve("cache"), "extract", dir + "/a.caibx", dir + "/z.bin");
                run(pw, s, "digest", dir + "/a.caibx");
                run(pw, "digest", a.toString());
                run(pw, s, "-n", "gc", dir + "/a.caibx");
                run(pw, "--help");
                run(pw, "make", dir + "/t.catar", tree.toString());
                run(pw, s, "make", dir + "/t.caidx", tree.toString());
                run(pw, "extract", dir + "/t.catar", dir + "/tx");
                run(pw, s, "extract", dir + "/t.caidx", dir + "/tx");
                run(pw, s, "--seed=" + tree, "extract", dir + "/t.caidx", dir + "/ty");
                run(pw, "mtree", dir + "/t.catar");
                run(pw, "list", tree.toString());
                run(pw, s, "--packs=yes", "make", dir + "/p.caibx", b.toString());
                run(pw, s, "--seed=" + a, "extract", dir + "/p.caibx", dir + "/p.bin");
            }
            overHttp(pw, dir, s);
        } finally {
            System.setOut(out);
            System.setErr(err);
            try (Stream<Path> w = Files.walk(dir)) {
                w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The same store and indexes served by a loopback HTTP server (JDK's own, whole files only): the HTTP client,
     * its loose-chunk path and its pack path (a server that ignores ranges) are loaded too. Skipped if it fails.
     */
    private static void overHttp(PrintWriter pw, Path dir, String store) {
        com.sun.net.httpserver.HttpServer server;
        try {
            server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(
                    java.net.InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException | RuntimeException e) {
            return;
        }
        server.createContext("/", x -> {
            Path f = dir.resolve(x.getRequestURI().getPath().substring(1)).normalize();
            byte[] body = f.startsWith(dir) && Files.isRegularFile(f) ? Files.readAllBytes(f) : null;
            x.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                x.getResponseBody().write(body);
            }
            x.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            String s = "--store=" + base + store.substring(store.lastIndexOf('/') + 1);
            for (int round = 0; round < 2; round++) {
                run(pw, s, "--packs=no", "extract", base + "b.caibx", dir + "/h.bin");
                run(pw, s, "extract", base + "p.caibx", dir + "/h.bin");
                run(pw, s, "list", base + "t.caidx");
            }
        } finally {
            server.stop(0);
        }
    }

    private static void run(PrintWriter pw, String... args) {
        Main.run(args, pw, pw);
    }
}
