package org.jcasync.chunk;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The chunker's inner loop in C ({@code src/main/c/buzhash.c}): about twice the speed of the Java loop compiled by
 * C2, and several times that of C1, which the launcher runs most commands with. {@link Chunker} calls it for spans
 * where the whole window is inside the caller's array; when the library is missing or
 * {@code -Djcasync.noNativeChunker=true} is set, {@link #available()} is false and the Java loop runs.
 */
@SuppressWarnings("restricted")
final class NativeBuzhash {
    /** {@code jc_buzhash_scan}, or null. */
    private static final MethodHandle SCAN = load();

    private NativeBuzhash() {
    }

    /** Whether the native loop is used. */
    static boolean available() {
        return SCAN != null;
    }

    private static MethodHandle load() {
        SymbolLookup lib = Boolean.getBoolean("jcasync.noNativeChunker") ? null : NativeLibrary.lookup();
        if (lib == null) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle init = linker.downcallHandle(lib.findOrThrow("jc_buzhash_init"),
                    FunctionDescriptor.ofVoid(ADDRESS), Linker.Option.critical(true));
            init.invokeExact(MemorySegment.ofArray(Chunker.TABLE.clone()));
            return linker.downcallHandle(lib.findOrThrow("jc_buzhash_scan"),
                    FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG),
                    Linker.Option.critical(true));
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * Rolls {@code hash} over {@code b[pos, limit)} ({@code pos >= 48}) until the first cut.
     *
     * @return the position after the cut (or {@code limit}) in bits 32..61, the hash in bits 0..31, bit 62 set when
     *         it cut
     */
    static long scan(byte[] b, int pos, int limit, int hash, long divC, long divLimit) {
        try {
            return (long) SCAN.invokeExact(MemorySegment.ofArray(b), (long) pos, (long) limit, hash, divC, divLimit);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
