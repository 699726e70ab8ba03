package org.jcasync.blob;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class ParallelCutterTest {
    private static final int MIB = 1 << 20;
    /** Large enough for several 16 MiB sections. */
    private static final int BIG = 70 * MIB;
    private static final String[] BIG_PARAMS = {"4K", "auto", "16M", "4096:4096:4096"};

    private static ExecutorService pool;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        pool = Executors.newFixedThreadPool(3);
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    static long[] cut(Path f, ChunkerParams p, int threads) throws IOException {
        List<Long> out = new ArrayList<>();
        try (BlobSource src = BlobSource.open(f)) {
            new ParallelCutter(src, p, pool, threads).run(out::add);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static Stream<Arguments> smallCases() {
        List<Arguments> out = new ArrayList<>();
        for (int size : new int[] {0, 1, 47, 48, 49, 100 * 1024}) {
            for (String spec : new String[] {"64:128:256", "4K", "auto", "1:1:1", "48:48:49"}) {
                out.add(Arguments.of(size, spec));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} bytes, {1}")
    @MethodSource("smallCases")
    void smallFilesMatchTheReferenceRule(int size, String spec) throws IOException {
        ChunkerParams p = ChunkerParams.parse(spec);
        byte[] data = TestData.random(size * 31L + spec.hashCode(), size);
        Path f = tmp.resolve("small");
        Files.write(f, data);
        long[] expected = TestData.referenceCuts(data, p);
        for (int threads : new int[] {1, 3}) {
            assertThat(cut(f, p, threads)).as("threads %d", threads).isEqualTo(expected);
        }
        if (size == 0) {
            assertThat(expected).isEmpty();
        } else {
            assertThat(expected[expected.length - 1]).isEqualTo(size);
        }
    }

    /** Checks every big-file parameter set with 1 and 3 threads against the reference rule on the file's bytes. */
    private void checkBig(Path f, String... specs) throws IOException {
        byte[] data = Files.readAllBytes(f);
        // The byte-by-byte reference is the slow part: compute it for all parameter sets at once.
        List<long[]> refs = java.util.Arrays.stream(specs).parallel()
                .map(spec -> TestData.referenceCuts(data, ChunkerParams.parse(spec))).toList();
        for (int k = 0; k < specs.length; k++) {
            ChunkerParams p = ChunkerParams.parse(specs[k]);
            long[] expected = refs.get(k);
            assertThat(expected[expected.length - 1]).isEqualTo(data.length);
            for (int i = 1; i < expected.length; i++) {
                assertThat(expected[i] - expected[i - 1]).isBetween(1L, (long) p.max());
            }
            for (int threads : new int[] {1, 3}) {
                assertThat(cut(f, p, threads)).as("%s threads %d", specs[k], threads).isEqualTo(expected);
            }
        }
    }

    @Test
    void bigRandomFile() throws IOException {
        Path f = tmp.resolve("random");
        Files.write(f, TestData.random(70, BIG + 12345));
        checkBig(f, BIG_PARAMS);
    }

    @Test
    void sparseFileWithHolesAcrossSectionBoundaries() throws IOException {
        Path f = tmp.resolve("sparse");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(BIG + 999);
            raf.seek(0);
            raf.write(TestData.random(1, MIB));
            raf.seek(20L * MIB + 12345);
            raf.write(TestData.random(2, 3 * MIB));
            raf.seek(50L * MIB - 50);
            raf.write(TestData.random(3, 100));
            raf.seek(66L * MIB + 7);
            raf.write(TestData.random(4, MIB / 2));
        }
        try (BlobSource src = BlobSource.open(f)) {
            assumeThat(src.dataBytes()).as("file system keeps holes").isLessThan(src.size());
            // Section boundaries (multiples of 16 MiB) lie in holes.
            assertThat(src.isHole(16L * MIB - 4096, 16L * MIB + 4096)).isTrue();
            assertThat(src.isHole(32L * MIB - 4096, 32L * MIB + 4096)).isTrue();
        }
        checkBig(f, "auto", "4096:4096:4096");
    }

    @Test
    void fileThatIsOneBigHole() throws IOException {
        Path f = tmp.resolve("hole");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(BIG + 1);
        }
        try (BlobSource src = BlobSource.open(f)) {
            assumeThat(src.dataBytes()).isZero();
        }
        checkBig(f, "auto");
    }

    @Test
    void zeroRunWrittenAsData() throws IOException {
        byte[] data = TestData.random(5, BIG);
        java.util.Arrays.fill(data, 10 * MIB + 777, 50 * MIB + 777, (byte) 0);
        Path f = tmp.resolve("zeros");
        Files.write(f, data);
        try (BlobSource src = BlobSource.open(f)) {
            assertThat(src.dataBytes()).as("zeros written as data are not holes").isEqualTo(src.size());
        }
        checkBig(f, "4K", "auto");
    }

    @Test
    void repetitiveDataWithoutContentCutsOnlyForcedCuts() throws IOException {
        // A short repeating pattern can make a window whose hash never hits: every cut is forced at max, so
        // section-local chains only meet because sections are multiples of max.
        byte[] data = new byte[BIG];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 251 == 0 ? 1 : 0);
        }
        Path f = tmp.resolve("pattern");
        Files.write(f, data);
        checkBig(f, "auto");
    }
}
