package org.jcasync.chunk;

import org.jcasync.chunk.NativeLibrary.Isa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The native hot loops (every one this CPU runs: AVX-512 VBMI, AVX2, scalar; the others are reported as skipped)
 * against the Java one and against the plain reference rule.
 */
class NativeChunkerTest {
    /** min 1..64, avg 64..1 MiB, max up to 16 MiB; "64:64:128" has a power-of-two discriminator (64). */
    private static final String[] SPECS = {"1:64:256", "1:64:64K", "16:64:256", "47:64:100", "48:64:80", "64:64:128",
            "64:64:64", "1:1K:4K", "32:1K:1M", "48:4K:16K", "64:16K:64K", "64K", "1:64K:16M", "64:256K:1M",
            "64:1M:16M", "256K:1M:16M"};

    /** Skips the test, saying why, unless this CPU runs the native loop {@code path}. */
    static void assumeLoop(Isa path) {
        TestData.assumeRuns(NativeChunker.runs(path), "the " + NativeChunker.label(path) + " chunker loop");
    }

    /**
     * On linux x86-64 with the library built, the native loop must really load and chunkers must use the fastest
     * loop this CPU runs, as /proc/cpuinfo tells: otherwise a broken library, loader or CPU check would silently fall
     * back and only cost speed.
     */
    @Test
    void theFastestLoopLoadsWhereItCan() throws Exception {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        assumeThat(os.startsWith("linux") && System.getProperty("os.arch").equals("amd64")).isTrue();
        assumeThat(NativeLibrary.class.getResource(NativeLibrary.RESOURCE))
                .as("library built (a C compiler was present)").isNotNull();
        assumeThat(Boolean.getBoolean("jcasync.noNativeChunker")).isFalse();
        assumeThat(System.getProperty(NativeLibrary.CPU_PROPERTY)).isNull();
        String flags = TestData.cpuFlags();
        Isa best = flags.contains(" avx512f ") && flags.contains(" avx512bw ") && flags.contains(" avx512vbmi ")
                ? Isa.AVX512 : flags.contains(" avx2 ") ? Isa.AVX2 : Isa.SCALAR;
        assertThat(NativeChunker.path()).as("loop for CPU flags%s", flags).isEqualTo(best);
        assertThat(new Chunker(ChunkerParams.DEFAULT).nativeLoop()).isTrue();
        assertThat(new Chunker(ChunkerParams.DEFAULT, null).nativeLoop()).isFalse();
        for (Isa path : NativeChunker.PATHS) {
            assertThat(NativeChunker.runs(path)).as(path.label).isEqualTo(path == Isa.SCALAR
                    || NativeChunker.PATHS.indexOf(path) >= NativeChunker.PATHS.indexOf(best));
        }
    }

    /** A loop this CPU lacks is refused before it is called (it would kill the process). */
    @Test
    void aLoopThisCpuLacksIsRefused() {
        for (Isa path : NativeChunker.PATHS) {
            if (!NativeChunker.runs(path)) {
                byte[] b = new byte[200];
                assertThatThrownBy(() -> NativeChunker.scan(b, 48, 200, 0, 1, 0, 1, path))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not run here");
                assertThatThrownBy(() -> new Chunker(ChunkerParams.DEFAULT, path))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    /**
     * Each loop against a Java roll written from the rule (plain modulo), on spans of every length from 0 to 400
     * (the vector loops' blocks are 48 and 64 bytes) and some long ones, from random start hashes: same cut position,
     * or the same final hash.
     */
    @ParameterizedTest
    @EnumSource(names = {"AVX512", "AVX2", "SCALAR"})
    void scanEqualsTheRoll(Isa path) {
        assumeLoop(path);
        Random r = new Random(11 + path.ordinal());
        int checked = 0;
        int cuts = 0;
        for (int d : new int[] {1, 2, 3, 48, 64, 1000, 4096, 49_152, 65_536, 200_003, 1 << 24}) {
            long c = Long.divideUnsigned(-1L, d) + 1;
            for (int len = 0; len <= 400; len++) {
                byte[] b = lowEntropy(r, 48 + len + 20);
                int pos = 48 + r.nextInt(10);
                int limit = Math.min(b.length, pos + len);
                int h = r.nextInt();
                long got = NativeChunker.scan(b, pos, limit, h, c, c - 1, d, path);
                long want = roll(b, pos, limit, h, d);
                assertThat(got).as("d %d span %d..%d h %08x", d, pos, limit, h).isEqualTo(want);
                checked++;
                cuts += got >= 0 ? 1 : 0;
            }
            byte[] big = TestData.random(d, 1 << 20);
            int h = r.nextInt();
            long want = roll(big, 48, big.length, h, d);
            assertThat(NativeChunker.scan(big, 48, big.length, h, c, c - 1, d, path)).isEqualTo(want);
        }
        assertThat(cuts).as("some spans cut, some did not").isBetween(100, checked - 100);
    }

    /**
     * The comparison can fail: a start hash one bit off gives another result (here, the hash at the end of a span
     * without a cut), so the loop really carries the hash it is given and returns the one it ends with.
     */
    @ParameterizedTest
    @EnumSource(names = {"AVX512", "AVX2", "SCALAR"})
    void aDifferentHashIsCaught(Isa path) {
        assumeLoop(path);
        int d = 1 << 24;
        long c = Long.divideUnsigned(-1L, d) + 1;
        byte[] b = TestData.random(5, 4096);
        long want = roll(b, 48, 4096, 0x1234_5678, d);
        assertThat(want).as("no cut in this span").isNegative();
        assertThat(NativeChunker.scan(b, 48, 4096, 0x1234_5678, c, c - 1, d, path)).isEqualTo(want);
        assertThat(NativeChunker.scan(b, 48, 4096, 0x1234_5679, c, c - 1, d, path)).isNotEqualTo(want);
        assertThatThrownBy(() -> NativeChunker.scan(b, 47, 4096, 0, c, c - 1, d, path))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> NativeChunker.scan(b, 48, 4097, 0, c, c - 1, d, path))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * A hash of 0xFFFFFFFF makes h + 1 wrap to 0 in 32 bits, which the vector loops' 32-bit filter takes for a
     * multiple of every d: the exact test must reject it unless d is a power of two (2^32 is a multiple of d). The
     * positions include the first and last of the vector loops' blocks.
     */
    @ParameterizedTest
    @EnumSource(names = {"AVX512", "AVX2", "SCALAR"})
    void hashOfAllOnesIsTestedExactly(Isa path) {
        assumeLoop(path);
        byte[] b = TestData.random(9, 1000);
        for (int at : new int[] {48, 49, 63, 64, 95, 96, 100, 111, 112, 143, 144, 175, 239, 240, 287, 288, 600}) {
            // Choose the start hash so that the roll reaches 0xFFFFFFFF right after byte at.
            int h = -1;
            for (int p = at; p >= 48; p--) {
                h = Integer.rotateRight(h ^ Chunker.TABLE_OUT[b[p - 48] & 0xff] ^ Chunker.TABLE[b[p] & 0xff], 1);
            }
            for (int d : new int[] {1 << 20, 1_000_003, 49_152}) {
                long c = Long.divideUnsigned(-1L, d) + 1;
                long want = roll(b, 48, b.length, h, d);
                if (Integer.bitCount(d) == 1) {
                    assertThat(want).isEqualTo(at + 1);
                } else {
                    assertThat(want).isNotEqualTo(at + 1);
                }
                assertThat(NativeChunker.scan(b, 48, b.length, h, c, c - 1, d, path)).as("d %d at %d", d, at)
                        .isEqualTo(want);
            }
        }
    }

    /**
     * Native and Java chunkers give identical cuts for many parameter sets on random, text-like, patterned and
     * zero-mixed data fed in random-sized pieces at random offsets of a larger array, mixed with zero runs through
     * nextZeros; the native chunker is checked against the reference rule on part of the data.
     */
    @ParameterizedTest
    @EnumSource(names = {"AVX512", "AVX2", "SCALAR"})
    void nativeAndJavaChunkersCutAlike(Isa path) {
        assumeLoop(path);
        Random r = new Random(42);
        for (String spec : SPECS) {
            ChunkerParams p = ChunkerParams.parse(spec);
            int size = Math.max(300_000, Math.min(3 * p.max(), 12 << 20));
            int cuts = 0;
            for (int kind = 0; kind < 4; kind++) {
                byte[] data = data(kind, r, size);
                long seed = r.nextLong();
                List<Long> withNative = feed(new Chunker(p, path), data, seed);
                List<Long> withJava = feed(new Chunker(p, null), data, seed);
                assertThat(withNative).as("%s kind %d", spec, kind).isEqualTo(withJava);
                cuts += withNative.size();
            }
            assertThat(cuts).as("%s: cuts", spec).isGreaterThan(8);
            byte[] sample = data(1, r, Math.min(size, 1 << 20));
            long[] reference = TestData.referenceCuts(sample, p);
            List<Long> got = feed(new Chunker(p, path), sample, -1);
            assertThat(got.stream().mapToLong(Long::longValue).toArray()).as(spec).isEqualTo(reference);
        }
    }

    /**
     * With {@code -Djcasync.noNativeChunker=true} the native loop stays unloaded and chunkers cut the same. The
     * property is read once per class loader, so the check runs the classes in a fresh one.
     */
    @Test
    void propertyTurnsTheNativeLoopOffWithSameCuts() throws Exception {
        byte[] data = TestData.random(8, 500_000);
        long[] expected = TestData.referenceCuts(data, ChunkerParams.parse("4K"));
        TestData.withSwitchOn("jcasync.noNativeChunker", fresh -> {
            Class<?> params = fresh.loadClass(ChunkerParams.class.getName());
            Class<?> chunker = fresh.loadClass(Chunker.class.getName());
            assertThat(chunker).isNotSameAs(Chunker.class);
            Method available = fresh.loadClass(NativeChunker.class.getName()).getDeclaredMethod("available");
            available.setAccessible(true);
            assertThat(available.invoke(null)).isEqualTo(false);
            Constructor<?> make = chunker.getConstructor(params);
            Object c = make.newInstance(params.getMethod("parse", String.class).invoke(null, "4K"));
            assertThat(chunker.getMethod("nativeLoop").invoke(c)).isEqualTo(false);
            Method next = chunker.getMethod("next", byte[].class, int.class, int.class);
            List<Long> got = new ArrayList<>();
            int pos = 0;
            while (true) {
                int k = (int) next.invoke(c, data, pos, data.length);
                if (k < 0) {
                    break;
                }
                got.add((long) k);
                pos = k;
            }
            got.add((long) data.length);
            assertThat(got.stream().mapToLong(Long::longValue).toArray()).isEqualTo(expected);
        });
    }

    /** The roll and cut test written from the rule, with a plain unsigned modulo. */
    static long roll(byte[] b, int pos, int limit, int h, int d) {
        for (int p = pos; p < limit; p++) {
            h = Integer.rotateLeft(h, 1) ^ Integer.rotateLeft(Chunker.TABLE[b[p - 48] & 0xff], 48)
                    ^ Chunker.TABLE[b[p] & 0xff];
            if (Integer.remainderUnsigned(h, d) == d - 1) {
                return p + 1;
            }
        }
        return Long.MIN_VALUE | (h & 0xFFFFFFFFL);
    }

    /** Kinds of data: 0 random, 1 text-like, 2 a repeated short pattern with rare changes, 3 zeros mixed with data. */
    static byte[] data(int kind, Random r, int n) {
        byte[] b = new byte[n];
        switch (kind) {
            case 0 -> r.nextBytes(b);
            case 1 -> {
                byte[] words = "the of and chunk store index casync buzhash window a to in is\n"
                        .getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < n; i++) {
                    b[i] = words[(i % 7 == 0) ? r.nextInt(words.length) : (i * 31 + r.nextInt(3)) % words.length];
                }
            }
            case 2 -> {
                byte[] pattern = new byte[1 + r.nextInt(100)];
                r.nextBytes(pattern);
                for (int i = 0; i < n; i++) {
                    b[i] = r.nextInt(50_000) == 0 ? (byte) r.nextInt() : pattern[i % pattern.length];
                }
            }
            default -> {
                r.nextBytes(b);
                for (int at = 0; at < n; at += 1 + r.nextInt(200_000)) {
                    Arrays.fill(b, at, Math.min(n, at + r.nextInt(150_000)), (byte) 0);
                }
            }
        }
        return b;
    }

    /** Random bytes with long runs of few values. */
    private static byte[] lowEntropy(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        if (r.nextBoolean()) {
            for (int i = 0; i < n; i++) {
                b[i] = (byte) (b[i] & 3);
            }
        }
        return b;
    }

    /**
     * Stream positions of the cuts of {@code data} fed in random pieces (each copied to a random offset of a larger
     * array whose other bytes are stale), the zeros of every other all-zero piece passed through nextZeros instead;
     * seed -1 feeds the whole array at once.
     */
    static List<Long> feed(Chunker c, byte[] data, long seed) {
        Random r = new Random(seed);
        List<Long> out = new ArrayList<>();
        long base = 0;
        byte[] buf = new byte[data.length + 2000];
        Arrays.fill(buf, (byte) 0x5a);
        int off = 0;
        while (off < data.length) {
            int len = seed == -1 ? data.length : Math.min(data.length - off, pieceSize(r, data.length));
            if (seed != -1 && allZeros(data, off, len) && r.nextBoolean()) {
                long left = len;
                long z = base + off;
                while (left > 0) {
                    long k = c.nextZeros(left);
                    if (k < 0) {
                        break;
                    }
                    z += k;
                    left -= k;
                    out.add(z);
                }
            } else {
                int at = seed == -1 ? 0 : r.nextInt(1000);
                System.arraycopy(data, off, buf, at, len);
                int pos = at;
                while (pos < at + len) {
                    int k = c.next(buf, pos, at + len);
                    if (k < 0) {
                        break;
                    }
                    out.add(base + off + (k - at));
                    pos = k;
                }
            }
            off += len;
        }
        if (c.pending() > 0) {
            out.add((long) data.length);
        }
        return out;
    }

    private static int pieceSize(Random r, int total) {
        return switch (r.nextInt(4)) {
            case 0 -> 1 + r.nextInt(64);
            case 1 -> 1 + r.nextInt(1000);
            case 2 -> 1 + r.nextInt(70_000);
            default -> 1 + r.nextInt(Math.min(3 << 20, total / 8));
        };
    }

    private static boolean allZeros(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
