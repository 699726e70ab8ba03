package org.jcasync.chunk;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * {@link DigestAlgorithm#digestMany} and the native multi-buffer SHA-512/256 behind it, against the JDK's
 * digests. The native code is called both directly (so every batch shape reaches it, whatever the heuristic
 * picks) and through the public method.
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

    private static byte[] expected(String jcaName, Batch b) throws Exception {
        MessageDigest md = MessageDigest.getInstance(jcaName);
        byte[] out = new byte[32 * b.n()];
        for (int i = 0; i < b.n(); i++) {
            md.update(buf, (int) b.offs()[i], (int) b.lens()[i]);
            md.digest(out, 32 * i, 32);
        }
        return out;
    }

    /** Checks the batch through the native code (when loaded) and both algorithms' public method. */
    private static void check(String what, Batch b) throws Exception {
        byte[] sha512 = expected("SHA-512/256", b);
        if (NativeSha512Many.available()) {
            byte[] out = new byte[32 * b.n()];
            NativeSha512Many.digest(buf, b.offs(), b.lens(), b.n(), out);
            assertDigests("native " + what, b, out, sha512);
        }
        byte[] out = new byte[32 * b.n()];
        DigestAlgorithm.SHA512_256.digestMany(buf, b.offs(), b.lens(), b.n(), out);
        assertDigests("digestMany SHA-512/256 " + what, b, out, sha512);
        DigestAlgorithm.SHA256.digestMany(buf, b.offs(), b.lens(), b.n(), out);
        assertDigests("digestMany SHA-256 " + what, b, out, expected("SHA-256", b));
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

    @Test
    void everyBatchSizeUpTo40WithEdgeLengths() throws Exception {
        Random r = new Random(1);
        for (int n = 1; n <= 40; n++) {
            long[] lens = new long[n];
            for (int i = 0; i < n; i++) {
                // Cycle through the edge lengths from a different start for each n, plus one longer message.
                lens[i] = i == n / 2 ? 1000 + r.nextInt(5000) : EDGE_LENGTHS[(i + n) % EDGE_LENGTHS.length];
            }
            check("n=" + n, at(r, lens));
        }
    }

    @Test
    void eachEdgeLengthAloneAndInEightLanes() throws Exception {
        Random r = new Random(2);
        for (int len : EDGE_LENGTHS) {
            check("one of " + len, at(r, len));
            long[] lens = new long[8];
            Arrays.fill(lens, len);
            check("eight of " + len, at(r, lens));
        }
    }

    @Test
    void randomLengthsUpTo300KiB() throws Exception {
        Random r = new Random(3);
        for (int round = 0; round < 6; round++) {
            long[] lens = new long[1 + r.nextInt(40)];
            for (int i = 0; i < lens.length; i++) {
                lens[i] = r.nextInt(300 << 10);
            }
            check("random round " + round, at(r, lens));
        }
    }

    @Test
    void overlappingAndDuplicateRanges() throws Exception {
        long[] offs = {0, 0, 1, 3, 3, 3, 1000, 1001, 1001, 65_537, 0};
        long[] lens = {70_000, 70_000, 69_999, 5000, 5000, 0, 100_000, 64, 100_000, 128, 1};
        check("overlapping", new Batch(offs, lens));
    }

    @Test
    void oneHugeMessageAmongManyTinyOnes() throws Exception {
        Random r = new Random(4);
        long[] lens = new long[61];
        for (int i = 0; i < lens.length; i++) {
            lens[i] = r.nextInt(300);
        }
        lens[17] = 4 << 20;
        check("4 MiB among tiny", at(r, lens));
    }

    @Test
    void typicalChunkBatch() throws Exception {
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
        check("chunks", new Batch(offs, lens));
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
    void multiBufferOnlyWhenTheLongestMessageIsAtMostHalf() {
        assertThat(DigestAlgorithm.worthMultiBuffer(1, 100, 100)).isFalse();
        assertThat(DigestAlgorithm.worthMultiBuffer(2, 100, 200)).isTrue();
        assertThat(DigestAlgorithm.worthMultiBuffer(2, 101, 200)).isFalse();
        assertThat(DigestAlgorithm.worthMultiBuffer(64, 256 << 10, 4 << 20)).isTrue();
        assertThat(DigestAlgorithm.worthMultiBuffer(61, 4 << 20, (4 << 20) + 9000)).isFalse();
    }

    /**
     * On a machine with AVX-512 whose build produced the library, the native digest must really load: otherwise a
     * broken library or loader would silently fall back and only cost speed.
     */
    @Test
    void nativeDigestLoadsWhereItCan() throws Exception {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        assumeThat(Files.isReadable(cpuinfo)).as("/proc/cpuinfo").isTrue();
        String flags = Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        boolean avx512 = (" " + flags + " ").contains(" avx512f ") && (" " + flags + " ").contains(" avx512bw ");
        assumeThat(avx512).as("CPU with avx512f and avx512bw").isTrue();
        assumeThat(NativeLibrary.class.getResource(NativeLibrary.RESOURCE))
                .as("library built (a C compiler was present)").isNotNull();
        assumeThat(Boolean.getBoolean("jcasync.noNativeSha")).isFalse();
        assertThat(NativeSha512Many.available()).as("native multi-buffer SHA-512/256 loaded").isTrue();
        assertThat(DigestAlgorithm.nativeMultiBuffer()).isTrue();
    }

    /**
     * With {@code -Djcasync.noNativeSha=true} the native digest stays unloaded and digestMany gives the same
     * digests. The property is read once per class loader, so the check runs the classes in a fresh one.
     */
    @Test
    void propertyTurnsTheNativeDigestOffWithSameResults() throws Exception {
        Random r = new Random(6);
        Batch b = at(r, 0, 1, 112, 128, 129, 70_000, 65_536, 65_536, 20_000, 300_000, 5, 17);
        byte[] expected = expected("SHA-512/256", b);
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
