package org.jcasync.chunk;

import org.jcasync.chunk.NativeLibrary.Isa;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;

/**
 * The chunker's hot loop in C ({@code src/main/c/buzhash.c}, loaded by {@link NativeLibrary}): rolls the buzhash over
 * a span of an array until the first cut, byte for byte the loop of {@link Chunker#next}. Three loops, the fastest
 * this CPU runs chosen at start: AVX-512 VBMI (64 bytes per step, table lookups by byte permutes), AVX2 (48 bytes per
 * step, table lookups by scalar loads a block ahead) and scalar (one byte per step); all run at the same speed
 * whichever JIT compiler the JVM uses. When the library is missing, {@code -Djcasync.noNativeChunker=true} or
 * {@code -Djcasync.cpu=java} is set, {@link #available()} is false and the chunker stays in Java.
 */
final class NativeChunker {
    /** The loops, fastest first. */
    static final List<Isa> PATHS = List.of(Isa.AVX512, Isa.AVX2, Isa.SCALAR);

    /** Bytes of {@link #TABLES}. */
    static final int TABLES_SIZE = 4096 + 32 * 1024;

    /**
     * The tables in the layout buzhash.c reads: the 256 entries of {@link Chunker#TABLE} and of
     * {@link Chunker#TABLE_OUT} as little-endian 32-bit words, the four byte planes of each (plane k holds byte k of
     * every entry), then {@link Chunker#TABLE} rotated right by r, for r = 0..31.
     */
    private static final MemorySegment TABLES = MemorySegment.ofArray(tables());

    /** {@code jc_buzhash_scan}, made on first use (a downcall handle costs start-up time). */
    private static final class Scan {
        static final MethodHandle HANDLE = NativeLibrary.find("jc_buzhash_scan", FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.critical(true));
    }

    /** The loop chunkers use, or null for the Java loop. */
    private static final Isa PATH = choose();

    private NativeChunker() {
    }

    /** True when chunkers use a native loop. */
    static boolean available() {
        return PATH != null;
    }

    /** The loop chunkers use, or null when they use the Java loop. */
    static Isa path() {
        return PATH;
    }

    /** The name of a loop in reports. */
    static String label(Isa path) {
        return path == Isa.AVX512 ? "AVX-512 VBMI" : path.label;
    }

    /** Whether the library is loaded and this CPU runs {@code path} (whatever the switches choose). */
    static boolean runs(Isa path) {
        if (!NativeLibrary.loaded()) {
            return false;
        }
        int f = NativeLibrary.features();
        return switch (path) {
            case SCALAR -> true;
            case AVX2 -> (f & NativeLibrary.CPU_AVX2) != 0;
            case AVX512 -> (f & NativeLibrary.CPU_AVX512VBMI) != 0;
            case SHANI -> false;
        };
    }

    /**
     * Rolls the hash {@code h} over {@code b[pos, limit)}, the outgoing byte of position p being {@code b[p - 48]},
     * and stops after the first byte whose hash passes the cut test with constants {@code divC, divLimit} (of
     * discriminator {@code d}), with the loop chunkers use.
     *
     * @return the position just past the cut (>= 0), or, without a cut, a negative value whose low 32 bits are the
     *         hash after {@code b[limit - 1]}
     */
    static long scan(byte[] b, int pos, int limit, int h, long divC, long divLimit, int d) {
        return scan(b, pos, limit, h, divC, divLimit, d, PATH);
    }

    /** {@link #scan(byte[], int, int, int, long, long, int)} with the given loop. */
    static long scan(byte[] b, int pos, int limit, int h, long divC, long divLimit, int d, Isa path) {
        // The C code trusts the range: a wrong one would read outside the array.
        Objects.checkFromToIndex(pos - ChunkerParams.WINDOW, limit, b.length);
        if (pos > limit) {
            throw new IllegalArgumentException("bad span " + pos + ".." + limit);
        }
        if (path == null || !runs(path)) {
            // An instruction this CPU lacks would kill the process.
            throw new IllegalArgumentException("the " + path + " chunker loop does not run here");
        }
        try {
            // critical(true): the arrays are passed in place, no copies; the GC waits for the (bounded) call.
            return (long) Scan.HANDLE.invokeExact(MemorySegment.ofArray(b), pos, limit, h, divC, divLimit, d, TABLES,
                    path.id);
        } catch (Throwable t) {
            throw NativeLibrary.unchecked(t);
        }
    }

    private static Isa choose() {
        if (Boolean.getBoolean("jcasync.noNativeChunker")) {
            return null;
        }
        for (Isa path : PATHS) {
            if (runs(path) && NativeLibrary.allowed(path)) {
                return path;
            }
        }
        return null;
    }

    private static byte[] tables() {
        int[][] tables = {Chunker.TABLE, Chunker.TABLE_OUT};
        ByteBuffer out = ByteBuffer.allocate(TABLES_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 256; i++) {
            for (int t = 0; t < 2; t++) {
                out.putInt(1024 * t + 4 * i, tables[t][i]);
                for (int k = 0; k < 4; k++) {
                    out.put(2048 + 1024 * t + 256 * k + i, (byte) (tables[t][i] >>> (8 * k)));
                }
            }
            for (int r = 0; r < 32; r++) {
                out.putInt(4096 + 1024 * r + 4 * i, Integer.rotateRight(Chunker.TABLE[i], r));
            }
        }
        return out.array();
    }
}
