package org.jcasync.io;

import org.jcasync.format.FileMode;
import org.jcasync.internal.fs.FileIo;
import org.jcasync.internal.fs.Posix;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A file of a store opened for reading without blocking and only if it is a regular file: a FIFO (or a device) put
 * where a chunk or pack should be would otherwise make {@code open} or {@code read} wait for ever. Opened with
 * {@code O_NONBLOCK}, which returns at once for a FIFO with no writer, then checked with {@code fstat} on the
 * descriptor (no race with a file swapped in meanwhile); symlinks are followed, as casync follows them.
 */
public final class RegularFile implements AutoCloseable {
    /** The file exists but is no regular file. */
    public static final class NotRegularException extends FileSystemException {
        private static final long serialVersionUID = 1L;

        NotRegularException(String file, String what) {
            super(file, null, "is " + what + ", not a regular file");
        }
    }

    private final int fd;
    private final String name;
    private final long size;

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
        int fd = Posix.tryOpenAt(Posix.AT_FDCWD, name.getBytes(Posix.pathCharset()),
                Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOCTTY, 0);
        if (fd < 0) {
            throw switch (-fd) {
                case Posix.ENOENT -> new NoSuchFileException(name);
                case Posix.EACCES, Posix.EPERM -> new AccessDeniedException(name);
                default -> Posix.error(name, "open", -fd);
            };
        }
        try {
            Posix.Stat st = Posix.stat(fd, new byte[0], name);
            if (st.type() != FileMode.S_IFREG) {
                throw new NotRegularException(name, switch (st.type()) {
                    case FileMode.S_IFIFO -> "a FIFO";
                    case FileMode.S_IFCHR -> "a character device";
                    case FileMode.S_IFBLK -> "a block device";
                    case FileMode.S_IFSOCK -> "a socket";
                    case FileMode.S_IFDIR -> "a directory";
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

    @Override
    public void close() {
        Posix.close(fd);
    }
}
