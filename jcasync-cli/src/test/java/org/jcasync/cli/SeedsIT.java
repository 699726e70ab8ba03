package org.jcasync.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.jcasync;

/** Extract with seeds, the existing output, a cache, in place and to stdout; the report lines and JSON. */
class SeedsIT {
    @TempDir
    static Path shared;
    static Path oldBlob;
    static Path newBlob;
    static Path index;
    static Path store;
    static int chunks;

    @BeforeAll
    static void blobs() throws Exception {
        // OLD: 6 MiB random. NEW: OLD with 100 bytes inserted near the start and 4 KiB changed in the middle.
        byte[] old = random(100, 6 << 20);
        byte[] neu = new byte[old.length + 100];
        System.arraycopy(old, 0, neu, 0, 1000);
        System.arraycopy(random(101, 100), 0, neu, 1000, 100);
        System.arraycopy(old, 1000, neu, 1100, old.length - 1000);
        System.arraycopy(random(102, 4096), 0, neu, neu.length / 2, 4096);
        oldBlob = shared.resolve("old.bin");
        newBlob = shared.resolve("new.bin");
        Files.write(oldBlob, old);
        Files.write(newBlob, neu);
        jcasync(shared, "make", "--store=s.castr", "new.caibx", "new.bin").ok();
        index = shared.resolve("new.caibx");
        store = shared.resolve("s.castr");
        chunks = ItFiles.indexIds(index).size();
        assertThat(chunks).isGreaterThan(50);
    }

    /** The counts of the one "jcasync: extract: ..." report line on stderr. */
    static Map<String, Long> report(String stderr) {
        List<String> lines = stderr.lines().filter(l -> l.startsWith("jcasync: extract: ")).toList();
        assertThat(lines).as("report lines in stderr:\n" + stderr).hasSize(1);
        String l = lines.get(0);
        Map<String, Long> m = new LinkedHashMap<>();
        for (String key : List.of("chunks", "in place", "from seeds", "zero", "from cache", "from store")) {
            Matcher x = Pattern.compile("(\\d+) " + Pattern.quote(key) + "\\b").matcher(l);
            assertThat(x.find()).as("'" + key + "' in " + l).isTrue();
            m.put(key, Long.parseLong(x.group(1)));
        }
        assertThat(m.get("in place") + m.get("from seeds") + m.get("zero") + m.get("from cache")
                + m.get("from store")).as("sources add up: " + l).isEqualTo(m.get("chunks"));
        assertThat(m.get("chunks")).isEqualTo(chunks);
        return m;
    }

    /** {@code extract --store=<shared store> OPTS}. */
    private static String[] extract(String... opts) {
        return concat(new String[] {"extract", "--store=" + store}, opts);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void seedGivesTheRightBytesAndMostChunks(@TempDir Path dir) throws Exception {
        Tools.Result r = jcasync(dir, concat(extract("--seed=" + oldBlob), index.toString(), "out.bin")).ok();
        assertSameBytes(newBlob, dir.resolve("out.bin"));
        Map<String, Long> m = report(r.err());
        assertThat(m.get("from seeds")).as(r.err()).isGreaterThanOrEqualTo(chunks - 4L);
        assertThat(m.get("from store")).as(r.err()).isBetween(1L, 4L);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void existingOutputIsASeedUnlessSeedOutputNo(@TempDir Path dir) throws Exception {
        Files.copy(oldBlob, dir.resolve("out.bin"));
        Tools.Result r = jcasync(dir, concat(extract(), index.toString(), "out.bin")).ok();
        assertSameBytes(newBlob, dir.resolve("out.bin"));
        assertThat(report(r.err()).get("from seeds")).as(r.err()).isGreaterThanOrEqualTo(chunks - 4L);

        Files.copy(oldBlob, dir.resolve("out2.bin"));
        Tools.Result n = jcasync(dir, concat(extract("--seed-output=no"), index.toString(), "out2.bin")).ok();
        assertSameBytes(newBlob, dir.resolve("out2.bin"));
        Map<String, Long> m = report(n.err());
        assertThat(m.get("from seeds")).as(n.err()).isZero();
        assertThat(m.get("from store")).as(n.err()).isEqualTo(chunks);
    }

    @Test
    void printStatsPrintsJsonOnStdout(@TempDir Path dir) throws Exception {
        Tools.Result r = jcasync(dir, concat(extract("--print-stats", "--seed=" + oldBlob), index.toString(),
                "out.bin")).ok();
        assertSameBytes(newBlob, dir.resolve("out.bin"));
        String json = r.out().trim();
        assertThat(json).startsWith("{").endsWith("}").doesNotContain("\n");
        assertThat(json).contains("\"bytes-total\":" + Files.size(newBlob) + ",",
                "\"chunks-total\":" + chunks + ",");
        long seeds = jsonLong(json, "chunks-from-seeds");
        assertThat(seeds).isGreaterThanOrEqualTo(chunks - 4L);
        assertThat(jsonLong(json, "chunks-in-place") + seeds + jsonLong(json, "chunks-zero")
                + jsonLong(json, "chunks-from-cache") + jsonLong(json, "chunks-from-store")).isEqualTo(chunks);
        assertThat(jsonLong(json, "bytes-from-seeds") + jsonLong(json, "bytes-from-store"))
                .isEqualTo(Files.size(newBlob));
        assertThat(report(r.err()).get("from seeds")).isEqualTo(seeds);
    }

    private static long jsonLong(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(\\d+)[,}]").matcher(json);
        assertThat(m.find()).as(key + " in " + json).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void extractToStdoutWritesTheBlob(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("stdout.bin");
        Tools.Result r = Tools.jcasyncStdoutTo(dir, out, concat(extract("--print-stats"), index.toString(), "-"))
                .ok();
        assertSameBytes(newBlob, out);
        // With the blob on stdout, the report and the JSON go to stderr.
        assertThat(report(r.err()).get("from store")).isEqualTo(chunks);
        assertThat(r.err()).contains("\"chunks-total\":" + chunks);
        // No argument at all after the index means stdout too.
        Path out2 = dir.resolve("stdout2.bin");
        Tools.jcasyncStdoutTo(dir, out2, concat(extract(), index.toString())).ok();
        assertSameBytes(newBlob, out2);
    }

    @Test
    void cacheIsFilledAndThenServesWithoutTheStore(@TempDir Path dir) throws Exception {
        Path myStore = dir.resolve("mine.castr");
        ItFiles.copyTree(store, myStore);
        Tools.Result first = jcasync(dir, "extract", "--store=" + myStore, "--cache=cache", index.toString(),
                "one.bin").ok();
        assertSameBytes(newBlob, dir.resolve("one.bin"));
        Map<String, Long> m1 = report(first.err());
        assertThat(m1.get("from cache")).isZero();
        assertThat(m1.get("from store")).isEqualTo(chunks);
        int distinct = new HashSet<>(ItFiles.indexIds(index)).size();
        assertThat(ItFiles.chunkFiles(dir.resolve("cache"))).as("cache filled").hasSize(distinct);

        ItFiles.copyTree(myStore, dir.resolve("moved.castr"));
        deleteTree(myStore);
        Tools.Result second = jcasync(dir, "extract", "--store=" + myStore, "--cache=cache", index.toString(),
                "two.bin").ok();
        assertSameBytes(newBlob, dir.resolve("two.bin"));
        Map<String, Long> m2 = report(second.err());
        assertThat(m2.get("from cache")).isEqualTo(chunks);
        assertThat(m2.get("from store")).isZero();

        // Without the cache the missing store is an error: the cache really was what served the chunks.
        Tools.Result none = jcasync(dir, "extract", "--store=" + myStore, index.toString(), "three.bin");
        assertThat(none.exit()).isNotZero();
        assertThat(dir.resolve("three.bin")).doesNotExist();
    }

    @Test
    void inPlaceKeepsTheCorrectPartsAndFixesTheRest(@TempDir Path dir) throws Exception {
        // The new blob with 20 000 bytes overwritten in the middle and 4000 stale bytes appended.
        Path out = dir.resolve("out.bin");
        Files.copy(newBlob, out);
        ItFiles.writeAt(out, 3_000_000, new byte[20_000]);
        ItFiles.writeAt(out, Files.size(newBlob), random(103, 4000));
        Tools.Result r = jcasync(dir, concat(extract("--in-place"), index.toString(), "out.bin")).ok();
        assertSameBytes(newBlob, out);
        Map<String, Long> m = report(r.err());
        assertThat(m.get("in place")).as(r.err()).isGreaterThanOrEqualTo(chunks - 3L);
        assertThat(m.get("from store")).as(r.err()).isBetween(1L, 3L);

        // A file holding only the first 2 MiB (an interrupted extract) is completed in place.
        Path half = dir.resolve("half.bin");
        Files.write(half, Arrays.copyOf(Files.readAllBytes(newBlob), 2 << 20));
        Tools.Result h = jcasync(dir, concat(extract("--in-place"), index.toString(), "half.bin")).ok();
        assertSameBytes(newBlob, half);
        Map<String, Long> hm = report(h.err());
        assertThat(hm.get("in place")).as(h.err()).isGreaterThan(10L);
        assertThat(hm.get("from store")).as(h.err()).isGreaterThan(10L);
    }

    private static void deleteTree(Path p) throws IOException {
        try (var w = Files.walk(p)) {
            for (Path x : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
