package org.jcasync.chunk;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The chunker's hot loop in C ({@code src/main/c/buzhash.c}, loaded by {@link NativeLibrary}): rolls the buzhash over
 * a span of an array until the first cut, byte for byte the loop of {@link Chunker#next}. On CPUs with AVX-512 VBMI
 * it does 64 bytes per step (table lookups by byte permutes, the roll as a prefix XOR), else one byte per step; both
 * run at the same speed whichever JIT compiler the JVM uses. When the library is missing or
 * {@code -Djcasync.noNativeChunker=true} is set, {@link #available()} is false and the chunker stays in Java.
 */
final class NativeChunker {
    /**
     * The tables in the layout buzhash.c reads: the 256 entries of {@link Chunker#TABLE} and of
     * {@link Chunker#TABLE_OUT} as little-endian 32-bit words, then the four byte planes of each (plane k holds
     * byte k of every entry).
     */
    private static final MemorySegment TABLES = MemorySegment.ofArray(tables());

    /** {@code jc_buzhash_scan}, or null when the native loop is not available. */
    private static final MethodHandle SCAN = load();

    /** Whether this CPU runs the vector loop. */
    private static final boolean VECTOR = SCAN != null && vectorSupported();

    private NativeChunker() {
    }

    /** True when the native loop is loaded and not switched off. */
    static boolean available() {
        return SCAN != null;
    }

    /** True when the native loop runs 64 bytes per step (AVX-512 VBMI) here. */
    static boolean vector() {
        return VECTOR;
    }

    /**
     * Rolls the hash {@code h} over {@code b[pos, limit)}, the outgoing byte of position p being {@code b[p - 48]},
     * and stops after the first byte whose hash passes the cut test with constants {@code divC, divLimit} (of
     * discriminator {@code d}).
     *
     * @return the position just past the cut (>= 0), or, without a cut, a negative value whose low 32 bits are the
     *         hash after {@code b[limit - 1]}
     */
    static long scan(byte[] b, int pos, int limit, int h, long divC, long divLimit, int d) {
        return scan(b, pos, limit, h, divC, divLimit, d, VECTOR);
    }

    /** {@link #scan(byte[], int, int, int, long, long, int)} with the scalar or the vector loop (tests). */
    static long scan(byte[] b, int pos, int limit, int h, long divC, long divLimit, int d, boolean vector) {
        // The C code trusts the range: a wrong one would read outside the array.
        Objects.checkFromToIndex(pos - ChunkerParams.WINDOW, limit, b.length);
        if (pos > limit || (vector && !VECTOR)) {
            throw new IllegalArgumentException("bad span " + pos + ".." + limit + " or vector loop not supported");
        }
        try {
            // critical(true): the arrays are passed in place, no copies; the GC waits for the (bounded) call.
            return (long) SCAN.invokeExact(MemorySegment.ofArray(b), pos, limit, h, divC, divLimit, d,
                    TABLES, vector ? 1 : 0);
        } catch (Throwable t) {
            throw NativeLibrary.unchecked(t);
        }
    }

    private static MethodHandle load() {
        if (Boolean.getBoolean("jcasync.noNativeChunker")) {
            return null;
        }
        ValueLayout ptr = ValueLayout.ADDRESS;
        ValueLayout i32 = ValueLayout.JAVA_INT;
        ValueLayout i64 = ValueLayout.JAVA_LONG;
        return NativeLibrary.find("jc_buzhash_scan", FunctionDescriptor.of(i64, ptr, i32, i32, i32, i64, i64, i32,
                ptr, i32), Linker.Option.critical(true));
    }

    private static boolean vectorSupported() {
        MethodHandle f = NativeLibrary.find("jc_buzhash_vector_supported", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        return f != null && NativeLibrary.callIntFunction(f) != 0;
    }

    private static byte[] tables() {
        int[][] tables = {Chunker.TABLE, Chunker.TABLE_OUT};
        ByteBuffer out = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < 2; t++) {
            for (int i = 0; i < 256; i++) {
                out.putInt(1024 * t + 4 * i, tables[t][i]);
                for (int k = 0; k < 4; k++) {
                    out.put(2048 + 1024 * t + 256 * k + i, (byte) (tables[t][i] >>> (8 * k)));
                }
            }
        }
        return out.array();
    }
}
