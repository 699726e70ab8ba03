package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.jcasync.internal.Downcalls.addr;
import static org.jcasync.internal.Downcalls.int32;
import static org.jcasync.internal.Downcalls.invoke;
import static org.jcasync.internal.fs.Libc.call;
import static org.jcasync.internal.fs.Libc.tryCall;
import static org.jcasync.internal.fs.Posix.EINVAL;
import static org.jcasync.internal.fs.Posix.EXDEV;

/**
 * File contents through descriptors: writes and positional reads of Java arrays in place (no copy), seeks over
 * holes, truncation, and copies the kernel does itself ({@code copy_file_range}, {@code FICLONE}), sharing extents
 * where the file system can. Failures are {@link Posix.Errno}s naming {@code where}.
 */
public final class FileIo {
    private static final long FICLONE = 0x40049409L;
    private static final int SEEK_CUR = 1;

    private static final MethodHandle FTRUNCATE = Downcalls.function("ftruncate");
    private static final MethodHandle LSEEK = Downcalls.function("lseek");
    private static final MethodHandle COPY_FILE_RANGE = Downcalls.function("copy_file_range");
    private static final MethodHandle IOCTL = Downcalls.function("ioctl");
    private static final MethodHandle WRITE = Downcalls.arrayFunction("write");
    private static final MethodHandle PREAD = Downcalls.arrayFunction("pread");

    private FileIo() {
    }

    /** Writes all of {@code b[off, off+len)} at the current position. */
    public static void writeFully(int fd, byte[] b, int off, int len, String where) throws Posix.Errno {
        while (len > 0) {
            final int o = off;
            final int n = len;
            long w = call(where, "write", (a, c) -> Downcalls.invokeArray(WRITE, c, fd,
                    MemorySegment.ofArray(b).asSlice(o), n, 0));
            off += (int) w;
            len -= (int) w;
        }
    }

    /** pread(2): up to {@code len} bytes at {@code pos}; 0 at end of file. */
    public static int pread(int fd, byte[] b, int off, int len, long pos, String where) throws Posix.Errno {
        return (int) call(where, "read", (a, c) -> Downcalls.invokeArray(PREAD, c, fd,
                MemorySegment.ofArray(b).asSlice(off), len, pos));
    }

    /** Moves the file position by {@code delta} (used to leave holes). */
    public static void seekRelative(int fd, long delta, String where) throws Posix.Errno {
        call(where, "lseek", (a, c) -> invoke(LSEEK, c, fd, delta, SEEK_CUR));
    }

    /** ftruncate(2). */
    public static void ftruncate(int fd, long size, String where) throws Posix.Errno {
        call(where, "ftruncate", (a, c) -> int32(invoke(FTRUNCATE, c, fd, size)));
    }

    /**
     * Copies {@code len} bytes from {@code src} at 0 to {@code dst} at 0 with copy_file_range (which shares extents
     * on file systems that can); returns false if the kernel cannot do it for these files (callers copy by hand).
     */
    public static boolean copyRange(int src, int dst, long len, String where) throws Posix.Errno {
        long done = 0;
        while (done < len) {
            final long left = len - done;
            final long at = done;
            long r = tryCall((a, c) -> {
                MemorySegment offs = a.allocate(16, 8);
                offs.set(JAVA_LONG, 0, at);
                offs.set(JAVA_LONG, 8, at);
                return invoke(COPY_FILE_RANGE, c, src, addr(offs), dst, addr(offs) + 8, left, 0);
            });
            if (r < 0) {
                int e = (int) -r;
                if (done == 0 && (e == EXDEV || Posix.unsupported(e))) {
                    return false;
                }
                throw Posix.error(where, "copy_file_range", e);
            }
            if (r == 0) {
                throw Posix.error(where, "copy_file_range (source shorter than expected)", EINVAL);
            }
            done += r;
        }
        return true;
    }

    /** FICLONE: makes {@code dst} share all of {@code src}'s extents; returns 0 or {@code -errno}. */
    public static int tryClone(int dst, int src) {
        return (int) tryCall((a, c) -> int32(invoke(IOCTL, c, dst, FICLONE, src)));
    }
}
