package org.jcasync.format;

/**
 * The file-type bits of {@code st_mode} ({@code sys/stat.h}), as casync stores them in an ENTRY's mode and as Linux
 * reports them: the same values on every architecture Linux runs on.
 */
public final class FileMode {
    /** The mask of the file-type bits. */
    public static final int S_IFMT = 0170000;
    /** Socket. */
    public static final int S_IFSOCK = 0140000;
    /** Symbolic link. */
    public static final int S_IFLNK = 0120000;
    /** Regular file. */
    public static final int S_IFREG = 0100000;
    /** Block device. */
    public static final int S_IFBLK = 0060000;
    /** Directory. */
    public static final int S_IFDIR = 0040000;
    /** Character device. */
    public static final int S_IFCHR = 0020000;
    /** Named pipe. */
    public static final int S_IFIFO = 0010000;

    private FileMode() {
    }

    /** The file-type bits of {@code mode}. */
    public static int type(long mode) {
        return (int) (mode & S_IFMT);
    }
}
