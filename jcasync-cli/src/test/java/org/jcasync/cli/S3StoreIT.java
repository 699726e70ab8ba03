package org.jcasync.cli;

import org.jcasync.s3.S3TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.chunkFiles;
import static org.jcasync.cli.ItFiles.indexIds;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * S3-compatible object storage end to end: a real S3 server (s3proxy) in this JVM on 127.0.0.1, the jcasync jar as
 * a separate process with the server's credentials in S3_ACCESS_KEY/S3_SECRET_KEY; indexes and chunks in the
 * bucket, extracts byte-identical, caches, gc, and chunk objects that the real casync reads.
 */
class S3StoreIT {
    private static final String BUCKET = "jcasync-it";
    private static final Map<String, String> ENV = S3TestServer.env();
    private static S3TestServer server;

    @TempDir
    Path d;

    @BeforeAll
    static void start() throws Exception {
        server = S3TestServer.start();
        server.createBucket(BUCKET);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String url(String path) {
        return server.url(BUCKET + "/" + path);
    }

    /** The chunk objects under {@code prefix}, as store-relative paths ({@code <4hex>/<id>.cacnk}). */
    private static SortedSet<String> chunkKeys(String prefix) {
        SortedSet<String> s = new TreeSet<>();
        for (String k : server.keys(BUCKET, prefix + "/")) {
            s.add(k.substring(prefix.length() + 1));
        }
        return s;
    }

    private static SortedSet<String> chunkPaths(List<String> ids) {
        SortedSet<String> s = new TreeSet<>();
        for (String id : ids) {
            s.add(id.substring(0, 4) + "/" + id + ".cacnk");
        }
        return s;
    }

    /** Asserts a run printed nothing to stderr but extract's transfer report: no SDK logging, no SLF4J warnings. */
    private static Tools.Result quiet(Tools.Result r) {
        r.ok();
        for (String line : r.err().lines().toList()) {
            assertThat(line).as("stderr").startsWith("jcasync: extract: ").contains(server.url(BUCKET));
        }
        return r;
    }

    @Test
    void blobMakeExtractCacheAndCasyncReadsTheChunkObjects() throws Exception {
        byte[] data = random(301, 3 << 20);
        System.arraycopy(data, 0, data, 2 << 20, 1 << 19);
        Path in = Files.write(d.resolve("in.bin"), data);

        Tools.Result made = quiet(jcasync(d, ENV, "make", "--store=" + url("blob"), url("idx/x.caibx"), "in.bin"));
        // The same index as a local make, and every chunk it names is in the bucket, in casync's layout.
        Tools.Result local = jcasync(d, "make", "--store=local.castr", "local.caibx", "in.bin").ok();
        assertThat(made.out()).isEqualTo(local.out());
        byte[] index = server.object(BUCKET, "idx/x.caibx");
        assertThat(index).isEqualTo(Files.readAllBytes(d.resolve("local.caibx")));
        assertThat(chunkKeys("blob")).isEqualTo(chunkFiles(d.resolve("local.castr")));

        quiet(jcasync(d, ENV, "extract", "--store=" + url("blob"), url("idx/x.caibx"), "out.bin"));
        assertSameBytes(in, d.resolve("out.bin"));

        // --cache keeps the downloaded chunks: all of them, and a second extract still works from the cache alone.
        quiet(jcasync(d, ENV, "extract", "--store=" + url("blob"), "--cache=cache", url("idx/x.caibx"), "out2.bin"));
        assertSameBytes(in, d.resolve("out2.bin"));
        assertThat(chunkFiles(d.resolve("cache"))).isEqualTo(chunkKeys("blob"));

        // The real casync extracts from the objects jcasync wrote, copied into a local store directory.
        server.download(BUCKET, "blob/", d.resolve("downloaded.castr"));
        Files.write(d.resolve("dl.caibx"), index);
        casync(d, "extract", "--store=downloaded.castr", "dl.caibx", "casync-out.bin").ok();
        assertSameBytes(in, d.resolve("casync-out.bin"));
    }

    @Test
    void treeIndexRoundTrip() throws Exception {
        Path tree = Files.createDirectories(d.resolve("tree"));
        Files.write(tree.resolve("a.bin"), random(302, 700_000));
        Files.createDirectories(tree.resolve("sub/deeper"));
        Files.write(tree.resolve("sub/deeper/b.txt"), "hello s3\n".getBytes());
        Files.write(tree.resolve("sub/empty"), new byte[0]);
        Files.createSymbolicLink(tree.resolve("link"), Path.of("sub/deeper/b.txt"));

        quiet(jcasync(d, ENV, "make", "--store=" + url("trees"), url("idx/t.caidx"), "tree"));
        quiet(jcasync(d, ENV, "extract", "--store=" + url("trees"), url("idx/t.caidx"), "back"));
        assertThat(ItFiles.tree(d.resolve("back"))).isEqualTo(ItFiles.tree(tree));
        for (String f : List.of("a.bin", "sub/deeper/b.txt", "sub/empty")) {
            assertSameBytes(tree.resolve(f), d.resolve("back").resolve(f));
        }
        assertThat(Files.readSymbolicLink(d.resolve("back/link"))).isEqualTo(Path.of("sub/deeper/b.txt"));
        // The same archive index as a local make of the tree.
        jcasync(d, "make", "--store=local.castr", "local.caidx", "tree").ok();
        assertThat(server.object(BUCKET, "idx/t.caidx")).isEqualTo(Files.readAllBytes(d.resolve("local.caidx")));
    }

    @Test
    void gcRemovesExactlyTheUnreferencedChunks() throws Exception {
        Files.write(d.resolve("keep.bin"), random(303, 1 << 20));
        Files.write(d.resolve("drop.bin"), random(304, 1 << 20));
        quiet(jcasync(d, ENV, "make", "--store=" + url("gc"), url("gc-idx/keep.caibx"), "keep.bin"));
        quiet(jcasync(d, ENV, "make", "--store=" + url("gc"), url("gc-idx/drop.caibx"), "drop.bin"));
        Files.write(d.resolve("keep.caibx"), server.object(BUCKET, "gc-idx/keep.caibx"));
        Files.write(d.resolve("drop.caibx"), server.object(BUCKET, "gc-idx/drop.caibx"));
        SortedSet<String> keep = chunkPaths(indexIds(d.resolve("keep.caibx")));
        SortedSet<String> all = new TreeSet<>(keep);
        all.addAll(chunkPaths(indexIds(d.resolve("drop.caibx"))));
        assertThat(chunkKeys("gc")).isEqualTo(all);
        int unreferenced = all.size() - keep.size();
        assertThat(unreferenced).isPositive();

        // gc keeps unused chunks younger than its grace period (1 h by default): these were just made.
        Tools.Result young = quiet(jcasync(d, ENV, "gc", "--dry-run", "--store=" + url("gc"),
                url("gc-idx/keep.caibx")));
        assertThat(young.out()).isEqualTo("Would remove 0 chunks, " + all.size() + " chunks remaining.\n"
                + "Would keep " + unreferenced + " unused chunks younger than 1h.\n");
        Tools.Result dry = quiet(jcasync(d, ENV, "gc", "--dry-run", "--grace=0", "--store=" + url("gc"),
                url("gc-idx/keep.caibx")));
        assertThat(dry.out()).contains("Would remove " + unreferenced + " chunks, " + keep.size()
                + " chunks remaining.");
        assertThat(chunkKeys("gc")).isEqualTo(all);

        quiet(jcasync(d, ENV, "gc", "--grace=0", "--store=" + url("gc"), url("gc-idx/keep.caibx")));
        assertThat(chunkKeys("gc")).isEqualTo(keep);
        quiet(jcasync(d, ENV, "extract", "--store=" + url("gc"), url("gc-idx/keep.caibx"), "kept.bin"));
        assertSameBytes(d.resolve("keep.bin"), d.resolve("kept.bin"));
    }

    @Test
    void failuresAreOneLineErrors() throws Exception {
        Files.write(d.resolve("in.bin"), random(305, 100_000));
        quiet(jcasync(d, ENV, "make", "--store=" + url("err"), url("err-idx/x.caibx"), "in.bin"));

        Map<String, String> wrong = new HashMap<>(ENV);
        wrong.put("S3_SECRET_KEY", "not-the-secret");
        Tools.Result denied = jcasync(d, wrong, "extract", "--store=" + url("err"), url("err-idx/x.caibx"), "o1");
        assertThat(denied.exit()).isEqualTo(1);
        assertOneLineError(denied.err(), "SignatureDoesNotMatch");
        assertThat(denied.err()).contains("S3_SECRET_KEY").contains(url("err-idx/x.caibx"));

        Tools.Result missing = jcasync(d, ENV, "extract", "--store=" + url("err"), url("err-idx/none.caibx"), "o2");
        assertThat(missing.exit()).isEqualTo(1);
        assertOneLineError(missing.err(), "none.caibx");

        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String dead = "s3+http://127.0.0.1:" + port + "/" + BUCKET;
        long start = System.nanoTime();
        Tools.Result unreachable = jcasync(d, ENV, "extract", "--retries=2", "--timeout=2", "--store=" + dead + "/err",
                dead + "/err-idx/x.caibx", "o3");
        assertThat(unreachable.exit()).isEqualTo(1);
        assertOneLineError(unreachable.err(), "127.0.0.1:" + port);
        assertThat(unreachable.err()).contains("gave up after 2 retries");
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(30);
        assertThat(d.resolve("o1")).doesNotExist();
        assertThat(d.resolve("o2")).doesNotExist();
        assertThat(d.resolve("o3")).doesNotExist();
    }

    private static void assertOneLineError(String err, String mentions) {
        assertThat(err).startsWith("jcasync: ").contains(mentions).doesNotContain("\tat ").doesNotContain("SLF4J")
                .doesNotContain("Exception");
        assertThat(err.strip().lines().count()).as(err).isEqualTo(1);
    }
}
