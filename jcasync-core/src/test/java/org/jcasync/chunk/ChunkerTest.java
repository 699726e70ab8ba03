package org.jcasync.chunk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class ChunkerTest {

    static long[] cuts(byte[] data, ChunkerParams p, int bufSize) {
        return cuts(data, new Chunker(p), bufSize);
    }

    /** Cuts of {@code data} fed to {@code c} in copies of {@code bufSize} bytes. */
    static long[] cuts(byte[] data, Chunker c, int bufSize) {
        List<Long> out = new ArrayList<>();
        long base = 0;
        for (int off = 0; off < data.length; off += bufSize) {
            int to = Math.min(data.length, off + bufSize);
            byte[] buf = java.util.Arrays.copyOfRange(data, off, to);
            int pos = 0;
            while (pos < buf.length) {
                int r = c.next(buf, pos, buf.length);
                if (r < 0) {
                    break;
                }
                out.add(base + r);
                pos = r;
            }
            base += buf.length;
        }
        if (c.pending() > 0) {
            out.add((long) data.length);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** The hot loops: Java's and the native ones. */
    static final String[] LOOPS = {"java", "scalar", "avx2", "avx512"};

    /** A chunker with the given hot loop; skips the test, saying why, when this CPU does not run that loop. */
    static Chunker chunker(ChunkerParams p, String loop) {
        if (loop.equals("java")) {
            return new Chunker(p, null);
        }
        NativeLibrary.Isa path = NativeLibrary.Isa.valueOf(loop.toUpperCase(Locale.ROOT));
        NativeChunkerTest.assumeLoop(path);
        return new Chunker(p, path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "scalar", "avx2", "avx512"})
    void goldenVectorDefaultParams(String loop) throws Exception {
        long[] cuts = cuts(TestData.sha256ctr4M(), chunker(ChunkerParams.DEFAULT, loop), 1 << 20);
        assertThat(cuts).hasSize(63);
        assertThat(java.util.Arrays.copyOf(cuts, 8))
                .containsExactly(80921, 138220, 187412, 237372, 296795, 348909, 437333, 483751);
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "scalar", "avx2", "avx512"})
    void goldenVector4K(String loop) throws Exception {
        long[] cuts = cuts(TestData.sha256ctr4M(), chunker(ChunkerParams.parse("4K"), loop), 1 << 20);
        assertThat(cuts).hasSize(1049);
        assertThat(java.util.Arrays.copyOf(cuts, 8))
                .containsExactly(10613, 12445, 14923, 17919, 21763, 25260, 27351, 29499);
    }

    static Stream<Arguments> specsAndLoops() {
        return Stream.of("64:128:256", "48:64:80", "1K", "16:64:256", "100:100:100", "1:1:1", "1:2:200", "4K",
                "47:50:60", "48:48:49", "64K").flatMap(spec -> Stream.of(LOOPS).map(loop -> Arguments.of(spec, loop)));
    }

    @ParameterizedTest
    @MethodSource("specsAndLoops")
    void matchesReferenceRuleOnRandomDataAndAnyBufferSize(String spec, String loop) {
        ChunkerParams p = ChunkerParams.parse(spec);
        Random r = new Random(spec.hashCode());
        for (int round = 0; round < 3; round++) {
            byte[] data = new byte[200_000 + r.nextInt(100_000)];
            r.nextBytes(data);
            if (round == 2) {
                java.util.Arrays.fill(data, 50_000, 150_000, (byte) 0);
            }
            long[] expected = TestData.referenceCuts(data, p);
            for (int buf : new int[] {1, 7, 47, 48, 49, 4096, 65536, data.length}) {
                assertThat(cuts(data, chunker(p, loop), buf)).as("buffer %d", buf).isEqualTo(expected);
            }
        }
    }

    @Test
    void theNativeLoopIsUsedWhereTheLibraryWasBuilt() {
        assumeThat(NativeLibrary.class.getResource(NativeLibrary.RESOURCE)).isNotNull();
        assumeThat(Boolean.getBoolean("jcasync.noNativeChunker")).isFalse();
        assumeThat(System.getProperty(NativeLibrary.CPU_PROPERTY)).isNotEqualTo("java");
        assertThat(NativeChunker.available()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"16K:64K:256K", "2K:8K:32K", "512:1K:2K", "600:700:900"})
    void lowEntropyDataCutsLikeTheReference(String spec) {
        ChunkerParams p = ChunkerParams.parse(spec);
        Random r = new Random(spec.hashCode());
        // Text-like lines, a repeated block, a run of one byte and random bytes, 2 MB in all.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while (out.size() < 600_000) {
            out.writeBytes(("line " + r.nextInt(5000) + ": the quick brown fox\n").getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII));
        }
        byte[] block = new byte[3000];
        r.nextBytes(block);
        for (int i = 0; i < 200; i++) {
            out.writeBytes(block);
        }
        byte[] run = new byte[300_000];
        java.util.Arrays.fill(run, (byte) 0x5a);
        out.writeBytes(run);
        byte[] tail = new byte[500_000];
        r.nextBytes(tail);
        out.writeBytes(tail);
        byte[] data = out.toByteArray();
        long[] expected = TestData.referenceCuts(data, p);
        for (int buf : new int[] {600, 4096, 65536, 1 << 20, data.length}) {
            assertThat(cuts(data, p, buf)).as("buffer %d", buf).isEqualTo(expected);
        }
    }

    @Test
    void cutAtExactlyMinIsPossible() {
        // Search random data for a chunk that ends exactly at min: desync got this case wrong.
        ChunkerParams p = ChunkerParams.parse("64:128:256");
        byte[] data = TestData.random(7, 2_000_000);
        long[] c = TestData.referenceCuts(data, p);
        boolean found = false;
        for (int i = 1; i < c.length; i++) {
            if (c[i] - c[i - 1] == 64) {
                found = true;
                break;
            }
        }
        assertThat(found).isTrue();
        assertThat(cuts(data, p, 65536)).isEqualTo(c);
    }

    @Test
    void divisionFreeCutTestEqualsModulo() {
        Random r = new Random(1);
        for (String spec : new String[] {"64K", "4K", "1K", "8M", "16M", "1:2:3", "16384:16384:65536"}) {
            ChunkerParams p = ChunkerParams.parse(spec);
            Chunker c = new Chunker(p);
            int d = p.discriminator();
            int[] edge = {0, 1, -1, -2, d - 1, d, d + 1, 2 * d - 1, Integer.MAX_VALUE, Integer.MIN_VALUE};
            for (int h : edge) {
                assertThat(c.isCut(h)).isEqualTo(Integer.remainderUnsigned(h, d) == d - 1);
            }
            for (int i = 0; i < 2_000_000; i++) {
                int h = r.nextInt();
                assertThat(c.isCut(h)).isEqualTo(Integer.remainderUnsigned(h, d) == d - 1);
                int m = (int) ((long) (r.nextInt() & 0x7fffffff) / d * d + d - 1);
                assertThat(c.isCut(m)).isEqualTo(Integer.remainderUnsigned(m, d) == d - 1);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"64K", "4K", "1K", "100:100:100", "48:64:80", "16:64:256"})
    void zeroRunsSkippedArithmeticallyGiveTheSameCuts(String spec) {
        ChunkerParams p = ChunkerParams.parse(spec);
        byte[] data = TestData.random(3, 3_000_000);
        java.util.Arrays.fill(data, 100_000, 2_900_000, (byte) 0);
        long[] expected = TestData.referenceCuts(data, p);
        Chunker c = new Chunker(p);
        List<Long> got = new ArrayList<>();
        // data [0,100000) real, zeros via nextZeros, then real tail.
        int pos = 0;
        while (true) {
            int r = c.next(data, pos, 100_000);
            if (r < 0) {
                break;
            }
            got.add((long) r);
            pos = r;
        }
        long z = 100_000;
        long left = 2_800_000;
        while (left > 0) {
            long r = c.nextZeros(left);
            if (r < 0) {
                z += left;
                break;
            }
            z += r;
            left -= r;
            got.add(z);
        }
        pos = 2_900_000;
        while (pos < data.length) {
            int r = c.next(data, pos, data.length);
            if (r < 0) {
                break;
            }
            got.add((long) r);
            pos = r;
        }
        if (c.pending() > 0) {
            got.add((long) data.length);
        }
        assertThat(got.stream().mapToLong(Long::longValue).toArray()).isEqualTo(expected);
    }
}
