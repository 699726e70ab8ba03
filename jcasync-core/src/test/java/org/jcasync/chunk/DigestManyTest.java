package org.jcasync.chunk;

import org.jcasync.chunk.NativeLibrary.Isa;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * {@link DigestAlgorithm#digestMany} and the native multi-buffer digests behind it, against the JDK's digests. Each
 * native path (SHA-512/256 with AVX-512 and AVX2, SHA-256 with SHA-NI) is called directly, so every batch shape
 * reaches it whatever the heuristic picks, and is skipped with the reason where this CPU lacks it; the public method
 * is checked for both algorithms with whatever this process chose.
 */
class DigestManyTest {
    /** Lengths around the padding edges: 111 is the last with one padding block, 112 the first with two. */
    private static final int[] EDGE_LENGTHS = {0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 383, 384, 385};

    private static byte[] buf;

    @BeforeAll
    static void data() {
        buf = TestData.random(7, 5 << 20);
    }

    /** A batch of message ranges into {@link #buf}. */
    private record Batch(long[] offs, long[] lens) {
        int n() {
            return offs.length;
        }
    }

    /** A native path of one algorithm, or (path null) the public method as this process runs it. */
    record Lanes(DigestAlgorithm alg, Isa path) {
        @Override
        public String toString() {
            return alg.casyncName() + " " + (path == null ? "digestMany" : path.label);
        }
    }

    static Stream<Lanes> lanes() {
        return Stream.of(new Lanes(DigestAlgorithm.SHA512_256, Isa.AVX512), new Lanes(DigestAlgorithm.SHA512_256,
                Isa.AVX2), new Lanes(DigestAlgorithm.SHA256, Isa.SHANI), new Lanes(DigestAlgorithm.SHA512_256, null),
                new Lanes(DigestAlgorithm.SHA256, null));
    }

    /** Skips the test, saying why, when this CPU does not run the lanes' path. */
    private static void assumeRuns(Lanes lanes) {
        if (lanes.path() != null) {
            TestData.assumeRuns(NativeMultiBuffer.runs(lanes.alg(), lanes.path()), "multi-buffer " + lanes);
        }
    }

    private static byte[] expected(DigestAlgorithm alg, Batch b) throws Exception {
        MessageDigest md = alg.newDigest();
        byte[] out = new byte[32 * b.n()];
        for (int i = 0; i < b.n(); i++) {
            md.update(buf, (int) b.offs()[i], (int) b.lens()[i]);
            md.digest(out, 32 * i, 32);
        }
        return out;
    }

    /** Checks the batch through the lanes' native path, or the public method. */
    private static void check(Lanes lanes, String what, Batch b) throws Exception {
        byte[] out = new byte[32 * b.n()];
        if (lanes.path() == null) {
            lanes.alg().digestMany(buf, b.offs(), b.lens(), b.n(), out);
        } else {
            NativeMultiBuffer.digest(lanes.alg(), lanes.path(), buf, b.offs(), b.lens(), b.n(), out);
        }
        assertDigests(lanes + " " + what, b, out, expected(lanes.alg(), b));
    }

    private static void assertDigests(String what, Batch b, byte[] actual, byte[] expected) {
        for (int i = 0; i < b.n(); i++) {
            assertThat(Arrays.copyOfRange(actual, 32 * i, 32 * i + 32))
                    .as("%s: message %d of %d, offset %d, length %d", what, i, b.n(), b.offs()[i], b.lens()[i])
                    .isEqualTo(Arrays.copyOfRange(expected, 32 * i, 32 * i + 32));
        }
    }

    /** n messages of the given lengths at random (mostly odd) offsets. */
    private static Batch at(Random r, long... lens) {
        long[] offs = new long[lens.length];
        for (int i = 0; i < lens.length; i++) {
            offs[i] = r.nextInt((int) (buf.length - lens[i] + 1));
        }
        return new Batch(offs, lens);
    }

    @ParameterizedTest
    @MethodSource("lanes")
    void everyBatchSizeUpTo40WithEdgeLengths(Lanes lanes) throws Exception {
        assumeRuns(lanes);
        Random r = new Random(1);
        for (int n = 1; n <= 40; n++) {
            long[] lens = new long[n];
            for (int i = 0; i < n; i++) {
                // Cycle through the edge lengths from a different start for each n, plus one longer message.
                lens[i] = i == n / 2 ? 1000 + r.nextInt(5000) : EDGE_LENGTHS[(i + n) % EDGE_LENGTHS.length];
            }
            check(lanes, "n=" + n, at(r, lens));
        }
    }

    @ParameterizedTest
    @MethodSource("lanes")
    void eachEdgeLengthAloneAndInEightLanes(Lanes lanes) throws Exception {
        assumeRuns(lanes);
        Random r = new Random(2);
        for (int len : EDGE_LENGTHS) {
            check(lanes, "one of " + len, at(r, len));
            long[] lens = new long[8];
            Arrays.fill(lens, len);
            check(lanes, "eight of " + len, at(r, lens));
        }
    }

    @ParameterizedTest
    @MethodSource("lanes")
    void randomLengthsUpTo300KiB(Lanes lanes) throws Exception {
        assumeRuns(lanes);
        Random r = new Random(3);
        for (int round = 0; round < 6; round++) {
            long[] lens = new long[1 + r.nextInt(40)];
            for (int i = 0; i < lens.length; i++) {
                lens[i] = r.nextInt(300 << 10);
            }
            check(lanes, "random round " + round, at(r, lens));
        }
    }

    @ParameterizedTest
    @MethodSource("lanes")
    void overlappingAndDuplicateRanges(Lanes lanes) throws Exception {
        assumeRuns(lanes);
        long[] offs = {0, 0, 1, 3, 3, 3, 1000, 1001, 1001, 65_537, 0};
        long[] lens = {70_000, 70_000, 69_999, 5000, 5000, 0, 100_000, 64, 100_000, 128, 1};
        check(lanes, "overlapping", new Batch(offs, lens));
    }

    @ParameterizedTest
    @MethodSource("lanes")
    void oneHugeMessageAmongManyTinyOnes(Lanes lanes) throws Exception {
        assumeRuns(lanes);
        Random r = new Random(4);
        long[] lens = new long[61];
        for (int i = 0; i < lens.length; i++) {
            lens[i] = r.nextInt(300);
        }
        lens[17] = 4 << 20;
        check(lanes, "4 MiB among tiny", at(r, lens));
    }

    @ParameterizedTest
    @MethodSource("lanes")
    void typicalChunkBatch(Lanes lanes) throws Exception {
        assumeRuns(lanes);
        // What make hands over: 64 chunks of 16..256 KiB, back to back.
        Random r = new Random(5);
        long[] offs = new long[64];
        long[] lens = new long[64];
        long pos = 3;
        for (int i = 0; i < 64; i++) {
            offs[i] = pos;
            lens[i] = (16 << 10) + r.nextInt(48 << 10);
            pos += lens[i];
        }
        check(lanes, "chunks", new Batch(offs, lens));
    }

    @Test
    void emptyBatchAndBadRanges() {
        byte[] out = new byte[64];
        DigestAlgorithm.SHA512_256.digestMany(buf, new long[0], new long[0], 0, new byte[0]);
        long[] two = {0, 0};
        assertThatThrownBy(() -> DigestAlgorithm.SHA512_256.digestMany(buf, two, new long[] {1, buf.length + 1L}, 2,
                out)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> DigestAlgorithm.SHA512_256.digestMany(buf, new long[] {-1, 0}, two, 2, out))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> DigestAlgorithm.SHA512_256.digestMany(buf, two, new long[] {-1, 1}, 2, out))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> DigestAlgorithm.SHA512_256.digestMany(buf, two, two, 3, new byte[96]))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> DigestAlgorithm.SHA512_256.digestMany(buf, two, two, 2, new byte[63]))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void multiBufferOnlyWhenTheLongestMessageIsAtMostItsShare() {
        assertThat(DigestAlgorithm.worthMultiBuffer(1, 100, 100, 2)).isFalse();
        assertThat(DigestAlgorithm.worthMultiBuffer(2, 100, 200, 2)).isTrue();
        assertThat(DigestAlgorithm.worthMultiBuffer(2, 101, 200, 2)).isFalse();
        assertThat(DigestAlgorithm.worthMultiBuffer(2, 100, 200, 3)).isFalse();
        assertThat(DigestAlgorithm.worthMultiBuffer(3, 100, 300, 3)).isTrue();
        assertThat(DigestAlgorithm.worthMultiBuffer(64, 256 << 10, 4 << 20, 3)).isTrue();
        assertThat(DigestAlgorithm.worthMultiBuffer(61, 4 << 20, (4 << 20) + 9000, 2)).isFalse();
    }

    /**
     * Where the build produced the library, each algorithm's batches must use the fastest path this CPU runs, as
     * /proc/cpuinfo tells: otherwise a broken library, loader or CPU check would silently fall back and only cost
     * speed.
     */
    @Test
    void theFastestPathLoadsWhereItCan() throws Exception {
        assumeThat(NativeLibrary.class.getResource(NativeLibrary.RESOURCE))
                .as("library built (a C compiler was present)").isNotNull();
        assumeThat(Boolean.getBoolean("jcasync.noNativeSha")).isFalse();
        assumeThat(System.getProperty(NativeLibrary.CPU_PROPERTY)).isNull();
        String flags = TestData.cpuFlags();
        Isa sha512 = flags.contains(" avx512f ") && flags.contains(" avx512bw ") ? Isa.AVX512
                : flags.contains(" avx2 ") ? Isa.AVX2 : null;
        assertThat(NativeMultiBuffer.path(DigestAlgorithm.SHA512_256)).as("CPU flags%s", flags).isEqualTo(sha512);
        assertThat(DigestAlgorithm.nativeMultiBuffer()).isEqualTo(sha512 != null);
        assertThat(DigestAlgorithm.SHA512_256.multiBufferLanes()).isEqualTo(sha512 == null ? 1
                : sha512 == Isa.AVX512 ? 8 : 4);
        Isa sha256 = flags.contains(" sha_ni ") ? Isa.SHANI : null;
        assertThat(NativeMultiBuffer.path(DigestAlgorithm.SHA256)).as("CPU flags%s", flags).isEqualTo(sha256);
        assertThat(DigestAlgorithm.SHA256.multiBufferLanes()).isEqualTo(sha256 == null ? 1 : 4);
    }

    /** A path this CPU lacks, or one the algorithm does not have, is refused before it is called. */
    @Test
    void aPathThisCpuLacksIsRefused() {
        long[] one = {0};
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            for (Isa path : Isa.values()) {
                if (!NativeMultiBuffer.runs(alg, path)) {
                    assertThatThrownBy(() -> NativeMultiBuffer.digest(alg, path, buf, one, one, 1, new byte[32]))
                            .as("%s %s", alg, path).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("does not run here");
                }
            }
        }
    }

    /**
     * With {@code -Djcasync.noNativeSha=true} the native digest stays unloaded and digestMany gives the same
     * digests. The property is read once per class loader, so the check runs the classes in a fresh one.
     */
    @Test
    void propertyTurnsTheNativeDigestOffWithSameResults() throws Exception {
        Random r = new Random(6);
        Batch b = at(r, 0, 1, 112, 128, 129, 70_000, 65_536, 65_536, 20_000, 300_000, 5, 17);
        byte[] expected = expected(DigestAlgorithm.SHA512_256, b);
        TestData.withSwitchOn("jcasync.noNativeSha", fresh -> {
            Class<?> alg = fresh.loadClass(DigestAlgorithm.class.getName());
            assertThat(alg).isNotSameAs(DigestAlgorithm.class);
            assertThat(alg.getMethod("nativeMultiBuffer").invoke(null)).isEqualTo(false);
            Object sha512 = alg.getField("SHA512_256").get(null);
            byte[] out = new byte[32 * b.n()];
            alg.getMethod("digestMany", byte[].class, long[].class, long[].class, int.class, byte[].class)
                    .invoke(sha512, buf, b.offs(), b.lens(), b.n(), out);
            assertDigests("fallback", b, out, expected);
        });
    }
}
