package org.jcasync.cli;

import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * Packs over HTTP, end to end: stores made by {@code jcasync make --packs} served by the Debian nginx (which answers
 * multi-range requests with multipart/byteranges), read by {@code jcasync extract} in a handful of range requests,
 * counted in nginx's access log; casync reading the same store; stale maps, corrupt packs, trees and the cache.
 */
class PackHttpIT {
    @TempDir
    static Path work;
    static Path www;
    static Nginx nginx;
    static List<String> v1Ids;
    static List<String> v2Ids;

    @BeforeAll
    static void storeAndServer() throws Exception {
        Tools.requireCasync();
        Nginx.require();
        www = Files.createDirectories(work.resolve("www"));
        // v1: 4 MiB; v2: v1 with 300 kB changed in the middle and 600 kB appended.
        byte[] v1 = random(401, 4 << 20);
        byte[] v2 = java.util.Arrays.copyOf(v1, v1.length + 600_000);
        System.arraycopy(random(402, 300_000), 0, v2, 2 << 20, 300_000);
        System.arraycopy(random(403, 600_000), 0, v2, v1.length, 600_000);
        Files.write(work.resolve("v1.bin"), v1);
        Files.write(work.resolve("v2.bin"), v2);
        jcasync(work, "make", "--store=" + www.resolve("store"), "--packs=yes", www.resolve("v1.caibx").toString(),
                "v1.bin").ok();
        jcasync(work, "make", "--store=" + www.resolve("store"), "--packs=yes", www.resolve("v2.caibx").toString(),
                "v2.bin").ok();
        assertThat(PackIT.packs(www.resolve("store"), ".capack")).hasSize(2);
        v1Ids = ItFiles.indexIds(www.resolve("v1.caibx"));
        v2Ids = ItFiles.indexIds(www.resolve("v2.caibx"));
        nginx = Nginx.serve(www, Files.createDirectories(work.resolve("nginx")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
    }

    /** Runs {@code jcasync ARGS} and returns it with the requests nginx logged meanwhile. */
    record Logged(Tools.Result result, List<String> requests) {
        long count(String what) {
            return requests.stream().filter(l -> l.contains(what)).count();
        }

        /** Whether a request carried a Range header of several ranges. */
        boolean multiRange() {
            return requests.stream().anyMatch(l -> l.matches(".*\"bytes=[0-9-]+(,[0-9-]+)+\"$"));
        }
    }

    static Logged logged(String... args) throws Exception {
        int before = nginx.accessLog().size();
        Tools.Result r = jcasync(work, args);
        List<String> log = nginx.accessLog();
        return new Logged(r, log.subList(before, log.size()));
    }

    /** Chunks of v2 that v1 lacks (what an update from v1 must download). */
    static int newChunks() {
        Set<String> lacking = new HashSet<>(v2Ids);
        lacking.removeAll(v1Ids);
        return lacking.size();
    }

    @Test
    void anUpdateFromTheSeedTakesAFewRangeRequests() throws Exception {
        Logged x = logged("extract", "--store=" + nginx.url("store"), "--seed=v1.bin", nginx.url("v2.caibx"),
                "update.bin");
        x.result().ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("update.bin"));
        assertThat(x.result().err()).contains(nginx.url("store/") + " (packs)");
        assertThat(x.requests()).as("index, map, ranges").hasSizeLessThanOrEqualTo(5);
        assertThat(x.count(".cacnk")).isZero();
        assertThat(x.count(".capack")).isPositive();
        assertThat(x.requests()).allMatch(l -> l.contains(" 200 ") || l.contains(" 206 "));
    }

    @Test
    void aFullExtractAsksForSeveralRangesAtOnce() throws Exception {
        // Without a seed v2 needs v1's pack but for the chunks v2 replaced: two ranges of one pack.
        Logged x = logged("extract", "--store=" + nginx.url("store"), nginx.url("v2.caibx"), "full.bin");
        x.result().ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("full.bin"));
        assertThat(x.requests()).hasSizeLessThanOrEqualTo(5);
        assertThat(x.multiRange()).as("a multi-range request in %s", x.requests()).isTrue();
        assertThat(x.requests()).anyMatch(l -> l.contains(".capack 206 "));
        assertThat(x.count(".cacnk")).isZero();
    }

    @Test
    void withoutPacksEveryMissingChunkIsARequest() throws Exception {
        Logged x = logged("extract", "--store=" + nginx.url("store"), "--packs=no", "--seed=v1.bin",
                nginx.url("v2.caibx"), "loose.bin");
        x.result().ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("loose.bin"));
        assertThat(x.count(".cacnk")).isEqualTo(newChunks());
        assertThat(x.count(".capack") + x.count(".camap")).isZero();
        assertThat(x.result().err()).doesNotContain("(packs)");
    }

    @Test
    void casyncReadsTheSameStoreOverHttp() throws Exception {
        casync(work, "extract", "--store=" + nginx.url("store"), nginx.url("v2.caibx"), "casync.bin").ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("casync.bin"));
    }

    @Test
    void aStaleMapIsIgnoredWithAWarning() throws Exception {
        Files.copy(www.resolve("v2.caibx"), www.resolve("stale.caibx"));
        Files.copy(www.resolve("v1.caibx.camap"), www.resolve("stale.caibx.camap"));
        Logged x = logged("extract", "--store=" + nginx.url("store"), "--seed=v1.bin", nginx.url("stale.caibx"),
                "stale.bin");
        x.result().ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("stale.bin"));
        assertThat(x.result().err()).contains("warning").contains("stale.caibx.camap").contains("stale");
        assertThat(x.result().err()).doesNotContain("(packs)");
        assertThat(x.count(".capack")).isZero();
        assertThat(x.count(".cacnk")).isEqualTo(newChunks());
    }

    @Test
    void aMapOfAnotherIndexWithTheSameChunkCountIsIgnored() throws Exception {
        // v3: v2 with a few bytes changed, so the same number of chunks but another index.
        byte[] v3 = Files.readAllBytes(work.resolve("v2.bin"));
        v3[3 << 20] ^= 1;
        Files.write(work.resolve("v3.bin"), v3);
        jcasync(work, "make", "--store=" + www.resolve("store"), "--packs=yes", www.resolve("v3.caibx").toString(),
                "v3.bin").ok();
        assertThat(ItFiles.indexIds(www.resolve("v3.caibx"))).hasSameSizeAs(v2Ids);
        Files.copy(www.resolve("v3.caibx"), www.resolve("stale3.caibx"));
        Files.copy(www.resolve("v2.caibx.camap"), www.resolve("stale3.caibx.camap"));
        Logged x = logged("extract", "--store=" + nginx.url("store"), "--seed=v2.bin", nginx.url("stale3.caibx"),
                "stale3.bin");
        x.result().ok();
        assertSameBytes(work.resolve("v3.bin"), work.resolve("stale3.bin"));
        assertThat(x.result().err()).contains("warning").contains("another version");
        assertThat(x.count(".capack")).isZero();
        assertThat(x.count(".cacnk")).isPositive();
    }

    @Test
    void aServerLimitedToOneRangeSendsEachPackWholeOnce() throws Exception {
        // nginx's max_ranges 1 answers a request of several ranges with the whole file (200).
        Files.createSymbolicLink(www.resolve("onerange"), www);
        Logged x = logged("extract", "--store=" + nginx.url("onerange/store"), nginx.url("onerange/v2.caibx"),
                "onerange.bin");
        x.result().ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("onerange.bin"));
        assertThat(x.requests()).anyMatch(l -> l.contains(".capack 200 "));
        for (Path pack : PackIT.packs(www.resolve("store"), ".capack")) {
            assertThat(x.count(pack.getFileName().toString())).as("requests for %s", pack).isLessThanOrEqualTo(1);
        }
        assertThat(x.count(".cacnk")).isZero();
    }

    @Test
    void aCorruptPackInAPackedOnlyStoreFailsInOneLine() throws Exception {
        jcasync(work, "make", "--store=" + www.resolve("only"), "--packs=only", www.resolve("only.caibx").toString(),
                "v2.bin").ok();
        assertThat(ItFiles.chunkFiles(www.resolve("only"))).noneMatch(f -> f.endsWith(".cacnk"));
        // Sound, it is read over http from its pack alone.
        Logged ok = logged("extract", "--store=" + nginx.url("only"), nginx.url("only.caibx"), "only.bin");
        ok.result().ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("only.bin"));
        assertThat(ok.requests()).hasSizeLessThanOrEqualTo(5);

        TestData.flipBytes(PackIT.packs(www.resolve("only"), ".capack").getFirst(), 1000, 300_000);
        Path out = Files.createDirectories(work.resolve("corrupt-out"));
        Tools.Result bad = jcasync(work, "extract", "--store=" + nginx.url("only"), nginx.url("only.caibx"),
                out.resolve("bad.bin").toString());
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err().strip().lines()).as(bad.err()).hasSize(1);
        assertThat(bad.err()).contains("pack").doesNotContain("Exception");
        try (var s = Files.list(out)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void aTreeWithPacksExtractsOverHttp() throws Exception {
        Path tree = Files.createDirectories(work.resolve("tree/sub"));
        Files.write(tree.resolve("a.bin"), random(404, 900_000));
        Files.writeString(work.resolve("tree/hello.txt"), "hello, packs\n");
        Files.write(tree.resolve("b.bin"), random(405, 300_000));
        jcasync(work, "make", "--store=" + www.resolve("treestore"), "--packs=yes",
                www.resolve("t.caidx").toString(), "tree").ok();
        Logged x = logged("extract", "--store=" + nginx.url("treestore"), nginx.url("t.caidx"), "tree-out");
        x.result().ok();
        assertThat(x.result().err()).contains("(packs)");
        assertThat(x.count(".cacnk")).isZero();
        assertThat(casync(work, "mtree", "tree-out").ok().out())
                .isEqualTo(casync(work, "mtree", "tree").ok().out());
    }

    @Test
    void theCacheKeepsChunksFromPacksForWhenTheServerIsGone() throws Exception {
        Path cache = work.resolve("cache");
        String store;
        String index;
        try (Nginx own = Nginx.serve(www, Files.createDirectories(work.resolve("nginx-cache")))) {
            store = own.url("store");
            index = own.url("v2.caibx");
            Tools.Result first = jcasync(work, "extract", "--store=" + store, "--cache=" + cache, index, "c1.bin")
                    .ok();
            assertThat(first.err()).contains("(packs)");
            assertThat(own.accessLog()).noneMatch(l -> l.contains(".cacnk"));
        }
        assertSameBytes(work.resolve("v2.bin"), work.resolve("c1.bin"));
        assertThat(ItFiles.chunkFiles(cache)).hasSize(new HashSet<>(v2Ids).size());
        // The server is gone: the same URLs but the index is read from its file; every chunk is in the cache.
        Files.copy(www.resolve("v2.caibx"), work.resolve("cached.caibx"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(www.resolve("v2.caibx.camap"), work.resolve("cached.caibx.camap"),
                StandardCopyOption.REPLACE_EXISTING);
        Tools.Result second = jcasync(work, "extract", "--store=" + store, "--cache=" + cache, "--retries=0",
                "cached.caibx", "c2.bin").ok();
        assertSameBytes(work.resolve("v2.bin"), work.resolve("c2.bin"));
        assertThat(second.err()).doesNotContain("Exception");
    }
}
