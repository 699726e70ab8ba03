package org.jcasync.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Native functions (libc, libcrypto) through as few FFM downcall shapes as possible. The JVM generates, loads and
 * links code for each distinct shape (argument and result types plus options) when the first handle of that shape is
 * made: 10–40 ms apiece at start-up, in a JVM that has not warmed up, and with one descriptor per function a tree
 * extraction paid for about forty of them before doing any work. Here nearly every function has one shape: six
 * 64-bit integer arguments (ints widened, pointers as native addresses, unused ones zero), a 64-bit result and errno
 * captured ({@link #function}). That is how the LP64 C calling conventions (x86-64 System V, AArch64) pass integer and
 * pointer arguments anyway: an {@code int} parameter reads the low half of its register, surplus register arguments
 * are ignored, and a function returning {@code int} leaves the upper half of the result register undefined, which
 * callers drop with {@link #int32}. Variadic functions (open, ioctl) take integer arguments the same way there.
 * Functions that read or write a Java array in place have a second shape ({@link #arrayFunction}).
 * <p>
 * Pointers passed as addresses must stay alive for the call: callers pass memory of a confined or global arena, or
 * keep the segment referenced until the call returns.
 */
@SuppressWarnings("restricted")
public final class Downcalls {
    /** Where errno is captured. */
    public static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final FunctionDescriptor WORDS = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor ARRAY = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS,
            JAVA_LONG, JAVA_LONG);
    /**
     * A capture area per thread for calls whose errno nobody reads; freed with its thread (an automatic arena): the
     * servers make such calls (digests) from a new virtual thread per request.
     */
    private static final ThreadLocal<MemorySegment> SPARE_CAPTURE = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private Downcalls() {
    }

    /** The libc function {@code name}, called with {@link #invoke}. */
    public static MethodHandle function(String name) {
        return function(LIBC, name);
    }

    /** The function {@code name} of {@code lib}, called with {@link #invoke}. */
    public static MethodHandle function(SymbolLookup lib, String name) {
        return LINKER.downcallHandle(find(lib, name), WORDS, CAPTURE_ERRNO);
    }

    /** The libc function {@code name} of the form described at {@link #arrayFunction(SymbolLookup, String)}. */
    public static MethodHandle arrayFunction(String name) {
        return arrayFunction(LIBC, name);
    }

    /**
     * A function of the form {@code long f(word, void *buf, word, word)} — read, write, pread, pwrite,
     * EVP_DigestUpdate, EVP_DigestFinal_ex — whose buffer may be a Java array passed in place (no copy); called with
     * {@link #invokeArray}.
     */
    public static MethodHandle arrayFunction(SymbolLookup lib, String name) {
        return LINKER.downcallHandle(find(lib, name), ARRAY, CAPTURE_ERRNO, Linker.Option.critical(true));
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("symbol not found: " + name));
    }

    /** Calls {@code f} (from {@link #function}) with up to six integer arguments; errno goes to {@code capture}. */
    public static long invoke(MethodHandle f, MemorySegment capture, long a, long b, long c, long d, long e, long g)
            throws Throwable {
        return (long) f.invokeExact(capture, a, b, c, d, e, g);
    }

    /** Five arguments. */
    public static long invoke(MethodHandle f, MemorySegment capture, long a, long b, long c, long d, long e)
            throws Throwable {
        return invoke(f, capture, a, b, c, d, e, 0);
    }

    /** Four arguments. */
    public static long invoke(MethodHandle f, MemorySegment capture, long a, long b, long c, long d)
            throws Throwable {
        return invoke(f, capture, a, b, c, d, 0, 0);
    }

    /** Three arguments. */
    public static long invoke(MethodHandle f, MemorySegment capture, long a, long b, long c) throws Throwable {
        return invoke(f, capture, a, b, c, 0, 0, 0);
    }

    /** Two arguments. */
    public static long invoke(MethodHandle f, MemorySegment capture, long a, long b) throws Throwable {
        return invoke(f, capture, a, b, 0, 0, 0, 0);
    }

    /** One argument. */
    public static long invoke(MethodHandle f, MemorySegment capture, long a) throws Throwable {
        return invoke(f, capture, a, 0, 0, 0, 0, 0);
    }

    /** Calls {@code f} with up to three arguments and an errno nobody reads. */
    public static long invokeQuietly(MethodHandle f, long a, long b, long c) throws Throwable {
        return invoke(f, SPARE_CAPTURE.get(), a, b, c, 0, 0, 0);
    }

    /** Calls {@code f} (from {@link #arrayFunction}); errno goes to {@code capture} (null: nobody reads it). */
    public static long invokeArray(MethodHandle f, MemorySegment capture, long a, MemorySegment buf, long n, long d)
            throws Throwable {
        MemorySegment c = capture == null ? SPARE_CAPTURE.get() : capture;
        return (long) f.invokeExact(c, a, buf, n, d);
    }

    /** The result of a function returning {@code int}: the low half, sign-extended. */
    public static long int32(long result) {
        return (int) result;
    }

    /** A pointer argument. */
    public static long addr(MemorySegment s) {
        return s.address();
    }

    /** The errno captured in {@code capture}. */
    public static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static final MethodHandle STRERROR = function("strerror");

    /** strerror(3), or "errno N". */
    public static String strerror(int errno) {
        try {
            long p = invokeQuietly(STRERROR, errno, 0, 0);
            return p == 0 ? "errno " + errno : MemorySegment.ofAddress(p).reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
