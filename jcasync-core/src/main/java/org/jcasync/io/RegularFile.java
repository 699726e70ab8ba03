package org.jcasync.io;

import org.jcasync.internal.Downcalls;
import org.jcasync.internal.fs.FileMeta;
import org.jcasync.internal.fs.Posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.Charset;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A regular file below a directory, opened for reading the way a server must open the files of a store that others
 * can write to: nothing outside the directory and nothing that hangs. {@link #openBelow} opens the directory as
 * named (the caller's choice, symlinks followed), then each component of the relative path from the one before with
 * {@code O_NOFOLLOW} (a symlink anywhere below the directory, {@code STORE/ab12 -> /etc} as well as
 * {@code STORE/ab12/<id>.cacnk -> /etc/shadow}, is refused), the file itself also with {@code O_NONBLOCK} (opening a
 * FIFO or device returns at once), and refuses what {@code fstat} on the descriptor says is not a regular file (no
 * race with a file swapped in meanwhile).
 * <p>
 * Every call allocates its native memory in a confined arena freed on return: servers call this from a virtual thread
 * per request, where per-thread native buffers would never be freed.
 */
@SuppressWarnings("restricted")
public final class RegularFile implements AutoCloseable {
    /** The file exists but is no regular file (or a symlink is on the way to it). */
    public static final class NotRegularException extends FileSystemException {
        private static final long serialVersionUID = 1L;

        NotRegularException(String file, String what) {
            super(file, null, "is " + what + ", not a regular file");
        }
    }

    private static final MethodHandle OPENAT = Downcalls.function("openat");
    private static final MethodHandle CLOSE = Downcalls.function("close");
    private static final MethodHandle STATX = Downcalls.function("statx");
    private static final MethodHandle PREAD = Downcalls.arrayFunction("pread");
    /** statx(2): STATX_TYPE | STATX_SIZE; the mode is the u16 at offset 28 of struct statx, the size the u64 at 40. */
    private static final int STATX_TYPE_SIZE = 0x1 | 0x200;
    private static final int STATX_SIZE = 256;
    private static final long STATX_MODE_OFFSET = 28;
    private static final long STATX_SIZE_OFFSET = 40;
    private static final Charset NAMES = FileMeta.pathCharset();

    private final int fd;
    private final String name;
    private final long size;
    private boolean closed;

    private RegularFile(int fd, String name, long size) {
        this.fd = fd;
        this.name = name;
        this.size = size;
    }

    /**
     * Opens {@code relative} (components separated by '/', none empty, "." or "..") below {@code root}.
     *
     * @throws NoSuchFileException when the file or a directory on the way is missing
     * @throws NotRegularException when it is a FIFO, device, socket, directory or symlink, or a symlink is on the way
     */
    public static RegularFile openBelow(Path root, String relative) throws IOException {
        String[] parts = relative.split("/", -1);
        for (String p : parts) {
            if (p.isEmpty() || p.equals(".") || p.equals("..")) {
                throw new IllegalArgumentException("not a plain relative path: " + relative);
            }
        }
        String name = root.resolve(relative).toString();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            int dir = open(arena, capture, Posix.AT_FDCWD, root.toString(), Posix.O_DIRECTORY, root.toString());
            try {
                for (int i = 0; i < parts.length - 1; i++) {
                    String at = root.resolve(String.join("/", Arrays.copyOf(parts, i + 1))).toString();
                    int sub = open(arena, capture, dir, parts[i], Posix.O_DIRECTORY | Posix.O_NOFOLLOW, at);
                    close(capture, dir);
                    dir = sub;
                }
                int fd = open(arena, capture, dir, parts[parts.length - 1], Posix.O_NOFOLLOW | Posix.O_NONBLOCK
                        | Posix.O_NOCTTY, name);
                try {
                    MemorySegment st = arena.allocate(STATX_SIZE, 8);
                    int rc = (int) Downcalls.invoke(STATX, capture, fd, Downcalls.addr(cstr(arena, "")),
                            Posix.AT_EMPTY_PATH, STATX_TYPE_SIZE, Downcalls.addr(st));
                    if (rc != 0) {
                        throw Posix.error(name, "statx", Downcalls.errno(capture));
                    }
                    int type = (st.get(JAVA_SHORT, STATX_MODE_OFFSET) & 0xffff) & Posix.S_IFMT;
                    if (type != Posix.S_IFREG) {
                        throw new NotRegularException(name, kind(type));
                    }
                    return new RegularFile(fd, name, st.get(JAVA_LONG, STATX_SIZE_OFFSET));
                } catch (IOException | RuntimeException | Error e) {
                    close(capture, fd);
                    throw e;
                }
            } finally {
                close(capture, dir);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Whether {@code relative} below {@code root} is a regular file, reached without a symlink. */
    public static boolean isRegularBelow(Path root, String relative) throws IOException {
        try (RegularFile ignored = openBelow(root, relative)) {
            return true;
        } catch (NoSuchFileException | NotRegularException e) {
            return false;
        }
    }

    /** openat(2) of one name, retried on EINTR; a failure names {@code where}. */
    private static int open(Arena arena, MemorySegment capture, int dir, String component, int flags, String where)
            throws Throwable {
        MemorySegment cname = cstr(arena, component);
        while (true) {
            int fd = (int) Downcalls.int32(Downcalls.invoke(OPENAT, capture, dir, Downcalls.addr(cname),
                    Posix.O_RDONLY | Posix.O_CLOEXEC | flags, 0));
            if (fd >= 0) {
                return fd;
            }
            int errno = Downcalls.errno(capture);
            switch (errno) {
                case Posix.EINTR -> {
                }
                case Posix.ENOENT -> throw new NoSuchFileException(where);
                case Posix.EACCES, Posix.EPERM -> throw new AccessDeniedException(where);
                // O_NOFOLLOW on a symlink: ELOOP; with O_DIRECTORY: ENOTDIR (also a plain file on the way).
                case Posix.ELOOP -> throw new NotRegularException(where, "a symbolic link");
                case Posix.ENOTDIR -> throw new NotRegularException(where, "a symbolic link or a file where a "
                        + "directory should be");
                default -> throw Posix.error(where, "open", errno);
            }
        }
    }

    private static MemorySegment cstr(Arena arena, String s) {
        byte[] b = s.getBytes(NAMES);
        MemorySegment m = arena.allocate(b.length + 1L);
        MemorySegment.copy(b, 0, m, JAVA_BYTE, 0, b.length);
        m.set(JAVA_BYTE, b.length, (byte) 0);
        return m;
    }

    private static String kind(int type) {
        return switch (type) {
            case Posix.S_IFIFO -> "a FIFO";
            case Posix.S_IFCHR -> "a character device";
            case Posix.S_IFBLK -> "a block device";
            case Posix.S_IFSOCK -> "a socket";
            case Posix.S_IFDIR -> "a directory";
            case Posix.S_IFLNK -> "a symbolic link";
            default -> "of type " + Integer.toOctalString(type);
        };
    }

    private static void close(MemorySegment capture, int fd) {
        try {
            Downcalls.invoke(CLOSE, capture, fd);
        } catch (Throwable t) {
            // Nothing useful to do about a failed close of a descriptor only read from.
        }
    }

    /** Its size when it was opened. */
    public long size() {
        return size;
    }

    /** Reads up to {@code len} bytes at {@code position}; 0 at the end of the file. */
    public int read(byte[] b, int off, int len, long position) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            while (true) {
                long n = Downcalls.invokeArray(PREAD, capture, fd, MemorySegment.ofArray(b).asSlice(off, len), len,
                        position);
                if (n >= 0) {
                    return (int) n;
                }
                int errno = Downcalls.errno(capture);
                if (errno != Posix.EINTR) {
                    throw Posix.error(name, "read", errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Fills {@code b[off, off+len)} from {@code position}; false when the file ends first. */
    public boolean readFully(byte[] b, int off, int len, long position) throws IOException {
        while (len > 0) {
            int n = read(b, off, len, position);
            if (n <= 0) {
                return false;
            }
            off += n;
            len -= n;
            position += n;
        }
        return true;
    }

    /** The whole file as it is when read, or null when it is (or grows to be) larger than {@code limit} bytes. */
    public byte[] readAll(long limit) throws IOException {
        if (size > limit) {
            return null;
        }
        // One byte more than the size it had when opened tells whether it grew meanwhile.
        byte[] b = new byte[(int) Math.min(limit + 1, size + 1)];
        int n = 0;
        while (true) {
            int r = read(b, n, b.length - n, n);
            if (r <= 0) {
                return Arrays.copyOf(b, n);
            }
            n += r;
            if (n == b.length) {
                if (n > limit) {
                    return null;
                }
                b = Arrays.copyOf(b, (int) Math.min(limit + 1, 2L * n));
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try (Arena arena = Arena.ofConfined()) {
                close(arena.allocate(Downcalls.CAPTURE_LAYOUT), fd);
            }
        }
    }
}
