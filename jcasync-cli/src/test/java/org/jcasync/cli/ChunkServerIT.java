package org.jcasync.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;
import static org.jcasync.cli.Tools.startJcasync;

/**
 * {@code jcasync chunk-server} and {@code index-server} as processes, read by the real casync over HTTP (its
 * casync-http helper) and by jcasync (packs, batch requests): extracted blobs and trees must be identical to the
 * originals.
 */
class ChunkServerIT {
    @TempDir
    static Path work;
    static Path blob;

    @BeforeAll
    static void input() throws Exception {
        Tools.requireCasync();
        blob = work.resolve("blob.img");
        byte[] b = random(70, 5 << 20);
        java.util.Arrays.fill(b, 1 << 20, 2 << 20, (byte) 0);
        Files.write(blob, b);
    }

    @Test
    void casyncExtractsABlobThroughTheChunkServer(@TempDir Path dir) throws Exception {
        jcasync(dir, "make", "--store=store.castr", "x.caibx", blob.toString()).ok();
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", "store.castr", "-l", "127.0.0.1:0",
                "--log", "requests.log")) {
            assertThat(server.url().toString()).matches("http://127\\.0\\.0\\.1:\\d+/");
            assertThat(server.stderr().toString()).startsWith("jcasync chunk-server listening on " + server.url());
            casync(dir, "extract", "--store=" + server.url(), "x.caibx", "out.img").ok();
            assertSameBytes(blob, dir.resolve("out.img"));
            // SIGTERM stops it cleanly (the JVM's status for a handled SIGTERM is 143).
            assertThat(server.stop()).isEqualTo(143);
            assertThat(server.stderr().toString()).doesNotContain("Exception");
        }
        List<String> log = Files.readAllLines(dir.resolve("requests.log"));
        assertThat(log).isNotEmpty().allMatch(l -> l.matches("\\S+ 127\\.0\\.0\\.1 GET /[0-9a-f]{4}/[0-9a-f]{64}"
                + "\\.cacnk 200 \\d+ \\d+ms"));
    }

    @Test
    void casyncExtractsATreeThroughTheChunkServerWithACache(@TempDir Path dir) throws Exception {
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree.resolve("dir/nested/deeper"));
        Files.write(tree.resolve("random-1MiB"), random(71, 1 << 20));
        Files.write(tree.resolve("dir/nested/deeper/file"), random(72, 300_000));
        Files.writeString(tree.resolve("dir/small"), "hello\n");
        Files.write(tree.resolve("empty"), new byte[0]);
        Files.createSymbolicLink(tree.resolve("link"), Path.of("dir/small"));
        Files.writeString(tree.resolve("with space ünïcödé"), "odd name\n");
        Files.setPosixFilePermissions(tree.resolve("dir/small"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        jcasync(dir, "make", "--store=store.castr", "t.caidx", tree.toString()).ok();
        Files.createDirectories(dir.resolve("empty.castr"));
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", "empty.castr", "-s", "store.castr",
                "-c", "cache.castr", "-l", "127.0.0.1:0")) {
            casync(dir, "extract", "--store=" + server.url(), "t.caidx", "out").ok();
        }
        assertThat(casync(dir, "mtree", "out").ok().out()).isEqualTo(casync(dir, "mtree", "tree").ok().out());
        assertThat(ItFiles.chunkFiles(dir.resolve("cache.castr")))
                .isEqualTo(ItFiles.chunkFiles(dir.resolve("store.castr")));
    }

    @Test
    void aStoreMadeByCasyncIsServedToCasync(@TempDir Path dir) throws Exception {
        casync(dir, "make", "--store=store.castr", "x.caibx", blob.toString()).ok();
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", "store.castr", "-l", "127.0.0.1:0")) {
            casync(dir, "extract", "--store=" + server.url(), "x.caibx", "out.img").ok();
        }
        assertSameBytes(blob, dir.resolve("out.img"));
    }

    @Test
    void uploadsToAWritableServerLandInItsStore(@TempDir Path dir) throws Exception {
        jcasync(dir, "make", "--store=src.castr", "x.caibx", blob.toString()).ok();
        Files.createDirectories(dir.resolve("dst.castr"));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", "dst.castr", "-w", "-l",
                "127.0.0.1:0", "--authorization", "Bearer it")) {
            for (String rel : ItFiles.chunkFiles(dir.resolve("src.castr"))) {
                URI u = server.url().resolve(rel);
                byte[] frame = Files.readAllBytes(dir.resolve("src.castr").resolve(rel));
                HttpRequest.Builder put = HttpRequest.newBuilder(u)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(frame));
                assertThat(client.send(put.build(), HttpResponse.BodyHandlers.discarding()).statusCode())
                        .isEqualTo(401);
                assertThat(client.send(put.header("Authorization", "Bearer it").build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(201);
            }
        }
        assertThat(ItFiles.chunkFiles(dir.resolve("dst.castr"))).isEqualTo(ItFiles.chunkFiles(dir.resolve("src.castr")));
        casync(dir, "extract", "--store=dst.castr", "x.caibx", "out.img").ok();
        assertSameBytes(blob, dir.resolve("out.img"));
    }

    @Test
    void casyncReadsTheIndexFromTheIndexServer(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("indexes"));
        jcasync(dir, "make", "--store=store.castr", "indexes/x.caibx", blob.toString()).ok();
        try (Tools.Running chunks = startJcasync(dir, "chunk-server", "-s", "store.castr", "-l", "127.0.0.1:0");
             Tools.Running indexes = startJcasync(dir, "index-server", "-s", "indexes", "-l", "127.0.0.1:0")) {
            assertThat(indexes.stderr().toString()).startsWith("jcasync index-server listening on http://127.0.0.1:");
            casync(dir, "extract", "--store=" + chunks.url(), indexes.url() + "x.caibx", "out.img").ok();
        }
        assertSameBytes(blob, dir.resolve("out.img"));
    }

    @Test
    void startFailuresAreOneLineAndExit1(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("store.castr"));
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Tools.Result r = jcasync(dir, "chunk-server", "-s", "store.castr", "-l",
                    "127.0.0.1:" + taken.getLocalPort());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("jcasync: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": Address already in use\n");
        }
        Tools.Result r = jcasync(dir, "chunk-server", "-s", "store.castr", "-l", "127.0.0.1:0", "--cert",
                "nope.pem", "--key", "nope.key");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("jcasync: nope.pem: no such file\n");
        r = jcasync(dir, "chunk-server", "-s", "store.castr", "-l", "localhost");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("bad listen address 'localhost'").hasLineCount(1);
        r = jcasync(dir, "index-server", "-s", "nothing-here", "-l", "127.0.0.1:0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("jcasync: nothing-here: index store directory not found\n");
        r = jcasync(dir, "chunk-server", "-s", "store.castr", "-s", "nothing-here", "-l", "127.0.0.1:0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("jcasync: nothing-here: chunk store directory not found\n");
    }

    /** {chunks, requests} of a report part "LOCATION: N chunks, X in R requests". */
    static long[] report(Tools.Result r, String location) {
        Matcher m = Pattern.compile(Pattern.quote(location) + ": (\\d+) chunks, [^;]* in (\\d+) requests")
                .matcher(r.err());
        assertThat(m.find()).as(r.err()).isTrue();
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /**
     * The chunk-server's extensions for jcasync clients: packs read with range requests through it, and batch
     * requests when packs are not used; casync still reads the same server one chunk at a time.
     */
    @Test
    void jcasyncReadsPacksAndBatchesThroughTheChunkServer(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("indexes"));
        jcasync(dir, "make", "--store=store.castr", "--packs=yes", "indexes/x.caibx", blob.toString()).ok();
        assertThat(dir.resolve("indexes/x.caibx.camap")).exists();
        try (Tools.Running chunks = startJcasync(dir, "chunk-server", "-s", "store.castr", "-l", "127.0.0.1:0",
                "--log", "chunks.log");
             Tools.Running indexes = startJcasync(dir, "index-server", "-s", "indexes", "-l", "127.0.0.1:0",
                     "--log", "indexes.log")) {
            String cs = chunks.url().toString();
            String index = indexes.url() + "x.caibx";

            Tools.Result packed = jcasync(dir, "extract", "--store=" + cs, index, "packed.img").ok();
            assertSameBytes(blob, dir.resolve("packed.img"));
            long[] p = report(packed, cs + " (packs)");
            assertThat(p[0]).isGreaterThan(40);
            assertThat(p[1]).isBetween(1L, 3L);
            List<String> log = Files.readAllLines(dir.resolve("chunks.log"));
            assertThat(log).isNotEmpty().allMatch(l -> l.matches("\\S+ 127\\.0\\.0\\.1 GET /packs/[0-9a-f]{64}"
                    + "\\.capack 20[06] \\d+ \\d+ms"));
            assertThat(Files.readAllLines(dir.resolve("indexes.log")))
                    .anyMatch(l -> l.contains(" GET /x.caibx.camap 200 "));

            Tools.Result batched = jcasync(dir, "extract", "--packs=no", "--store=" + cs, index, "batched.img").ok();
            assertSameBytes(blob, dir.resolve("batched.img"));
            long[] b = report(batched, cs);
            assertThat(b[0]).isEqualTo(p[0]);
            assertThat(b[1]).isLessThanOrEqualTo(b[0] / 8);
            List<String> after = Files.readAllLines(dir.resolve("chunks.log")).subList(log.size(),
                    Files.readAllLines(dir.resolve("chunks.log")).size());
            assertThat(after).hasSize((int) b[1]).allMatch(l -> l.contains(" POST /batch 200 "));

            casync(dir, "extract", "--store=" + cs, index, "casync.img").ok();
            assertSameBytes(blob, dir.resolve("casync.img"));
            assertThat(chunks.stop()).isEqualTo(143);
            assertThat(chunks.stderr().toString()).doesNotContain("Exception");
        }
    }

    /**
     * The servers serve only the regular files of their stores: a chunk or index that is a symlink out of it (or a
     * FIFO) is a 500, never its target's bytes nor a hung request; with --verify a chunk file holding another chunk's
     * frame is refused too.
     */
    @Test
    void onlyTheStoresOwnRegularFilesAreServed(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("indexes"));
        jcasync(dir, "make", "--store=store.castr", "indexes/x.caibx", blob.toString()).ok();
        Files.writeString(dir.resolve("shadow"), "root:secret-hash:19000::::::\n");
        List<String> chunkFiles = List.copyOf(ItFiles.chunkFiles(dir.resolve("store.castr")));
        Path linked = dir.resolve("store.castr").resolve(chunkFiles.get(0));
        Path fifo = dir.resolve("store.castr").resolve(chunkFiles.get(1));
        Path swapped = dir.resolve("store.castr").resolve(chunkFiles.get(2));
        Files.delete(linked);
        Files.createSymbolicLink(linked, dir.resolve("shadow"));
        Files.delete(fifo);
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        Files.copy(dir.resolve("store.castr").resolve(chunkFiles.get(3)), swapped,
                StandardCopyOption.REPLACE_EXISTING);
        Files.createSymbolicLink(dir.resolve("indexes/y.caibx"), dir.resolve("shadow"));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (Tools.Running chunks = startJcasync(dir, "chunk-server", "-s", "store.castr", "-l", "127.0.0.1:0");
             Tools.Running verifying = startJcasync(dir, "chunk-server", "-s", "store.castr", "--verify", "-l",
                     "127.0.0.1:0");
             Tools.Running indexes = startJcasync(dir, "index-server", "-s", "indexes", "-l", "127.0.0.1:0")) {
            for (Path p : List.of(linked, fifo)) {
                HttpResponse<String> r = client.send(get(chunks.url().resolve(
                        dir.resolve("store.castr").relativize(p).toString())),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(p.toString()).isEqualTo(500);
                assertThat(r.body()).contains("not a regular file").doesNotContain("secret-hash");
            }
            URI swappedUrl = URI.create(chunkFiles.get(2));
            assertThat(client.send(get(chunks.url().resolve(swappedUrl)),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
            HttpResponse<String> v = client.send(get(verifying.url().resolve(swappedUrl)),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(v.statusCode()).isEqualTo(500);
            assertThat(v.body()).contains("is invalid").contains("its content is chunk");
            HttpResponse<String> y = client.send(get(indexes.url().resolve("y.caibx")),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(y.statusCode()).isEqualTo(500);
            assertThat(y.body()).doesNotContain("secret-hash");
            assertThat(client.send(get(indexes.url().resolve("x.caibx")),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
        }
    }

    /** A GET that waits at most 30 s (a server hanging on a FIFO would fail the test, not hang it). */
    private static HttpRequest get(URI u) {
        return HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(30)).build();
    }
}
