package org.jcasync.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/** Packs and chunk maps: made by make --packs and by pack on casync-made stores, read by extract, kept by gc. */
class PackIT {
    @TempDir
    static Path shared;
    static byte[] v1;
    static byte[] v2;

    @BeforeAll
    static void versions() throws Exception {
        v1 = random(300, 3 << 20);
        v2 = v1.clone();
        System.arraycopy(random(301, 200_000), 0, v2, 1 << 20, 200_000);
        Files.write(shared.resolve("v1.bin"), v1);
        Files.write(shared.resolve("v2.bin"), v2);
    }

    static Path dir(String name) throws IOException {
        Path d = Files.createDirectory(shared.resolve(name));
        Files.copy(shared.resolve("v1.bin"), d.resolve("v1.bin"));
        Files.copy(shared.resolve("v2.bin"), d.resolve("v2.bin"));
        return d;
    }

    static List<Path> packs(Path store, String suffix) throws IOException {
        Path p = store.resolve("packs");
        if (!Files.isDirectory(p)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
        }
    }

    /** Requests made to the packs, from the report line ("STORE (packs): N chunks, X in R requests"). */
    static long packRequests(Tools.Result r) {
        Matcher m = Pattern.compile("\\(packs\\): (\\d+) chunks, [^;]* in (\\d+) requests").matcher(r.err());
        assertThat(m.find()).as(r.err()).isTrue();
        return Long.parseLong(m.group(2));
    }

    @Test
    void packVerbAddsPacksToACasyncStoreThatCasyncStillReads() throws Exception {
        Path d = dir("casync-made");
        casync(d, "make", "--store=s.castr", "v1.caibx", "v1.bin").ok();
        casync(d, "make", "--store=s.castr", "v2.caibx", "v2.bin").ok();
        Tools.Result p = jcasync(d, "pack", "--store=s.castr", "v1.caibx", "v2.caibx").ok();
        assertThat(p.err()).contains("into pack ").contains("2 chunk maps written");
        assertThat(packs(d.resolve("s.castr"), ".capack")).hasSize(1);
        assertThat(d.resolve("v2.caibx.camap")).exists();
        // A second pack run has nothing to add.
        assertThat(jcasync(d, "pack", "--store=s.castr", "v2.caibx").ok().err()).contains("packed already");

        Tools.Result x = jcasync(d, "extract", "--store=s.castr", "v2.caibx", "out.bin").ok();
        assertSameBytes(d.resolve("v2.bin"), d.resolve("out.bin"));
        assertThat(packRequests(x)).isLessThanOrEqualTo(3);
        casync(d, "extract", "--store=s.castr", "v2.caibx", "casync-out.bin").ok();
        assertSameBytes(d.resolve("v2.bin"), d.resolve("casync-out.bin"));
        // casync's gc leaves the packs alone and still keeps what the index needs.
        casync(d, "gc", "--store=s.castr", "v2.caibx").ok();
        assertThat(packs(d.resolve("s.castr"), ".capack")).hasSize(1);
    }

    @Test
    void makeWritesOnePackPerVersionWithItsNewChunks() throws Exception {
        Path d = dir("versions");
        jcasync(d, "make", "--store=s", "--packs=yes", "v1.caibx", "v1.bin").ok();
        jcasync(d, "make", "--store=s", "--packs=yes", "v2.caibx", "v2.bin").ok();
        List<Path> p = packs(d.resolve("s"), ".capack");
        assertThat(p).hasSize(2);
        long small = Math.min(Files.size(p.get(0)), Files.size(p.get(1)));
        assertThat(small).as("v2's pack holds only what it adds").isLessThan(600_000);
        // casync reads the loose chunks that stay.
        casync(d, "extract", "--store=s", "v2.caibx", "c.bin").ok();
        assertSameBytes(d.resolve("v2.bin"), d.resolve("c.bin"));
        // Seeded with v1, jcasync fetches v2's new chunks from its pack in one or two requests.
        Tools.Result x = jcasync(d, "extract", "--store=s", "--seed=v1.bin", "v2.caibx", "j.bin").ok();
        assertSameBytes(d.resolve("v2.bin"), d.resolve("j.bin"));
        assertThat(packRequests(x)).isBetween(1L, 2L);
    }

    @Test
    void packedOnlyStoresAreReadFromPacks() throws Exception {
        Path d = dir("packed-only");
        Tools.Result m = jcasync(d, "make", "-v", "--store=s", "--packs=only", "v2.caibx", "v2.bin").ok();
        assertThat(m.err()).contains("loose chunks removed");
        assertThat(ItFiles.chunkFiles(d.resolve("s"))).filteredOn(f -> f.endsWith(".cacnk")).isEmpty();
        assertThat(ItFiles.chunkFiles(d.resolve("s"))).filteredOn(f -> f.endsWith(".capack")).hasSize(1);
        jcasync(d, "extract", "--store=s", "v2.caibx", "out.bin").ok();
        assertSameBytes(d.resolve("v2.bin"), d.resolve("out.bin"));
        Tools.Result no = jcasync(d, "extract", "--store=s", "--packs=no", "v2.caibx", "no.bin");
        assertThat(no.exit()).isNotZero();
        assertThat(no.err().strip().lines()).hasSize(1);
        assertThat(d.resolve("no.bin")).doesNotExist();
    }

    @Test
    void staleMapsAreNotUsed() throws Exception {
        Path d = dir("stale");
        jcasync(d, "make", "--store=s", "--packs=yes", "v1.caibx", "v1.bin").ok();
        jcasync(d, "make", "--store=s", "--packs=yes", "v2.caibx", "v2.bin").ok();
        // v1's map beside v2's index: the map names another index.
        Files.copy(d.resolve("v1.caibx.camap"), d.resolve("v2.caibx.camap"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Tools.Result x = jcasync(d, "extract", "--store=s", "v2.caibx", "out.bin").ok();
        assertThat(x.err()).contains("chunk map").containsAnyOf("stale", "another version");
        assertThat(x.err()).doesNotContain("(packs)");
        assertSameBytes(d.resolve("v2.bin"), d.resolve("out.bin"));
    }

    @Test
    void corruptPacksAreNeverWrittenAsGoodData() throws Exception {
        Path d = dir("corrupt");
        jcasync(d, "make", "--store=s", "--packs=yes", "v2.caibx", "v2.bin").ok();
        Path pack = packs(d.resolve("s"), ".capack").getFirst();
        org.jcasync.chunk.TestData.flipBytes(pack, 50, 40_000);
        // Loose copies exist: they replace what the pack gets wrong.
        jcasync(d, "extract", "--store=s", "v2.caibx", "ok.bin").ok();
        assertSameBytes(d.resolve("v2.bin"), d.resolve("ok.bin"));
        // Without them: a one-line error, no output.
        try (Stream<Path> s = Files.list(d.resolve("s"))) {
            for (Path sub : s.filter(p -> !p.getFileName().toString().equals("packs")).toList()) {
                ItFiles.copyTree(sub, d.resolve("moved").resolve(sub.getFileName()));
                try (Stream<Path> w = Files.walk(sub)) {
                    for (Path f : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
        }
        Tools.Result bad = jcasync(d, "extract", "--store=s", "v2.caibx", "bad.bin");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err().strip().lines()).hasSize(1);
        assertThat(bad.err()).contains("pack");
        assertThat(d.resolve("bad.bin")).doesNotExist();
    }

    @Test
    void gcRemovesDeadPacksAndRewritesMapsOfLiveIndexes() throws Exception {
        Path d = dir("gc");
        jcasync(d, "make", "--store=s", "--packs=only", "v1.caibx", "v1.bin").ok();
        Files.write(d.resolve("v3.bin"), random(302, 1 << 20));
        jcasync(d, "make", "--store=s", "--packs=only", "v3.caibx", "v3.bin").ok();
        assertThat(packs(d.resolve("s"), ".capack")).hasSize(2);
        Tools.Result young = jcasync(d, "gc", "--store=s", "-n", "v3.caibx").ok();
        assertThat(young.out()).contains("Would remove 0 packs, would rewrite 0 packs, 0 packs kept (and 2 younger "
                + "than 1h)");
        Tools.Result dry = jcasync(d, "gc", "--store=s", "-n", "--grace=0", "v3.caibx").ok();
        assertThat(dry.out()).contains("Would remove 1 packs");
        assertThat(packs(d.resolve("s"), ".capack")).hasSize(2);
        jcasync(d, "gc", "--store=s", "-v", "--grace=0", "v3.caibx").ok();
        assertThat(packs(d.resolve("s"), ".capack")).hasSize(1);
        jcasync(d, "extract", "--store=s", "v3.caibx", "out.bin").ok();
        assertSameBytes(d.resolve("v3.bin"), d.resolve("out.bin"));
    }

    @Test
    void treeIndexesUsePacksToo() throws Exception {
        Path d = Files.createDirectory(shared.resolve("tree"));
        Path t = Files.createDirectories(d.resolve("t/sub"));
        Files.write(t.resolve("a.bin"), random(303, 500_000));
        Files.write(d.resolve("t/b.txt"), "hello\n".getBytes());
        jcasync(d, "make", "--store=s", "--packs=only", "t.caidx", "t").ok();
        Tools.Result x = jcasync(d, "extract", "--store=s", "t.caidx", "out").ok();
        assertThat(packRequests(x)).isPositive();
        assertThat(casync(d, "mtree", "out").ok().out()).isEqualTo(casync(d, "mtree", "t").ok().out());
        assertThat(jcasync(d, "list", "--store=s", "t.caidx").ok().out()).contains("sub/a.bin");
    }
}
