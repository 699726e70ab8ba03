package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.Charset;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.jcasync.format.FileMode.S_IFMT;
import static org.jcasync.internal.Downcalls.addr;
import static org.jcasync.internal.Downcalls.int32;
import static org.jcasync.internal.Downcalls.invoke;
import static org.jcasync.internal.fs.Libc.call;
import static org.jcasync.internal.fs.Libc.cstr;
import static org.jcasync.internal.fs.Libc.tryCall;

/**
 * The descriptor-relative ("*at") file calls a tree extraction needs, through FFM, and the constants of this
 * package's libc binding (errno values, open and *at flags). Every name is one path component (raw bytes, no '/')
 * relative to an open directory descriptor, and nothing follows a symlink unless asked. This is what keeps an archive
 * from writing outside its target: the extractor only ever holds descriptors of directories it opened with
 * {@code O_NOFOLLOW} and names it validated. The other concerns have classes of their own: {@link FileIo} (contents),
 * {@link Xattrs}, {@link FileAttributes} (chattr flags, project ids, FAT attributes), {@link FileSystems} (types,
 * btrfs subvolumes), {@link UserDb} (user and group names), {@link LinuxFile} (sparse files and block devices).
 *
 * <p>Failures are {@link IOException}s whose message is "{@code where}: call: strerror"; {@link Errno} exposes the
 * number for callers that handle specific errors. Linux x86_64 and aarch64 only.
 */
public final class Posix {
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    private static final boolean ARM = System.getProperty("os.arch", "").equals("aarch64");
    public static final int O_DIRECTORY = ARM ? 040000 : 0200000;
    public static final int O_NOFOLLOW = ARM ? 0100000 : 0400000;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int ETXTBSY = 26;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;

    /** UTIME_OMIT from sys/stat.h. */
    private static final long UTIME_OMIT = (1L << 30) - 2;

    /** An error with its errno. */
    public static final class Errno extends FileSystemException {
        private final int errno;

        Errno(String file, String reason, int errno) {
            super(file, null, reason);
            this.errno = errno;
        }

        /** The errno value. */
        public int errno() {
            return errno;
        }
    }

    /** What {@link #stat} reports (from statx, so the same layout on every architecture). */
    public record Stat(int mode, int uid, int gid, long size, long mtimeSec, long mtimeNsec, int nlink, long ino,
                       long rdevMajor, long rdevMinor, long devMajor, long devMinor) {
        /** The file-type bits of {@link #mode}. */
        public int type() {
            return mode & S_IFMT;
        }

        /** mtime as nanoseconds since the epoch (two's complement for times before 1970). */
        public long mtimeNanos() {
            return mtimeSec * 1_000_000_000L + mtimeNsec;
        }
    }

    // Every function has the same downcall shape (Downcalls explains why).
    private static final MethodHandle OPENAT = Downcalls.function("openat");
    private static final MethodHandle CLOSE = Downcalls.function("close");
    private static final MethodHandle MKDIRAT = Downcalls.function("mkdirat");
    private static final MethodHandle SYMLINKAT = Downcalls.function("symlinkat");
    private static final MethodHandle MKNODAT = Downcalls.function("mknodat");
    private static final MethodHandle RENAMEAT2 = Downcalls.function("renameat2");
    private static final MethodHandle UNLINKAT = Downcalls.function("unlinkat");
    private static final MethodHandle LINKAT = Downcalls.function("linkat");
    private static final MethodHandle FCHOWNAT = Downcalls.function("fchownat");
    private static final MethodHandle FCHMODAT = Downcalls.function("fchmodat");
    private static final MethodHandle FCHMOD = Downcalls.function("fchmod");
    private static final MethodHandle UTIMENSAT = Downcalls.function("utimensat");
    private static final MethodHandle FUTIMENS = Downcalls.function("futimens");
    private static final MethodHandle READLINKAT = Downcalls.function("readlinkat");
    private static final MethodHandle STATX = Downcalls.function("statx");
    private static final MethodHandle GETDENTS64 = Downcalls.function("getdents64");
    private static final MethodHandle GETEUID = Downcalls.function("geteuid");
    private static final MethodHandle FLOCK = Downcalls.function("flock");

    private Posix() {
    }

    /** The exception for a failed call: "{@code op}: strerror" about {@code where}. */
    public static Errno error(String where, String op, int errno) {
        return new Errno(where, op + ": " + strerror(errno), errno);
    }

    /** strerror(3). */
    public static String strerror(int errno) {
        return Downcalls.strerror(errno);
    }

    /** The charset Java uses for file names (sun.jnu.encoding), in which a {@link Path} meets libc. */
    public static Charset pathCharset() {
        return NativePath.CHARSET;
    }

    /** The effective user id. */
    public static int geteuid() {
        try {
            return (int) Downcalls.invokeQuietly(GETEUID, 0, 0, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** openat(2) of one name; returns the descriptor or {@code -errno}. */
    public static int tryOpenAt(int dirFd, byte[] name, int flags, int mode) {
        return (int) tryCall((a, c) -> int32(invoke(OPENAT, c, dirFd, addr(cstr(a, name)), flags | O_CLOEXEC, mode)));
    }

    /** openat(2); {@code where} names the file in errors. */
    public static int openAt(int dirFd, byte[] name, int flags, int mode, String where) throws Errno {
        return (int) call(where, "open", (a, c) -> int32(invoke(OPENAT, c, dirFd, addr(cstr(a, name)),
                flags | O_CLOEXEC, mode)));
    }

    /** Opens a directory by path (following symlinks: the user named it), read-only. */
    public static int openDirectory(String path) throws Errno {
        return openAt(AT_FDCWD, path.getBytes(NativePath.CHARSET), O_RDONLY | O_DIRECTORY, 0, path);
    }

    /**
     * Opens {@code path} read-only without following a final symlink ({@code O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NOFOLLOW},
     * plus {@code O_DIRECTORY} for directories), as casync opens the regular files and directories it archives.
     * Failures are java.nio's exceptions for the errno ({@code NoSuchFileException}...).
     */
    public static int open(Path path, boolean directory) throws IOException {
        int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | (directory ? O_DIRECTORY : 0);
        return (int) Libc.callOnPath(path, "open", (a, c) -> int32(invoke(OPENAT, c, AT_FDCWD,
                addr(Libc.cpath(a, path)), flags, 0)));
    }

    /** close(2), ignoring errors (nothing useful can be done about them for the descriptors used here). */
    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            Downcalls.invokeQuietly(CLOSE, fd, 0, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** flock(2) operations. */
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;

    /** flock(2) (a lock of the open file description: held until every descriptor of it is closed); 0 or -errno. */
    public static int tryFlock(int fd, int operation) {
        return (int) tryCall((a, c) -> int32(invoke(FLOCK, c, fd, operation)));
    }

    /** mkdirat(2); returns 0 or {@code -errno}. */
    public static int tryMkdirAt(int dirFd, byte[] name, int mode) {
        return (int) tryCall((a, c) -> int32(invoke(MKDIRAT, c, dirFd, addr(cstr(a, name)), mode)));
    }

    /** symlinkat(2). */
    public static void symlinkAt(byte[] target, int dirFd, byte[] name, String where) throws Errno {
        call(where, "symlink", (a, c) -> int32(invoke(SYMLINKAT, c, addr(cstr(a, target)), dirFd,
                addr(cstr(a, name)))));
    }

    /** mknodat(2) for devices, fifos and sockets. */
    public static void mknodAt(int dirFd, byte[] name, int mode, long major, long minor, String where) throws Errno {
        long dev = ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12)
                | (minor & 0xffL);
        call(where, "mknod", (a, c) -> int32(invoke(MKNODAT, c, dirFd, addr(cstr(a, name)), mode, dev)));
    }

    /** renameat2(2) within one directory; returns 0 or {@code -errno}. */
    public static int tryRenameAt(int dirFd, byte[] from, byte[] to, int flags) {
        return (int) tryCall((a, c) -> int32(invoke(RENAMEAT2, c, dirFd, addr(cstr(a, from)), dirFd,
                addr(cstr(a, to)), flags)));
    }

    /** unlinkat(2); returns 0 or {@code -errno}. */
    public static int tryUnlinkAt(int dirFd, byte[] name, int flags) {
        return (int) tryCall((a, c) -> int32(invoke(UNLINKAT, c, dirFd, addr(cstr(a, name)), flags)));
    }

    /** linkat(2) without following symlinks; returns 0 or {@code -errno}. */
    public static int tryLinkAt(int fromDir, byte[] from, int toDir, byte[] to) {
        return (int) tryCall((a, c) -> int32(invoke(LINKAT, c, fromDir, addr(cstr(a, from)), toDir,
                addr(cstr(a, to)), 0)));
    }

    /** lchown of a name, or fchown of {@code fd} itself when {@code name} is empty. */
    public static void chownAt(int fd, byte[] name, int uid, int gid, String where) throws Errno {
        int flags = AT_SYMLINK_NOFOLLOW | (name.length == 0 ? AT_EMPTY_PATH : 0);
        call(where, "chown", (a, c) -> int32(invoke(FCHOWNAT, c, fd, addr(cstr(a, name)), uid, gid, flags)));
    }

    /** fchmod(2). */
    public static void fchmod(int fd, int mode, String where) throws Errno {
        call(where, "chmod", (a, c) -> int32(invoke(FCHMOD, c, fd, mode)));
    }

    /** fchmodat(2) of a name (follows nothing: callers use it for non-symlinks only). */
    public static void chmodAt(int dirFd, byte[] name, int mode, String where) throws Errno {
        call(where, "chmod", (a, c) -> int32(invoke(FCHMODAT, c, dirFd, addr(cstr(a, name)), mode, 0)));
    }

    /**
     * Sets the modification time (access time untouched, as casync) of a name without following a symlink, or of
     * {@code fd} itself when {@code name} is empty.
     */
    public static void setMtime(int fd, byte[] name, long mtimeNanos, String where) throws Errno {
        // casync stores an unsigned nanosecond count; its encoder writes times before 1970 as two's complement.
        // Small negative values are such times; other values with the top bit set are times after 2262.
        long sec;
        long nsec;
        if (mtimeNanos < 0 && mtimeNanos >= Integer.MIN_VALUE * 1_000_000_000L) {
            sec = Math.floorDiv(mtimeNanos, 1_000_000_000L);
            nsec = Math.floorMod(mtimeNanos, 1_000_000_000L);
        } else {
            sec = Long.divideUnsigned(mtimeNanos, 1_000_000_000L);
            nsec = Long.remainderUnsigned(mtimeNanos, 1_000_000_000L);
        }
        call(where, "utimensat", (a, c) -> {
            MemorySegment ts = a.allocate(32, 8);
            ts.set(JAVA_LONG, 0, 0);
            ts.set(JAVA_LONG, 8, UTIME_OMIT);
            ts.set(JAVA_LONG, 16, sec);
            ts.set(JAVA_LONG, 24, nsec);
            if (name.length == 0) {
                return int32(invoke(FUTIMENS, c, fd, addr(ts)));
            }
            return int32(invoke(UTIMENSAT, c, fd, addr(cstr(a, name)), addr(ts), AT_SYMLINK_NOFOLLOW));
        });
    }

    /** readlinkat(2): the target of a symlink. */
    public static byte[] readlinkAt(int dirFd, byte[] name, String where) throws Errno {
        byte[][] out = new byte[1][];
        call(where, "readlink", (a, c) -> {
            MemorySegment buf = a.allocate(4097);
            long n = invoke(READLINKAT, c, dirFd, addr(cstr(a, name)), addr(buf), 4097L);
            if (n >= 0) {
                out[0] = buf.asSlice(0, n).toArray(JAVA_BYTE);
            }
            return n;
        });
        return out[0];
    }

    /** statx of a name without following a symlink (or of {@code fd} when the name is empty); null if missing. */
    public static Stat stat(int dirFd, byte[] name, String where) throws Errno {
        Stat[] out = new Stat[1];
        long r = tryCall((a, c) -> {
            MemorySegment b = a.allocate(256, 8);
            int flags = AT_SYMLINK_NOFOLLOW | (name.length == 0 ? AT_EMPTY_PATH : 0);
            int rc = (int) invoke(STATX, c, dirFd, addr(cstr(a, name)), flags, 0xfff /* STATX_BASIC_STATS|BTIME */,
                    addr(b));
            if (rc == 0) {
                out[0] = new Stat(b.get(JAVA_SHORT, 28) & 0xffff, b.get(JAVA_INT, 20), b.get(JAVA_INT, 24),
                        b.get(JAVA_LONG, 40), b.get(JAVA_LONG, 112), b.get(JAVA_INT, 120) & 0xffffffffL,
                        b.get(JAVA_INT, 16), b.get(JAVA_LONG, 32), b.get(JAVA_INT, 128) & 0xffffffffL,
                        b.get(JAVA_INT, 132) & 0xffffffffL, b.get(JAVA_INT, 136) & 0xffffffffL,
                        b.get(JAVA_INT, 140) & 0xffffffffL);
            }
            return rc;
        });
        if (r == -ENOENT) {
            return null;
        }
        if (r < 0) {
            throw error(where, "statx", (int) -r);
        }
        return out[0];
    }

    /**
     * The modification time of {@code path} (not following a final symlink) as {@code {seconds, nanoseconds}},
     * exactly as the kernel reports it (java.nio keeps only microseconds beyond the year 2262).
     */
    public static long[] mtime(Path path) throws IOException {
        long[] out = new long[2];
        Libc.callOnPath(path, "statx", (a, c) -> {
            MemorySegment b = a.allocate(256, 8);
            int rc = (int) invoke(STATX, c, AT_FDCWD, addr(Libc.cpath(a, path)), AT_SYMLINK_NOFOLLOW,
                    0x40 /* STATX_MTIME */, addr(b));
            out[0] = b.get(JAVA_LONG, 112);
            out[1] = b.get(JAVA_INT, 120) & 0xffffffffL;
            return rc;
        });
        return out;
    }

    /** The names in a directory (raw bytes, without "." and ".."), read with getdents64 from a fresh descriptor. */
    public static List<byte[]> list(int dirFd, String where) throws Errno {
        int fd = openAt(dirFd, new byte[] {'.'}, O_RDONLY | O_DIRECTORY, 0, where);
        try {
            List<byte[]> names = new ArrayList<>();
            while (true) {
                long r = call(where, "getdents64", (a, c) -> {
                    MemorySegment buf = a.allocate(32768, 8);
                    long n = invoke(GETDENTS64, c, fd, addr(buf), 32768L);
                    for (long p = 0; p < n; ) {
                        int reclen = buf.get(JAVA_SHORT, p + 16) & 0xffff;
                        long s = p + 19;
                        long e = s;
                        while (buf.get(JAVA_BYTE, e) != 0) {
                            e++;
                        }
                        byte[] name = buf.asSlice(s, e - s).toArray(JAVA_BYTE);
                        if (!(name.length == 1 && name[0] == '.') && !(name.length == 2 && name[0] == '.'
                                && name[1] == '.')) {
                            names.add(name);
                        }
                        p += reclen;
                    }
                    return n;
                });
                if (r == 0) {
                    return names;
                }
            }
        } finally {
            close(fd);
        }
    }

    /** True for errors that mean "this file system does not do that". */
    public static boolean unsupported(int errno) {
        return errno == ENOTTY || errno == ENOSYS || errno == EBADF || errno == EOPNOTSUPP || errno == EINVAL;
    }
}
