package org.jcasync.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.chunkFiles;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * Byte compatibility with the real casync: same index bytes, same printed digests, and each tool extracts from the
 * other's store, over seeded-random inputs and chunk-size settings.
 */
class CasyncInteropIT {
    @TempDir
    static Path inputsDir;

    /** name -> input file. */
    static final Map<String, Path> INPUTS = new LinkedHashMap<>();

    @BeforeAll
    static void inputs() throws IOException {
        put("empty", new byte[0]);
        put("one-byte", random(1, 1));
        put("5000", random(2, 5000));
        put("150KiB", random(3, 150 * 1024 + 17));
        // 3 MiB: random, a 1.5 MiB zero run written as data (not a hole), random again.
        byte[] z = random(4, 3 << 20);
        Arrays.fill(z, 1 << 20, (1 << 20) + (3 << 19), (byte) 0);
        put("3MiB-zero-run", z);
        // 12 MiB sparse file: truncate, then a few written blocks (one straddling, one at the very end).
        Path sparse = inputsDir.resolve("sparse.bin");
        try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
            f.setLength(12L << 20);
            f.seek((1 << 20) + 123);
            f.write(random(5, 65536));
            f.seek(6L << 20);
            f.write(random(6, 200_000));
            f.seek((12L << 20) - 5000);
            f.write(random(7, 5000));
        }
        INPUTS.put("sparse-12MiB", sparse);
        // 20 MiB: A(8 MiB) B(4 MiB) B C(4 MiB): duplicate chunks inside one blob.
        byte[] big = new byte[20 << 20];
        System.arraycopy(random(8, 8 << 20), 0, big, 0, 8 << 20);
        byte[] b = random(9, 4 << 20);
        System.arraycopy(b, 0, big, 8 << 20, 4 << 20);
        System.arraycopy(b, 0, big, 12 << 20, 4 << 20);
        System.arraycopy(random(10, 4 << 20), 0, big, 16 << 20, 4 << 20);
        put("20MiB", big);
    }

    private static void put(String name, byte[] data) throws IOException {
        Path p = inputsDir.resolve(name + ".bin");
        Files.write(p, data);
        INPUTS.put(name, p);
    }

    static Stream<Arguments> makeCases() {
        return Stream.of(
                Arguments.of("empty", List.of()),
                Arguments.of("one-byte", List.of()),
                Arguments.of("5000", List.of()),
                Arguments.of("5000", List.of("--chunk-size=4K")),
                Arguments.of("5000", List.of("--chunk-size=4096:4096:4096")),
                Arguments.of("150KiB", List.of("--chunk-size=64:128:256")),
                Arguments.of("150KiB", List.of("--chunk-size=48:64:80", "--compression=gzip")),
                Arguments.of("3MiB-zero-run", List.of()),
                Arguments.of("3MiB-zero-run", List.of("--chunk-size=4K")),
                Arguments.of("3MiB-zero-run", List.of("--chunk-size=4096:4096:4096")),
                Arguments.of("3MiB-zero-run", List.of("--digest=sha256")),
                Arguments.of("sparse-12MiB", List.of()),
                Arguments.of("sparse-12MiB", List.of("--chunk-size=4K", "--digest=sha256")),
                Arguments.of("20MiB", List.of()),
                Arguments.of("20MiB", List.of("--chunk-size=8M")),
                Arguments.of("20MiB", List.of("--chunk-size=16M")));
    }

    /**
     * make: identical index bytes, identical stdout, same chunk set in both stores; then each tool extracts from the
     * other's store.
     */
    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("makeCases")
    void makeIsByteCompatibleAndStoresAreInterchangeable(String input, List<String> opts, @TempDir Path dir)
            throws Exception {
        Path in = INPUTS.get(input);
        Tools.Result c = casync(dir, args(opts, "make", "--store=c.castr", "c.caibx", in.toString())).ok();
        Tools.Result j = jcasync(dir, args(opts, "make", "--store=j.castr", "j.caibx", in.toString())).ok();

        assertSameBytes(dir.resolve("c.caibx"), dir.resolve("j.caibx"));
        assertThat(j.out()).as("jcasync make stdout").isEqualTo(c.out());
        String alg = opts.contains("--digest=sha256") ? "SHA-256" : "SHA-512/256";
        assertThat(j.out()).isEqualTo(ItFiles.digest(in, alg) + "\n");
        assertThat(ItFiles.indexBlobSize(dir.resolve("j.caibx"))).isEqualTo(Files.size(in));
        assertThat(chunkFiles(dir.resolve("j.castr"))).as("chunk files of jcasync's store")
                .isEqualTo(chunkFiles(dir.resolve("c.castr")));
        assertThat(chunkFiles(dir.resolve("j.castr"))).as("one file per distinct chunk")
                .hasSize(new HashSet<>(ItFiles.indexIds(dir.resolve("j.caibx"))).size());

        jcasync(dir, "extract", "--store=c.castr", "c.caibx", "from-casync-store.out").ok();
        assertSameBytes(in, dir.resolve("from-casync-store.out"));
        casync(dir, "extract", "--store=j.castr", "j.caibx", "from-jcasync-store.out").ok();
        assertSameBytes(in, dir.resolve("from-jcasync-store.out"));

        if (input.startsWith("sparse")) {
            // jcasync punches holes by default, as casync does: the extracted file must be sparse too.
            long inBlocks = allocatedBytes(dir, in);
            Assumptions.assumeTrue(inBlocks < Files.size(in) / 2, "file system keeps no holes");
            assertThat(allocatedBytes(dir, dir.resolve("from-casync-store.out")))
                    .as("allocated bytes of jcasync's extract of a sparse blob").isLessThan(Files.size(in) / 2);
        }
    }

    private static long allocatedBytes(Path dir, Path f) throws Exception {
        Tools.Result r = Tools.run(dir, List.of("stat", "-c", "%b %B", f.toString())).ok();
        String[] p = r.out().trim().split(" ");
        return Long.parseLong(p[0]) * Long.parseLong(p[1]);
    }

    /** Stores written with xz or gzip by either tool are read by the other. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xz", "gzip"})
    void compressedStoresAreReadByTheOtherTool(String compression, @TempDir Path dir) throws Exception {
        Path in = INPUTS.get("3MiB-zero-run");
        String opt = "--compression=" + compression;
        casync(dir, "make", opt, "--store=c.castr", "c.caibx", in.toString()).ok();
        jcasync(dir, "make", opt, "--store=j.castr", "j.caibx", in.toString()).ok();
        assertSameBytes(dir.resolve("c.caibx"), dir.resolve("j.caibx"));
        byte[] magic = compression.equals("xz") ? new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}
                : new byte[] {0x1f, (byte) 0x8b};
        for (String f : chunkFiles(dir.resolve("j.castr"))) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(dir.resolve("j.castr").resolve(f)), magic.length);
            assertThat(head).as("magic of jcasync chunk " + f).isEqualTo(magic);
        }
        assertThat(chunkFiles(dir.resolve("j.castr"))).isEqualTo(chunkFiles(dir.resolve("c.castr")));

        jcasync(dir, "extract", "--store=c.castr", "c.caibx", "j.out").ok();
        assertSameBytes(in, dir.resolve("j.out"));
        casync(dir, "extract", "--store=j.castr", "j.caibx", "c.out").ok();
        assertSameBytes(in, dir.resolve("c.out"));
    }

    static Stream<Arguments> digestCases() {
        List<Arguments> a = new ArrayList<>();
        for (String name : List.of("empty", "one-byte", "5000", "3MiB-zero-run", "sparse-12MiB", "20MiB")) {
            a.add(Arguments.of(name, List.of()));
        }
        for (String name : List.of("empty", "5000", "sparse-12MiB")) {
            a.add(Arguments.of(name, List.of("--digest=sha256")));
        }
        return a.stream();
    }

    /** {@code digest FILE} prints what casync prints (and what the JDK computes). */
    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("digestCases")
    void digestOfFileMatchesCasync(String input, List<String> opts, @TempDir Path dir) throws Exception {
        Path in = INPUTS.get(input);
        Tools.Result c = casync(dir, args(opts, "digest", in.toString())).ok();
        Tools.Result j = jcasync(dir, args(opts, "digest", in.toString())).ok();
        assertThat(j.out()).isEqualTo(c.out());
        assertThat(j.out().trim()).isEqualTo(ItFiles.digest(in, opts.isEmpty() ? "SHA-512/256" : "SHA-256"));
    }

    /** {@code digest --store=S X.caibx}: always SHA-512/256 of the blob, even for a sha256 index (as casync). */
    @Test
    void digestOfIndexMatchesCasync(@TempDir Path dir) throws Exception {
        Path in = INPUTS.get("3MiB-zero-run");
        casync(dir, "make", "--store=s.castr", "d.caibx", in.toString()).ok();
        casync(dir, "make", "--digest=sha256", "--store=s.castr", "s.caibx", in.toString()).ok();
        String want = ItFiles.digest(in, "SHA-512/256");
        for (String idx : List.of("d.caibx", "s.caibx")) {
            Tools.Result c = casync(dir, "digest", "--store=s.castr", idx).ok();
            Tools.Result j = jcasync(dir, "digest", "--store=s.castr", idx).ok();
            assertThat(j.out()).as(idx).isEqualTo(c.out());
            assertThat(j.out()).as(idx).isEqualTo(want + "\n");
        }
    }

    /** Without --store both tools use default.castr beside the index, and read each other's default store. */
    @Test
    void defaultStoreBesideTheIndex(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(System.getenv("CASYNC_STORE") == null, "CASYNC_STORE is set");
        Path in = INPUTS.get("3MiB-zero-run");
        Files.createDirectories(dir.resolve("c"));
        Files.createDirectories(dir.resolve("j"));
        casync(dir, "make", "c/x.caibx", in.toString()).ok();
        jcasync(dir, "make", "j/x.caibx", in.toString()).ok();
        assertSameBytes(dir.resolve("c/x.caibx"), dir.resolve("j/x.caibx"));
        assertThat(dir.resolve("j/default.castr")).isDirectory();
        assertThat(dir.resolve("default.castr")).doesNotExist();
        assertThat(chunkFiles(dir.resolve("j/default.castr"))).isNotEmpty()
                .isEqualTo(chunkFiles(dir.resolve("c/default.castr")));

        jcasync(dir, "extract", "c/x.caibx", "j.out").ok();
        assertSameBytes(in, dir.resolve("j.out"));
        casync(dir, "extract", "j/x.caibx", "c.out").ok();
        assertSameBytes(in, dir.resolve("c.out"));
        // In the index's own directory: ./default.castr.
        jcasync(dir.resolve("j"), "extract", "x.caibx", "here.out").ok();
        assertSameBytes(in, dir.resolve("j/here.out"));
    }

    /** Options may stand before the verb, with "=" or as a separate argument, as with casync's getopt. */
    @Test
    void optionsBeforeTheVerb(@TempDir Path dir) throws Exception {
        Path in = INPUTS.get("3MiB-zero-run");
        Tools.Result c = casync(dir, "--store=c.castr", "--chunk-size", "4K", "make", "c.caibx", in.toString()).ok();
        Tools.Result j = jcasync(dir, "--store=j.castr", "--chunk-size", "4K", "make", "j.caibx", in.toString())
                .ok();
        assertThat(j.out()).isEqualTo(c.out());
        assertSameBytes(dir.resolve("c.caibx"), dir.resolve("j.caibx"));
        assertThat(dir.resolve("j.castr")).isDirectory();
        assertThat(dir.resolve("default.castr")).doesNotExist();

        jcasync(dir, "--store", "c.castr", "-v", "extract", "c.caibx", "x.out").ok();
        assertSameBytes(in, dir.resolve("x.out"));
        Tools.Result d = jcasync(dir, "--digest", "sha256", "digest", in.toString()).ok();
        assertThat(d.out().trim()).isEqualTo(ItFiles.digest(in, "SHA-256"));
    }

    /** gc -n prints casync's line and removes nothing; gc -v leaves exactly the chunks of the kept index. */
    @Test
    void gcMatchesCasync(@TempDir Path dir) throws Exception {
        Path a = INPUTS.get("3MiB-zero-run");
        // "ab": all of a, then 1 MiB more: shares most chunks with a, but not all.
        byte[] ab = Files.readAllBytes(a);
        ab = Arrays.copyOf(ab, ab.length + (1 << 20));
        System.arraycopy(random(20, 1 << 20), 0, ab, ab.length - (1 << 20), 1 << 20);
        Path abFile = dir.resolve("ab.bin");
        Files.write(abFile, ab);
        Path five = INPUTS.get("5000");
        casync(dir, "make", "--store=s.castr", "one.caibx", a.toString()).ok();
        casync(dir, "make", "--store=s.castr", "two.caibx", abFile.toString()).ok();
        casync(dir, "make", "--store=s.castr", "three.caibx", five.toString()).ok();
        ItFiles.copyTree(dir.resolve("s.castr"), dir.resolve("j.castr"));
        SortedSet<String> before = chunkFiles(dir.resolve("j.castr"));

        Tools.Result cn = casync(dir, "gc", "-n", "--store=s.castr", "one.caibx").ok();
        // Without a grace period (casync has none): the chunks were just made.
        Tools.Result jn = jcasync(dir, "gc", "-n", "--grace=0", "--store=j.castr", "one.caibx").ok();
        assertThat(jn.out()).isEqualTo(cn.out()).startsWith("Would remove ").doesNotStartWith("Would remove 0 ");
        assertThat(chunkFiles(dir.resolve("j.castr"))).as("dry run removes nothing").isEqualTo(before);
        Tools.Result cn2 = casync(dir, "gc", "-n", "--store=s.castr", "one.caibx", "three.caibx").ok();
        Tools.Result jn2 = jcasync(dir, "gc", "-n", "--grace=0", "--store=j.castr", "one.caibx", "three.caibx")
                .ok();
        assertThat(jn2.out()).isEqualTo(cn2.out()).isNotEqualTo(jn.out());

        Tools.Result cv = casync(dir, "gc", "-v", "--store=s.castr", "one.caibx").ok();
        Tools.Result jv = jcasync(dir, "gc", "-v", "--grace=0", "--store=j.castr", "one.caibx").ok();
        assertThat(sortedLines(jv.out())).isEqualTo(sortedLines(cv.out()));
        Set<String> keep = new TreeSet<>();
        for (String id : ItFiles.indexIds(dir.resolve("one.caibx"))) {
            keep.add(id.substring(0, 4) + "/" + id + ".cacnk");
        }
        assertThat(chunkFiles(dir.resolve("j.castr"))).isEqualTo(keep);
        // Empty directories removed too; jcasync's gc leaves its (empty) lock directory, which casync ignores.
        SortedSet<String> jTree = ItFiles.tree(dir.resolve("j.castr"));
        assertThat(jTree.remove("locks")).isTrue();
        assertThat(jTree).as("empty directories removed too").isEqualTo(ItFiles.tree(dir.resolve("s.castr")));
        jcasync(dir, "extract", "--store=j.castr", "one.caibx", "one.out").ok();
        assertSameBytes(a, dir.resolve("one.out"));
    }

    private static List<String> sortedLines(String s) {
        return s.lines().sorted().toList();
    }

    private static String[] args(List<String> opts, String verb, String... rest) {
        List<String> a = new ArrayList<>();
        a.add(verb);
        a.addAll(opts);
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }
}
