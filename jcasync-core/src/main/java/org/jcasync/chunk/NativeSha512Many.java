package org.jcasync.chunk;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Multi-buffer SHA-512/256 from the bundled native library ({@code src/main/c/sha512mb.c}, loaded by
 * {@link NativeLibrary}): eight messages at a time in the 64-bit lanes of AVX-512 registers, several times the
 * single-stream speed of OpenSSL on a batch of chunks. When the library is missing, the CPU lacks AVX-512 or
 * {@code -Djcasync.noNativeSha=true} is set, {@link #available()} is false and {@link DigestAlgorithm#digestMany}
 * hashes one message after the other.
 */
final class NativeSha512Many {
    /** {@code jc_sha512_256_many}, or null when the native digest is not available. */
    private static final MethodHandle MANY = load();

    private NativeSha512Many() {
    }

    /** True when the native multi-buffer digest is loaded and this CPU runs it. */
    static boolean available() {
        return MANY != null;
    }

    /**
     * SHA-512/256 of {@code buf[offs[i], offs[i]+lens[i])} for i below n into {@code out[32i, 32i+32)}. The
     * caller has checked every range: the native code trusts them.
     */
    static void digest(byte[] buf, long[] offs, long[] lens, int n, byte[] out) {
        try {
            // critical(true): the arrays are passed in place, no copies; the GC waits for the (short) call.
            MANY.invokeExact(MemorySegment.ofArray(buf), n, MemorySegment.ofArray(offs),
                    MemorySegment.ofArray(lens), MemorySegment.ofArray(out));
        } catch (Throwable t) {
            throw NativeLibrary.unchecked(t);
        }
    }

    private static MethodHandle load() {
        if (Boolean.getBoolean("jcasync.noNativeSha")) {
            return null;
        }
        MethodHandle supported = NativeLibrary.find("jc_sha512mb_supported",
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        if (supported == null || NativeLibrary.callIntFunction(supported) == 0) {
            return null;
        }
        ValueLayout ptr = ValueLayout.ADDRESS;
        return NativeLibrary.find("jc_sha512_256_many",
                FunctionDescriptor.ofVoid(ptr, ValueLayout.JAVA_INT, ptr, ptr, ptr), Linker.Option.critical(true));
    }
}
