package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * How this package calls libc: argument memory from a per-thread scratch area, EINTR retried, and a failure returned
 * as {@code -errno} for the caller to handle or to turn into an exception ({@link #call}, {@link #callOnPath}).
 */
final class Libc {
    /** One native call: returns the C result; {@code capture} receives errno. */
    @FunctionalInterface
    interface Call {
        long invoke(SegmentAllocator arena, MemorySegment capture) throws Throwable;
    }

    private static final long SCRATCH_SIZE = 64 * 1024;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Libc() {
    }

    /**
     * Per-thread native memory for the arguments of one call (names, structs), reused from call to call: a tree
     * extraction makes hundreds of thousands of calls, and a fresh arena per call costs more than the call itself.
     * Handed-out memory is zeroed (C strings rely on it); requests that do not fit come from an automatic arena.
     * The area itself is automatic too: servers call from a virtual thread per request, and memory of a global
     * arena would outlive every one of them.
     */
    private static final class Scratch implements SegmentAllocator {
        private final MemorySegment memory = Arena.ofAuto().allocate(SCRATCH_SIZE, 16);
        private long top;
        /**
         * Larger requests, held until the call is over: native code gets only their addresses, so nothing else
         * would keep the garbage collector from freeing them during the call.
         */
        private final List<MemorySegment> overflow = new ArrayList<>();

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            long start = (top + byteAlignment - 1) & -byteAlignment;
            if (start + byteSize > SCRATCH_SIZE) {
                MemorySegment m = Arena.ofAuto().allocate(byteSize, byteAlignment);
                overflow.add(m);
                return m;
            }
            top = start + byteSize;
            return memory.asSlice(start, byteSize).fill((byte) 0);
        }
    }

    /** Runs {@code c} (retrying on EINTR); returns its result, or {@code -errno} when it failed. */
    static long tryCall(Call c) {
        Scratch arena = SCRATCH.get();
        long mark = arena.top;
        try {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            while (true) {
                long r = c.invoke(arena, capture);
                if (r >= 0) {
                    return r;
                }
                int e = Downcalls.errno(capture);
                if (e != Posix.EINTR) {
                    return -e;
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            arena.top = mark;
            if (mark == 0) {
                arena.overflow.clear();
            }
        }
    }

    /** Runs {@code c}; a failure becomes an {@link Posix.Errno} naming {@code where} and {@code op}. */
    static long call(String where, String op, Call c) throws Posix.Errno {
        long r = tryCall(c);
        if (r < 0) {
            throw Posix.error(where, op, (int) -r);
        }
        return r;
    }

    /** Runs {@code c}; a failure becomes the java.nio exception for its errno on {@code path} (see NativePath). */
    static long callOnPath(Path path, String op, Call c) throws IOException {
        long r = tryCall(c);
        if (r < 0) {
            throw NativePath.errnoException(path, (int) -r, op);
        }
        return r;
    }

    /** {@code s} as a NUL-terminated C string. */
    static MemorySegment cstr(SegmentAllocator arena, byte[] s) {
        MemorySegment m = arena.allocate(s.length + 1L);
        MemorySegment.copy(s, 0, m, JAVA_BYTE, 0, s.length);
        return m;
    }

    /** {@code path} as a NUL-terminated C string in the file-name charset. */
    static MemorySegment cpath(SegmentAllocator arena, Path path) {
        return cstr(arena, path.toString().getBytes(NativePath.CHARSET));
    }
}
