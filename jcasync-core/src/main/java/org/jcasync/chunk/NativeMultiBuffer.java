package org.jcasync.chunk;

import org.jcasync.chunk.NativeLibrary.Isa;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * Multi-buffer digests from the bundled native library ({@code src/main/c/sha512mb.c}, {@code sha256mb.c}, loaded by
 * {@link NativeLibrary}): several messages at a time, one per vector lane, for batches of chunks. SHA-512/256 runs
 * eight lanes with AVX-512 or four with AVX2; SHA-256 four with the SHA extensions (OpenSSL already uses them for
 * one message, but one message is a single chain of dependent instructions). Without the library, on a CPU without
 * these instructions, or with {@code -Djcasync.noNativeSha=true}, {@link #path} is null and
 * {@link DigestAlgorithm#digestMany} hashes one message after the other.
 */
final class NativeMultiBuffer {
    /** The paths of SHA-512/256, fastest first. */
    static final List<Isa> SHA512_256_PATHS = List.of(Isa.AVX512, Isa.AVX2);
    /** The paths of SHA-256. */
    static final List<Isa> SHA256_PATHS = List.of(Isa.SHANI);

    /** The downcall handles, made on first use (each costs start-up time). */
    private static final class Handles {
        private static final FunctionDescriptor MANY = FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle SHA512_256 = NativeLibrary.find("jc_sha512_256_many", MANY,
                Linker.Option.critical(true));
        static final MethodHandle SHA256 = NativeLibrary.find("jc_sha256_many", MANY, Linker.Option.critical(true));
    }

    private static final Isa SHA512_256_PATH = choose(DigestAlgorithm.SHA512_256);
    private static final Isa SHA256_PATH = choose(DigestAlgorithm.SHA256);

    private NativeMultiBuffer() {
    }

    /** The path batches of {@code alg} use, or null when they are hashed one message after the other. */
    static Isa path(DigestAlgorithm alg) {
        return alg == DigestAlgorithm.SHA256 ? SHA256_PATH : SHA512_256_PATH;
    }

    /** The paths jcasync has for {@code alg}, fastest first. */
    static List<Isa> paths(DigestAlgorithm alg) {
        return alg == DigestAlgorithm.SHA256 ? SHA256_PATHS : SHA512_256_PATHS;
    }

    /** Whether the library is loaded and this CPU runs {@code path} for {@code alg} (whatever the switches say). */
    static boolean runs(DigestAlgorithm alg, Isa path) {
        if (!NativeLibrary.loaded() || !paths(alg).contains(path)) {
            return false;
        }
        int f = NativeLibrary.features();
        return switch (path) {
            case AVX512 -> (f & NativeLibrary.CPU_AVX512) != 0;
            case AVX2 -> (f & NativeLibrary.CPU_AVX2) != 0;
            case SHANI -> (f & NativeLibrary.CPU_SHA) != 0;
            case SCALAR -> false;
        };
    }

    /** Messages in flight on {@code path}. */
    static int lanes(Isa path) {
        return path == Isa.AVX512 ? 8 : 4;
    }

    /**
     * How many times one message's digest in OpenSSL outruns one lane of {@code path} (rounded up, measured): a
     * batch goes to the lanes only when no message is longer than its share (see
     * {@link DigestAlgorithm#worthMultiBuffer}). AVX-512, eight lanes of SHA-512/256 on a Sapphire Rapids Xeon: ~230
     * against ~450 MB/s; AVX2, four lanes on Zen 3: ~250 against ~740 MB/s; SHA-NI, four lanes of SHA-256 on Zen 3:
     * ~750 against ~1,560 MB/s.
     */
    static int singleStreamFactor(Isa path) {
        return switch (path) {
            case AVX512 -> 2;
            default -> 3;
        };
    }

    /**
     * The digests of {@code buf[offs[i], offs[i]+lens[i])} for i below n into {@code out[32i, 32i+32)} with
     * {@code path}. The caller has checked every range: the native code trusts them.
     */
    static void digest(DigestAlgorithm alg, Isa path, byte[] buf, long[] offs, long[] lens, int n, byte[] out) {
        if (path == null || !runs(alg, path)) {
            // An instruction this CPU lacks would kill the process.
            throw new IllegalArgumentException("the " + path + " multi-buffer " + alg.casyncName()
                    + " does not run here");
        }
        MethodHandle many = alg == DigestAlgorithm.SHA256 ? Handles.SHA256 : Handles.SHA512_256;
        try {
            // critical(true): the arrays are passed in place, no copies; the GC waits for the (short) call.
            int done = (int) many.invokeExact(MemorySegment.ofArray(buf), n, MemorySegment.ofArray(offs),
                    MemorySegment.ofArray(lens), MemorySegment.ofArray(out), path.id);
            if (done != 1) {
                throw new IllegalStateException("native " + alg.casyncName() + " refused path " + path);
            }
        } catch (Throwable t) {
            throw NativeLibrary.unchecked(t);
        }
    }

    private static Isa choose(DigestAlgorithm alg) {
        if (Boolean.getBoolean("jcasync.noNativeSha")) {
            return null;
        }
        for (Isa path : paths(alg)) {
            if (runs(alg, path) && NativeLibrary.allowed(path)) {
                return path;
            }
        }
        return null;
    }
}
