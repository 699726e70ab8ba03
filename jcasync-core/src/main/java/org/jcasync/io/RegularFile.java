package org.jcasync.io;

import org.jcasync.format.FileMode;
import org.jcasync.internal.fs.FileIo;
import org.jcasync.internal.fs.Posix;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A file of a store opened for reading without blocking and only if it is a regular file: a FIFO (or a device) put
 * where a chunk or pack should be would otherwise make {@code open} or {@code read} wait for ever. Opened with
 * {@code O_NONBLOCK}, which returns at once for a FIFO with no writer, then checked with {@code fstat} on the
 * descriptor (no race with a file swapped in meanwhile).
 * <p>
 * {@link #open} follows symlinks, as casync does for the stores its user names. {@link #openBelow} is how a server
 * opens the files of a store that others can write to: the directory as named, then each component below it with
 * {@code O_NOFOLLOW}, so that a symlink anywhere below the directory ({@code STORE/ab12 -> /etc} as well as
 * {@code STORE/ab12/<id>.cacnk -> /etc/shadow}) is refused.
 */
public final class RegularFile implements AutoCloseable {
    /** The file exists but is no regular file (or a symlink is on the way to it). */
    public static final class NotRegularException extends FileSystemException {
        private static final long serialVersionUID = 1L;

        NotRegularException(String file, String what) {
            super(file, null, "is " + what + ", not a regular file");
        }
    }

    private static final int READ_FLAGS = Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOCTTY;

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
     * Opens {@code file} for reading.
     *
     * @throws NoSuchFileException when there is none
     * @throws NotRegularException when it is a FIFO, device, socket or directory
     */
    public static RegularFile open(Path file) throws IOException {
        String name = file.toString();
        return checked(openAt(Posix.AT_FDCWD, name, READ_FLAGS, name), name);
    }

    /**
     * Opens {@code relative} (components separated by '/', none empty, "." or "..") below {@code root}, refusing a
     * symlink on the way or at the end.
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
        int dir = openAt(Posix.AT_FDCWD, root.toString(), Posix.O_RDONLY | Posix.O_DIRECTORY, root.toString());
        try {
            for (int i = 0; i < parts.length - 1; i++) {
                String at = root.resolve(String.join("/", Arrays.copyOf(parts, i + 1))).toString();
                int sub = openAt(dir, parts[i], Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW, at);
                Posix.close(dir);
                dir = sub;
            }
            String name = root.resolve(relative).toString();
            return checked(openAt(dir, parts[parts.length - 1], READ_FLAGS | Posix.O_NOFOLLOW, name), name);
        } finally {
            Posix.close(dir);
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

    /** openat(2) of one name; a failure names {@code where}. */
    private static int openAt(int dir, String component, int flags, String where) throws IOException {
        int fd = Posix.tryOpenAt(dir, component.getBytes(Posix.pathCharset()), flags, 0);
        if (fd < 0) {
            throw switch (-fd) {
                case Posix.ENOENT -> new NoSuchFileException(where);
                case Posix.EACCES, Posix.EPERM -> new AccessDeniedException(where);
                // O_NOFOLLOW on a symlink: ELOOP; with O_DIRECTORY: ENOTDIR (also a plain file on the way).
                case Posix.ELOOP -> new NotRegularException(where, "a symbolic link");
                case Posix.ENOTDIR -> new NotRegularException(where, "a symbolic link or a file where a directory "
                        + "should be");
                default -> Posix.error(where, "open", -fd);
            };
        }
        return fd;
    }

    /** {@code fd} as a RegularFile if fstat says it is one; closed otherwise. */
    private static RegularFile checked(int fd, String name) throws IOException {
        try {
            Posix.Stat st = Posix.stat(fd, new byte[0], name);
            if (st.type() != FileMode.S_IFREG) {
                throw new NotRegularException(name, switch (st.type()) {
                    case FileMode.S_IFIFO -> "a FIFO";
                    case FileMode.S_IFCHR -> "a character device";
                    case FileMode.S_IFBLK -> "a block device";
                    case FileMode.S_IFSOCK -> "a socket";
                    case FileMode.S_IFDIR -> "a directory";
                    case FileMode.S_IFLNK -> "a symbolic link";
                    default -> "of type " + Integer.toOctalString(st.type());
                });
            }
            return new RegularFile(fd, name, st.size());
        } catch (IOException | RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    /** Its size when it was opened. */
    public long size() {
        return size;
    }

    /** Reads up to {@code len} bytes at {@code position}; 0 at the end of the file. */
    public int read(byte[] b, int off, int len, long position) throws IOException {
        return FileIo.pread(fd, b, off, len, position, name);
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
            Posix.close(fd);
        }
    }
}
