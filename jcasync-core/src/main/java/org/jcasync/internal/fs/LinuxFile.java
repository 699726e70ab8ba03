package org.jcasync.internal.fs;

import org.jcasync.format.FileMode;
import org.jcasync.internal.Downcalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.jcasync.internal.fs.Posix.EBADF;
import static org.jcasync.internal.fs.Posix.EINTR;
import static org.jcasync.internal.fs.Posix.EINVAL;
import static org.jcasync.internal.fs.Posix.ENOSYS;
import static org.jcasync.internal.fs.Posix.ENOTTY;
import static org.jcasync.internal.fs.Posix.ENXIO;
import static org.jcasync.internal.fs.Posix.EOPNOTSUPP;
import static org.jcasync.internal.fs.Posix.EPERM;
import static org.jcasync.internal.fs.Posix.ETXTBSY;
import static org.jcasync.internal.fs.Posix.EXDEV;
import static org.jcasync.internal.fs.Posix.O_CLOEXEC;
import static org.jcasync.internal.fs.Posix.O_RDONLY;
import static org.jcasync.internal.fs.Posix.O_RDWR;

/**
 * A thin wrapper around a Linux file descriptor giving access to sparse-file and reflink system calls
 * ({@code lseek(SEEK_DATA/SEEK_HOLE)}, {@code fallocate(PUNCH_HOLE)}, {@code ioctl(FICLONERANGE)},
 * {@code ioctl(BLKGETSIZE64)}) through the Java FFM API.
 *
 * <p>Only Linux (x86_64 and aarch64) is supported; the constants used are identical on both.
 * Instances are not thread-safe except for {@link #close()}, which is idempotent.
 */
@SuppressWarnings("restricted")
public final class LinuxFile implements AutoCloseable {

    // lseek(2) whence values.
    private static final int SEEK_END = 2;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;

    // fallocate(2) modes.
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    // ioctl request numbers (same on x86_64 and aarch64).
    private static final long FICLONERANGE = 0x4020940dL;
    private static final long BLKGETSIZE64 = 0x80081272L;

    /** struct file_clone_range { __s64 src_fd; __u64 src_offset; __u64 src_length; __u64 dest_offset; }. */
    private static final StructLayout FILE_CLONE_RANGE = MemoryLayout.structLayout(
            JAVA_LONG.withName("src_fd"),
            JAVA_LONG.withName("src_offset"),
            JAVA_LONG.withName("src_length"),
            JAVA_LONG.withName("dest_offset"));

    // One downcall shape for every function (Downcalls explains why).
    private static final MethodHandle OPEN = Downcalls.function("open");
    private static final MethodHandle CLOSE = Downcalls.function("close");
    private static final MethodHandle LSEEK = Downcalls.function("lseek");
    private static final MethodHandle FALLOCATE = Downcalls.function("fallocate");
    private static final MethodHandle IOCTL = Downcalls.function("ioctl");

    private final Path path;
    private volatile int fd;

    private LinuxFile(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Opens {@code path} read-only ({@code O_RDONLY|O_CLOEXEC}) or read-write ({@code O_RDWR|O_CLOEXEC}).
     *
     * @param path     the file to open
     * @param writable whether to open it for writing as well as reading
     * @return the open file
     * @throws IOException if open(2) fails; {@link NoSuchFileException} for ENOENT and
     *                     {@link AccessDeniedException} for EACCES/EPERM, with message {@code <path>: <reason>}
     */
    public static LinuxFile open(Path path, boolean writable) throws IOException {
        int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment cpath = arena.allocateFrom(path.toString(), NativePath.CHARSET);
            while (true) {
                int r = (int) Downcalls.invoke(OPEN, capture, cpath.address(), flags, 0);
                if (r >= 0) {
                    return new LinuxFile(path, r);
                }
                int err = Downcalls.errno(capture);
                if (err != EINTR) {
                    throw NativePath.errnoException(path, err, null);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Returns the underlying file descriptor, or -1 once closed.
     *
     * @return the file descriptor
     */
    public int fd() {
        return fd;
    }

    /**
     * Returns the offset of the first data byte at or after {@code offset} (lseek SEEK_DATA).
     *
     * @param offset the offset to start searching from
     * @return the data offset; -1 if there is no data at or after {@code offset} (ENXIO); {@code offset}
     *         itself if the file system does not support SEEK_DATA
     * @throws UncheckedIOException on any other error
     */
    public long seekData(long offset) {
        long r = lseekRaw(offset, SEEK_DATA);
        if (r >= 0) {
            return r;
        }
        int err = (int) -r;
        if (err == ENXIO) {
            return -1;
        }
        if (err == EINVAL) {
            return offset;
        }
        throw new UncheckedIOException(NativePath.errnoException(path, err, "lseek(SEEK_DATA)"));
    }

    /**
     * Returns the offset of the first hole at or after {@code offset} (lseek SEEK_HOLE); the end of file
     * counts as a hole.
     *
     * @param offset the offset to start searching from
     * @return the hole offset; -1 if {@code offset} is at or after the end of file (ENXIO); the file size if
     *         the file system does not support SEEK_HOLE
     * @throws UncheckedIOException on any other error
     */
    public long seekHole(long offset) {
        long r = lseekRaw(offset, SEEK_HOLE);
        if (r >= 0) {
            return r;
        }
        int err = (int) -r;
        if (err == ENXIO) {
            return -1;
        }
        if (err == EINVAL) {
            long end = lseekRaw(0, SEEK_END);
            if (end >= 0) {
                return end;
            }
            err = (int) -end;
        }
        throw new UncheckedIOException(NativePath.errnoException(path, err, "lseek(SEEK_HOLE)"));
    }

    /** Returns the lseek result, or the negated errno on failure. */
    private long lseekRaw(long offset, int whence) {
        int f = fd;
        if (f < 0) {
            throw new UncheckedIOException(new ClosedChannelException());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            long r = Downcalls.invoke(LSEEK, capture, f, offset, whence);
            return r >= 0 ? r : -(long) Downcalls.errno(capture);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Returns the ascending, merged {start, end} data ranges of {@code path} within {@code [0, size)}.
     *
     * <p>Returns a single extent {0, size} for block devices or when the file system does not support
     * SEEK_DATA/SEEK_HOLE, and an empty list when {@code size} is 0 or the range holds only holes.
     *
     * @param path the file to inspect
     * @param size the number of bytes of the file to consider
     * @return the data extents
     * @throws IOException if the file cannot be opened or lseek fails unexpectedly
     */
    public static List<long[]> dataExtents(Path path, long size) throws IOException {
        List<long[]> out = new ArrayList<>();
        if (size <= 0) {
            return out;
        }
        if (isBlockDevice(path)) {
            out.add(new long[] {0, size});
            return out;
        }
        try (LinuxFile f = open(path, false)) {
            long pos = 0;
            while (pos < size) {
                long d = f.lseekRaw(pos, SEEK_DATA);
                if (d < 0) {
                    int err = (int) -d;
                    if (err == ENXIO) {
                        break;
                    }
                    if (err == EINVAL) {
                        return whole(size);
                    }
                    throw NativePath.errnoException(path, err, "lseek(SEEK_DATA)");
                }
                if (d >= size) {
                    break;
                }
                long h = f.lseekRaw(d, SEEK_HOLE);
                if (h < 0) {
                    int err = (int) -h;
                    if (err == EINVAL) {
                        return whole(size);
                    }
                    if (err != ENXIO) {
                        throw NativePath.errnoException(path, err, "lseek(SEEK_HOLE)");
                    }
                    h = size; // file shrank concurrently; treat the rest as data
                }
                h = Math.min(h, size);
                if (h <= d) {
                    break; // defensive: no progress possible
                }
                if (!out.isEmpty() && out.getLast()[1] >= d) {
                    out.getLast()[1] = Math.max(out.getLast()[1], h);
                } else {
                    out.add(new long[] {d, h});
                }
                pos = h;
            }
        }
        return out;
    }

    private static List<long[]> whole(long size) {
        List<long[]> l = new ArrayList<>(1);
        l.add(new long[] {0, size});
        return l;
    }

    /**
     * Deallocates {@code [offset, offset+length)} with {@code fallocate(PUNCH_HOLE|KEEP_SIZE)}; the range then
     * reads back as zeros.
     *
     * @param offset start of the range
     * @param length length of the range
     * @return true if the hole was punched, false if the file system does not support it
     * @throws IOException on any other error
     */
    public boolean punchHole(long offset, long length) throws IOException {
        int f = checkedFd();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            while (true) {
                int r = (int) Downcalls.invoke(FALLOCATE, capture, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        offset, length);
                if (r == 0) {
                    return true;
                }
                int err = Downcalls.errno(capture);
                if (err == EINTR) {
                    continue;
                }
                if (err == EOPNOTSUPP || err == ENOSYS) {
                    return false;
                }
                throw NativePath.errnoException(path, err, "fallocate(PUNCH_HOLE)");
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Shares {@code length} bytes of {@code src} starting at {@code srcOffset} into this file at
     * {@code dstOffset} using {@code ioctl(FICLONERANGE)} (a reflink copy).
     *
     * @param src       the source file (open for reading)
     * @param srcOffset source offset (must be block aligned)
     * @param length    number of bytes (block aligned, or reaching the source end of file)
     * @param dstOffset destination offset (must be block aligned)
     * @return true on success, false if cloning is not possible here and the caller should copy instead
     * @throws IOException on any other error
     */
    public boolean cloneRangeFrom(LinuxFile src, long srcOffset, long length, long dstOffset) throws IOException {
        int f = checkedFd();
        int sf = src.checkedFd();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment arg = arena.allocate(FILE_CLONE_RANGE);
            arg.set(JAVA_LONG, 0, sf);
            arg.set(JAVA_LONG, 8, srcOffset);
            arg.set(JAVA_LONG, 16, length);
            arg.set(JAVA_LONG, 24, dstOffset);
            while (true) {
                int r = (int) Downcalls.invoke(IOCTL, capture, f, FICLONERANGE, arg.address());
                if (r == 0) {
                    return true;
                }
                int err = Downcalls.errno(capture);
                switch (err) {
                    case EINTR:
                        continue;
                    case EOPNOTSUPP, EXDEV, EINVAL, ENOTTY, EBADF, ETXTBSY, EPERM:
                        return false;
                    default:
                        throw NativePath.errnoException(path, err, "ioctl(FICLONERANGE)");
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Tests whether files in {@code srcDir} can be reflinked into files in {@code dstDir} by cloning a
     * 4096-byte block between two temporary files; never throws.
     *
     * @param srcDir directory of the clone source
     * @param dstDir directory of the clone destination
     * @return true if the trial clone succeeded
     */
    public static boolean canReflink(Path srcDir, Path dstDir) {
        Path s = null;
        Path d = null;
        try {
            s = Files.createTempFile(srcDir, ".jcasync-reflink-", ".tmp");
            d = Files.createTempFile(dstDir, ".jcasync-reflink-", ".tmp");
            byte[] block = new byte[4096];
            ThreadLocalRandom.current().nextBytes(block);
            try (FileChannel ch = FileChannel.open(s, StandardOpenOption.WRITE)) {
                ByteBuffer bb = ByteBuffer.wrap(block);
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
                ch.force(false);
            }
            try (LinuxFile src = open(s, false); LinuxFile dst = open(d, true)) {
                return dst.cloneRangeFrom(src, 0, block.length, 0);
            }
        } catch (Throwable t) {
            return false;
        } finally {
            deleteQuietly(s);
            deleteQuietly(d);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        }
    }

    /**
     * Returns the size in bytes of the block device open in this file ({@code ioctl(BLKGETSIZE64)}).
     *
     * @return the device size in bytes
     * @throws IOException if the ioctl fails, e.g. because this is not a block device
     */
    public long blockDeviceSize() throws IOException {
        int f = checkedFd();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment out = arena.allocate(JAVA_LONG);
            while (true) {
                int r = (int) Downcalls.invoke(IOCTL, capture, f, BLKGETSIZE64, out.address());
                if (r == 0) {
                    return out.get(JAVA_LONG, 0);
                }
                int err = Downcalls.errno(capture);
                if (err != EINTR) {
                    throw NativePath.errnoException(path, err, "ioctl(BLKGETSIZE64)");
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Tells whether {@code p} is a block device, using its {@code unix:mode} attribute; false on any error.
     *
     * @param p the path to test
     * @return true if {@code p} is a block device
     */
    public static boolean isBlockDevice(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            return mode instanceof Integer m && FileMode.type(m) == FileMode.S_IFBLK;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Closes the file descriptor; calling it again has no effect.
     *
     * @throws IOException if close(2) reports an error
     */
    @Override
    public void close() throws IOException {
        int f;
        synchronized (this) {
            f = fd;
            if (f < 0) {
                return;
            }
            fd = -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            int r = (int) Downcalls.invoke(CLOSE, capture, f);
            if (r != 0) {
                int err = Downcalls.errno(capture);
                if (err != EINTR) { // on Linux the descriptor is released even on EINTR: never retry
                    throw NativePath.errnoException(path, err, "close");
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LinuxFile[" + path + ", fd=" + fd + "]";
    }

    private int checkedFd() throws ClosedChannelException {
        int f = fd;
        if (f < 0) {
            throw new ClosedChannelException();
        }
        return f;
    }
}
