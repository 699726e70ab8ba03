package org.jcasync.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.chunkFiles;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * jcasync reading indexes and stores made by the real casync over http, from nginx: blobs (zstd, xz and gzip
 * stores) and trees, listings of remote indexes, the cache, a missing chunk, extra stores and failover groups,
 * and make uploading to a WebDAV-enabled location.
 */
class HttpStoreIT {
    @TempDir
    static Path work;
    static Path www;
    static Path blob;
    static Path tree;
    static Nginx nginx;

    @BeforeAll
    static void storesAndServer() throws Exception {
        Tools.requireCasync();
        Nginx.require();
        www = Files.createDirectories(work.resolve("www"));
        // 6 MiB: random, a repeated MiB, a zero run.
        byte[] b = new byte[6 << 20];
        System.arraycopy(random(101, 3 << 20), 0, b, 0, 3 << 20);
        byte[] rep = random(102, 1 << 20);
        System.arraycopy(rep, 0, b, 3 << 20, 1 << 20);
        System.arraycopy(rep, 0, b, 4 << 20, 1 << 20);
        blob = work.resolve("blob.bin");
        Files.write(blob, b);
        casync(work, "make", "--store=" + www.resolve("store"), www.resolve("x.caibx").toString(), blob.toString())
                .ok();
        casync(work, "make", "--compression=xz", "--store=" + www.resolve("storexz"),
                www.resolve("xz.caibx").toString(), blob.toString()).ok();
        casync(work, "make", "--compression=gzip", "--store=" + www.resolve("storegz"),
                www.resolve("gz.caibx").toString(), blob.toString()).ok();
        tree = work.resolve("tree");
        Files.createDirectories(tree.resolve("sub/deeper"));
        Files.write(tree.resolve("big.bin"), random(103, 700_000));
        Files.writeString(tree.resolve("hello.txt"), "hello over http\n");
        Files.write(tree.resolve("sub/deeper/data"), random(104, 200_000));
        Files.createSymbolicLink(tree.resolve("sub/link"), Path.of("../hello.txt"));
        Files.write(tree.resolve("sub/empty"), new byte[0]);
        casync(work, "make", "--store=" + www.resolve("store"), www.resolve("t.caidx").toString(), tree.toString())
                .ok();
        nginx = Nginx.serve(www, Files.createDirectories(work.resolve("nginx")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
    }

    @Test
    void extractsABlob() throws Exception {
        Path out = work.resolve("blob-out.bin");
        Tools.Result r = jcasync(work, "extract", "--store=" + nginx.url("store"), nginx.url("x.caibx"),
                out.toString()).ok();
        assertSameBytes(blob, out);
        assertThat(r.err()).contains(nginx.url("store/"));
    }

    @Test
    void extractsFromXzAndGzipStores() throws Exception {
        for (String c : List.of("xz", "gz")) {
            Path out = work.resolve("blob-" + c + ".bin");
            jcasync(work, "extract", "--store=" + nginx.url("store" + c), nginx.url(c + ".caibx"), out.toString())
                    .ok();
            assertSameBytes(blob, out);
        }
    }

    @Test
    void extractsATree() throws Exception {
        Path out = work.resolve("tree-out");
        jcasync(work, "extract", "--store=" + nginx.url("store"), nginx.url("t.caidx"), out.toString()).ok();
        assertThat(casync(work, "mtree", out.toString()).ok().out())
                .isEqualTo(casync(work, "mtree", tree.toString()).ok().out());
    }

    @Test
    void listingsOfRemoteIndexesMatchCasync() throws Exception {
        String store = "--store=" + www.resolve("store");
        String remote = "--store=" + nginx.url("store");
        for (String verb : List.of("list", "mtree")) {
            String expected = casync(work, verb, store, www.resolve("t.caidx").toString()).ok().out();
            assertThat(expected).isNotEmpty();
            assertThat(jcasync(work, verb, remote, nginx.url("t.caidx")).ok().out()).as(verb).isEqualTo(expected);
        }
        assertThat(jcasync(work, "digest", remote, nginx.url("x.caibx")).ok().out())
                .isEqualTo(casync(work, "digest", store, www.resolve("x.caibx").toString()).ok().out());
        assertThat(jcasync(work, "digest", remote, nginx.url("t.caidx")).ok().out())
                .isEqualTo(casync(work, "digest", store, www.resolve("t.caidx").toString()).ok().out());
    }

    @Test
    void cacheServesASecondExtractWithTheServerStopped() throws Exception {
        Path cache = work.resolve("cache");
        Path out1 = work.resolve("cached-1.bin");
        Path out2 = work.resolve("cached-2.bin");
        String storeUrl;
        try (Nginx own = Nginx.serve(www, Files.createDirectories(work.resolve("nginx-cache")))) {
            storeUrl = own.url("store");
            jcasync(work, "extract", "--store=" + storeUrl, "--cache=" + cache, own.url("x.caibx"), out1.toString())
                    .ok();
        }
        assertSameBytes(blob, out1);
        // The cache holds the very frames the server sent.
        SortedSet<String> cached = chunkFiles(cache);
        assertThat(cached).isNotEmpty();
        for (String f : cached) {
            assertThat(Files.readAllBytes(cache.resolve(f))).isEqualTo(Files.readAllBytes(www.resolve("store")
                    .resolve(f)));
        }
        Tools.Result r = jcasync(work, "extract", "--store=" + storeUrl, "--cache=" + cache, "--retries=0",
                www.resolve("x.caibx").toString(), out2.toString()).ok();
        assertSameBytes(blob, out2);
        assertThat(r.err()).doesNotContain("Exception");
    }

    @Test
    void missingChunkFailsInOneLineAndLeavesNoOutput() throws Exception {
        Path bad = www.resolve("store-missing");
        ItFiles.copyTree(www.resolve("store"), bad);
        String victim = ItFiles.indexIds(www.resolve("x.caibx")).get(3);
        Files.delete(ItFiles.chunkPath(bad, victim));
        Path outDir = Files.createDirectories(work.resolve("missing-out"));
        Tools.Result r = jcasync(work, "extract", "--store=" + nginx.url("store-missing"), nginx.url("x.caibx"),
                outDir.resolve("out.bin").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains(victim).contains("missing").doesNotContain("Exception");
        try (var s = Files.list(outDir)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void missingIndexIsNamed() throws Exception {
        Tools.Result r = jcasync(work, "extract", "--store=" + nginx.url("store"), nginx.url("nope.caibx"),
                work.resolve("nope.bin").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip()).isEqualTo("jcasync: " + nginx.url("nope.caibx") + ": no such index (HTTP 404)");
    }

    @Test
    void makeUploadsChunksAndIndexWithPut() throws Exception {
        String index = nginx.url("upload/up.caibx");
        Tools.Result r = jcasync(work, "make", "--store=" + nginx.url("upload/store"), index, blob.toString()).ok();
        assertThat(r.out()).isEqualTo(casync(work, "digest", blob.toString()).ok().out());
        Path up = www.resolve("upload");
        assertThat(Files.readAllBytes(up.resolve("up.caibx"))).isEqualTo(Files.readAllBytes(www.resolve("x.caibx")));
        Path out = work.resolve("uploaded.bin");
        casync(work, "extract", "--store=" + up.resolve("store"), up.resolve("up.caibx").toString(), out.toString())
                .ok();
        assertSameBytes(blob, out);
    }

    @Test
    void extraStoresAndFailoverGroups() throws Exception {
        // Two half stores: every other chunk file in each.
        Path a = www.resolve("half-a");
        Path b = www.resolve("half-b");
        int i = 0;
        for (String f : chunkFiles(www.resolve("store"))) {
            Path to = (i++ % 2 == 0 ? a : b).resolve(f);
            Files.createDirectories(to.getParent());
            Files.copy(www.resolve("store").resolve(f), to);
        }
        Path out = work.resolve("extra.bin");
        jcasync(work, "extract", "--store=" + nginx.url("half-a"), "--extra-store=" + nginx.url("half-b"),
                nginx.url("x.caibx"), out.toString()).ok();
        assertSameBytes(blob, out);

        String dead = "http://127.0.0.1:" + Nginx.freePort() + "/store";
        Path out2 = work.resolve("failover.bin");
        jcasync(work, "extract", "--retries=1", "--store=" + dead + "|" + nginx.url("store"), nginx.url("x.caibx"),
                out2.toString()).ok();
        assertSameBytes(blob, out2);
    }
}
