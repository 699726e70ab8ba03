package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.List;

import static org.jcasync.internal.Downcalls.addr;
import static org.jcasync.internal.Downcalls.invoke;
import static org.jcasync.internal.Downcalls.int32;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The descriptor-relative ("*at") file calls a tree extraction needs, through FFM: every name is one path component
 * (raw bytes, no '/') relative to an open directory descriptor, and nothing follows a symlink unless asked. This is
 * what keeps an archive from writing outside its target: the extractor only ever holds descriptors of directories it
 * opened with {@code O_NOFOLLOW} and names it validated.
 *
 * <p>Failures are {@link IOException}s whose message is "{@code where}: call: strerror"; {@link Errno} exposes the
 * number for callers that handle specific errors.
 */
@SuppressWarnings("restricted")
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

    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;

    private static final long FS_IOC_GETFLAGS = 0x80086601L;
    private static final long FS_IOC_SETFLAGS = 0x40086602L;
    private static final long FS_IOC_FSGETXATTR = 0x801c581fL;
    private static final long FS_IOC_FSSETXATTR = 0x401c5820L;
    private static final long FICLONE = 0x40049409L;
    private static final long FAT_IOCTL_GET_ATTRIBUTES = 0x80047210L;
    private static final long FAT_IOCTL_SET_ATTRIBUTES = 0x40047211L;
    private static final long BTRFS_IOC_SUBVOL_CREATE = 0x5000940eL;
    private static final long BTRFS_IOC_SUBVOL_GETFLAGS = 0x80089419L;
    private static final long BTRFS_IOC_SUBVOL_SETFLAGS = 0x4008941aL;
    /** Size of struct btrfs_ioctl_vol_args: a 64-bit fd and a 4088-byte name. */
    private static final int BTRFS_VOL_ARGS_SIZE = 4096;
    /** BTRFS_SUBVOL_RDONLY in the subvolume flags. */
    public static final long BTRFS_SUBVOL_RDONLY = 2;
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
        public int type() {
            return mode & S_IFMT;
        }

        /** mtime as nanoseconds since the epoch (two's complement for times before 1970). */
        public long mtimeNanos() {
            return mtimeSec * 1_000_000_000L + mtimeNsec;
        }
    }

    // Every function has the same downcall shape (Downcalls explains why); WRITE and PREAD take Java arrays in place.

    private static final MethodHandle OPENAT;
    private static final MethodHandle CLOSE;
    private static final MethodHandle MKDIRAT;
    private static final MethodHandle SYMLINKAT;
    private static final MethodHandle MKNODAT;
    private static final MethodHandle RENAMEAT2;
    private static final MethodHandle UNLINKAT;
    private static final MethodHandle LINKAT;
    private static final MethodHandle FCHOWNAT;
    private static final MethodHandle FCHMODAT;
    private static final MethodHandle FCHMOD;
    private static final MethodHandle UTIMENSAT;
    private static final MethodHandle FUTIMENS;
    private static final MethodHandle READLINKAT;
    private static final MethodHandle STATX;
    private static final MethodHandle IOCTL;
    private static final MethodHandle FSETXATTR;
    private static final MethodHandle FGETXATTR;
    private static final MethodHandle FLISTXATTR;
    private static final MethodHandle FREMOVEXATTR;
    private static final MethodHandle LSETXATTR;
    private static final MethodHandle LGETXATTR;
    private static final MethodHandle LREMOVEXATTR;
    private static final MethodHandle WRITE;
    private static final MethodHandle PREAD;
    private static final MethodHandle FTRUNCATE;
    private static final MethodHandle LSEEK;
    private static final MethodHandle COPY_FILE_RANGE;
    private static final MethodHandle GETDENTS64;
    private static final MethodHandle GETEUID;
    private static final MethodHandle GETPWNAM;
    private static final MethodHandle GETGRNAM;
    private static final MethodHandle UMASK;
    private static final MethodHandle FLOCK;

    static {
        OPENAT = Downcalls.function("openat");
        CLOSE = Downcalls.function("close");
        MKDIRAT = Downcalls.function("mkdirat");
        SYMLINKAT = Downcalls.function("symlinkat");
        MKNODAT = Downcalls.function("mknodat");
        RENAMEAT2 = Downcalls.function("renameat2");
        UNLINKAT = Downcalls.function("unlinkat");
        LINKAT = Downcalls.function("linkat");
        FCHOWNAT = Downcalls.function("fchownat");
        FCHMODAT = Downcalls.function("fchmodat");
        FCHMOD = Downcalls.function("fchmod");
        UTIMENSAT = Downcalls.function("utimensat");
        FUTIMENS = Downcalls.function("futimens");
        READLINKAT = Downcalls.function("readlinkat");
        STATX = Downcalls.function("statx");
        IOCTL = Downcalls.function("ioctl");
        FSETXATTR = Downcalls.function("fsetxattr");
        FGETXATTR = Downcalls.function("fgetxattr");
        FLISTXATTR = Downcalls.function("flistxattr");
        FREMOVEXATTR = Downcalls.function("fremovexattr");
        LSETXATTR = Downcalls.function("lsetxattr");
        LGETXATTR = Downcalls.function("lgetxattr");
        LREMOVEXATTR = Downcalls.function("lremovexattr");
        FTRUNCATE = Downcalls.function("ftruncate");
        LSEEK = Downcalls.function("lseek");
        COPY_FILE_RANGE = Downcalls.function("copy_file_range");
        GETDENTS64 = Downcalls.function("getdents64");
        GETEUID = Downcalls.function("geteuid");
        GETPWNAM = Downcalls.function("getpwnam");
        GETGRNAM = Downcalls.function("getgrnam");
        UMASK = Downcalls.function("umask");
        FLOCK = Downcalls.function("flock");
        WRITE = Downcalls.arrayFunction("write");
        PREAD = Downcalls.arrayFunction("pread");
    }

    private Posix() {
    }

    /** One native call: returns the C result; {@code capture} receives errno. */
    @FunctionalInterface
    private interface Call {
        long invoke(SegmentAllocator arena, MemorySegment capture) throws Throwable;
    }

    /**
     * Per-thread native memory for the arguments of one call (names, structs), reused from call to call: a tree
     * extraction makes hundreds of thousands of calls, and a fresh arena per call costs more than the call itself.
     * Handed-out memory is zeroed (C strings rely on it); requests that do not fit come from an automatic arena.
     */
    private static final class Scratch implements SegmentAllocator {
        private final MemorySegment memory = Arena.global().allocate(SCRATCH_SIZE, 16);
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

    private static final long SCRATCH_SIZE = 64 * 1024;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Runs {@code c} (retrying on EINTR); returns its result, or {@code -errno} when it failed. */
    private static long tryCall(Call c) {
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
                if (e != EINTR) {
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

    /** Runs {@code c}; a failure becomes an {@link Errno} naming {@code where} and {@code op}. */
    private static long call(String where, String op, Call c) throws Errno {
        long r = tryCall(c);
        if (r < 0) {
            throw error(where, op, (int) -r);
        }
        return r;
    }

    /** The exception for a failed call: "{@code op}: strerror" about {@code where}. */
    public static Errno error(String where, String op, int errno) {
        return new Errno(where, op + ": " + strerror(errno), errno);
    }

    /** strerror(3). */
    public static String strerror(int errno) {
        return Downcalls.strerror(errno);
    }

    private static MemorySegment cstr(SegmentAllocator arena, byte[] s) {
        MemorySegment m = arena.allocate(s.length + 1L);
        MemorySegment.copy(s, 0, m, JAVA_BYTE, 0, s.length);
        return m;
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
        return openAt(AT_FDCWD, path.getBytes(FileMeta.pathCharset()), O_RDONLY | O_DIRECTORY, 0, path);
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
        call(where, "symlink", (a, c) -> int32(invoke(SYMLINKAT, c, addr(cstr(a, target)), dirFd, addr(cstr(a, name)))));
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

    /** chattr flags (FS_IOC_GETFLAGS), or 0 where unsupported. */
    public static int getFlags(int fd, String where) throws Errno {
        return getIntOrZero(fd, FS_IOC_GETFLAGS, "FS_IOC_GETFLAGS", where);
    }

    /** Sets chattr flags (FS_IOC_SETFLAGS); returns 0 or {@code -errno}. */
    public static int trySetFlags(int fd, int flags) {
        return trySetInt(fd, FS_IOC_SETFLAGS, flags);
    }

    /** The int an ioctl {@code request} reads, or 0 where the file system does not support it. */
    private static int getIntOrZero(int fd, long request, String name, String where) throws Errno {
        int[] out = new int[1];
        long r = tryCall((a, c) -> {
            MemorySegment b = a.allocate(4, 4);
            long rc = int32(invoke(IOCTL, c, fd, request, addr(b)));
            out[0] = b.get(JAVA_INT, 0);
            return rc;
        });
        if (r < 0) {
            if (unsupported((int) -r)) {
                return 0;
            }
            throw error(where, name, (int) -r);
        }
        return out[0];
    }

    /** An ioctl {@code request} writing the int {@code value}; returns 0 or {@code -errno}. */
    private static int trySetInt(int fd, long request, int value) {
        return (int) tryCall((a, c) -> {
            MemorySegment b = a.allocate(4, 4);
            b.set(JAVA_INT, 0, value);
            return int32(invoke(IOCTL, c, fd, request, addr(b)));
        });
    }

    /** The project quota id (FS_IOC_FSGETXATTR), or -1 where unsupported. */
    public static long getProjectId(int fd) {
        long[] out = {-1};
        tryCall((a, c) -> {
            MemorySegment b = a.allocate(28);
            int rc = (int) invoke(IOCTL, c, fd, FS_IOC_FSGETXATTR, addr(b));
            if (rc == 0) {
                out[0] = b.get(JAVA_INT, 12) & 0xffffffffL;
            }
            return rc;
        });
        return out[0];
    }

    /** Sets the project quota id (FS_IOC_FSSETXATTR). */
    public static void setProjectId(int fd, long projid, String where) throws Errno {
        call(where, "FS_IOC_FSSETXATTR", (a, c) -> {
            MemorySegment b = a.allocate(28);
            int rc = (int) invoke(IOCTL, c, fd, FS_IOC_FSGETXATTR, addr(b));
            if (rc < 0) {
                return rc;
            }
            b.set(JAVA_INT, 12, (int) projid);
            return int32(invoke(IOCTL, c, fd, FS_IOC_FSSETXATTR, addr(b)));
        });
    }

    /** FICLONE: makes {@code dst} share all of {@code src}'s extents; returns 0 or {@code -errno}. */
    public static int tryClone(int dst, int src) {
        return (int) tryCall((a, c) -> int32(invoke(IOCTL, c, dst, FICLONE, src)));
    }

    /** FAT attributes (FAT_IOCTL_GET_ATTRIBUTES: ATTR_RO, ATTR_HIDDEN, ...), or 0 where unsupported (as casync). */
    public static int getFatAttributes(int fd, String where) throws Errno {
        return getIntOrZero(fd, FAT_IOCTL_GET_ATTRIBUTES, "FAT_IOCTL_GET_ATTRIBUTES", where);
    }

    /** Sets FAT attributes (FAT_IOCTL_SET_ATTRIBUTES); returns 0 or {@code -errno}. */
    public static int trySetFatAttributes(int fd, int attributes) {
        return trySetInt(fd, FAT_IOCTL_SET_ATTRIBUTES, attributes);
    }

    /** The flags of the btrfs subvolume whose root directory {@code fd} is (BTRFS_IOC_SUBVOL_GETFLAGS). */
    public static long subvolumeFlags(int fd, String where) throws Errno {
        long[] out = new long[1];
        call(where, "BTRFS_IOC_SUBVOL_GETFLAGS", (a, c) -> {
            MemorySegment b = a.allocate(8, 8);
            long rc = int32(invoke(IOCTL, c, fd, BTRFS_IOC_SUBVOL_GETFLAGS, addr(b)));
            out[0] = b.get(JAVA_LONG, 0);
            return rc;
        });
        return out[0];
    }

    /** Sets the flags of the btrfs subvolume whose root directory {@code fd} is (BTRFS_IOC_SUBVOL_SETFLAGS). */
    public static void setSubvolumeFlags(int fd, long flags, String where) throws Errno {
        call(where, "BTRFS_IOC_SUBVOL_SETFLAGS", (a, c) -> {
            MemorySegment b = a.allocate(8, 8);
            b.set(JAVA_LONG, 0, flags);
            return int32(invoke(IOCTL, c, fd, BTRFS_IOC_SUBVOL_SETFLAGS, addr(b)));
        });
    }

    /**
     * Creates the btrfs subvolume {@code name} in the directory {@code dirFd} (BTRFS_IOC_SUBVOL_CREATE) with the
     * umask set to 077 meanwhile, so that its root directory starts as private as a {@code mkdirat(0700)} one (as
     * casync); returns 0 or {@code -errno}.
     */
    public static int tryCreateSubvolume(int dirFd, byte[] name) {
        if (name.length >= BTRFS_VOL_ARGS_SIZE - 8) {
            return -EINVAL;
        }
        return (int) tryCall((a, c) -> {
            MemorySegment b = a.allocate(BTRFS_VOL_ARGS_SIZE, 8);
            MemorySegment.copy(name, 0, b, JAVA_BYTE, 8, name.length);
            long saved = Downcalls.invokeQuietly(UMASK, 077, 0, 0);
            try {
                return int32(invoke(IOCTL, c, dirFd, BTRFS_IOC_SUBVOL_CREATE, addr(b)));
            } finally {
                Downcalls.invokeQuietly(UMASK, saved, 0, 0);
            }
        });
    }

    /** True for errors that mean "this file system does not do that". */
    public static boolean unsupported(int errno) {
        return errno == ENOTTY || errno == ENOSYS || errno == EBADF || errno == EOPNOTSUPP || errno == EINVAL;
    }

    /** fsetxattr(2). */
    public static void setXattr(int fd, byte[] name, byte[] value, String where) throws Errno {
        call(where, "setxattr " + new String(name, FileMeta.pathCharset()), (a, c) -> {
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
            return int32(invoke(FSETXATTR, c, fd, addr(cstr(a, name)), addr(v), value.length, 0));
        });
    }

    /** fgetxattr(2): the value, or null when it is not set or xattrs are unsupported. */
    public static byte[] getXattr(int fd, byte[] name, String where) throws Errno {
        return readXattr(where, (a, c, v, space) -> invoke(FGETXATTR, c, fd, addr(cstr(a, name)), addr(v), space));
    }

    /** One of the getxattr calls: reads into {@code v} of {@code space} bytes. */
    @FunctionalInterface
    private interface XattrRead {
        long read(SegmentAllocator a, MemorySegment capture, MemorySegment v, long space) throws Throwable;
    }

    /** Runs a getxattr call with a growing buffer; the value, or null when it is not set or unsupported. */
    private static byte[] readXattr(String where, XattrRead call) throws Errno {
        long size = 256;
        while (true) {
            final long space = size;
            byte[][] out = new byte[1][];
            long r = tryCall((a, c) -> {
                MemorySegment v = a.allocate(space);
                long n = call.read(a, c, v, space);
                if (n >= 0) {
                    out[0] = v.asSlice(0, n).toArray(JAVA_BYTE);
                }
                return n;
            });
            if (r >= 0) {
                return out[0];
            }
            int e = (int) -r;
            if (e == ENODATA || e == EOPNOTSUPP) {
                return null;
            }
            if (e != ERANGE || size > (1 << 20)) {
                throw error(where, "getxattr", e);
            }
            size *= 4;
        }
    }

    /** flistxattr(2): the names; empty when unsupported. */
    public static List<byte[]> listXattrs(int fd, String where) throws Errno {
        long size = 1024;
        while (true) {
            final long space = size;
            List<byte[]> names = new ArrayList<>();
            long r = tryCall((a, c) -> {
                MemorySegment v = a.allocate(space);
                long n = invoke(FLISTXATTR, c, fd, addr(v), space);
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (v.get(JAVA_BYTE, i) == 0) {
                        if (i > start) {
                            names.add(v.asSlice(start, i - start).toArray(JAVA_BYTE));
                        }
                        start = i + 1;
                    }
                }
                return n;
            });
            if (r >= 0) {
                return names;
            }
            int e = (int) -r;
            if (e == EOPNOTSUPP || e == EBADF) {
                return List.of();
            }
            if (e != ERANGE || size > (1 << 24)) {
                throw error(where, "listxattr", e);
            }
            size *= 4;
        }
    }

    /** fremovexattr(2); a missing attribute is fine. */
    public static void removeXattr(int fd, byte[] name, String where) throws Errno {
        long r = tryCall((a, c) -> int32(invoke(FREMOVEXATTR, c, fd, addr(cstr(a, name)))));
        if (r < 0 && r != -ENODATA) {
            throw error(where, "removexattr", (int) -r);
        }
    }

    /**
     * {@code /proc/self/fd/DIRFD/NAME}: the entry {@code name} of an open directory itself (a final symlink not
     * followed by the l*xattr calls), for entries that have no descriptor of their own (symlinks, devices, fifos,
     * sockets), as casync addresses them.
     */
    public static byte[] procPath(int dirFd, byte[] name) {
        byte[] prefix = ("/proc/self/fd/" + dirFd + "/").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] p = java.util.Arrays.copyOf(prefix, prefix.length + name.length);
        System.arraycopy(name, 0, p, prefix.length, name.length);
        return p;
    }

    /** lsetxattr(2). */
    public static void lsetXattr(byte[] path, byte[] name, byte[] value, String where) throws Errno {
        call(where, "setxattr " + new String(name, FileMeta.pathCharset()), (a, c) -> {
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
            return int32(invoke(LSETXATTR, c, addr(cstr(a, path)), addr(cstr(a, name)), addr(v), value.length,
                    0));
        });
    }

    /** lremovexattr(2); a missing attribute is fine. */
    public static void lremoveXattr(byte[] path, byte[] name, String where) throws Errno {
        long r = tryCall((a, c) -> int32(invoke(LREMOVEXATTR, c, addr(cstr(a, path)), addr(cstr(a, name)))));
        if (r < 0 && r != -ENODATA) {
            throw error(where, "removexattr", (int) -r);
        }
    }

    /** lgetxattr(2): the value, or null when it is not set or xattrs are unsupported. */
    public static byte[] lgetXattr(byte[] path, byte[] name, String where) throws Errno {
        return readXattr(where, (a, c, v, space) -> invoke(LGETXATTR, c, addr(cstr(a, path)), addr(cstr(a, name)),
                addr(v), space));
    }

    /** Writes all of {@code b[off, off+len)} at the current position. */
    public static void writeFully(int fd, byte[] b, int off, int len, String where) throws Errno {
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
    public static int pread(int fd, byte[] b, int off, int len, long pos, String where) throws Errno {
        return (int) call(where, "read", (a, c) -> Downcalls.invokeArray(PREAD, c, fd,
                MemorySegment.ofArray(b).asSlice(off), len, pos));
    }

    /** Moves the file position by {@code delta} (used to leave holes). */
    public static void seekRelative(int fd, long delta, String where) throws Errno {
        call(where, "lseek", (a, c) -> invoke(LSEEK, c, fd, delta, 1 /* SEEK_CUR */));
    }

    /** ftruncate(2). */
    public static void ftruncate(int fd, long size, String where) throws Errno {
        call(where, "ftruncate", (a, c) -> int32(invoke(FTRUNCATE, c, fd, size)));
    }

    /**
     * Copies {@code len} bytes from {@code src} at 0 to {@code dst} at 0 with copy_file_range (which shares extents
     * on file systems that can); returns false if the kernel cannot do it for these files (callers copy by hand).
     */
    public static boolean copyRange(int src, int dst, long len, String where) throws Errno {
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
                if (done == 0 && (e == EXDEV || unsupported(e))) {
                    return false;
                }
                throw error(where, "copy_file_range", e);
            }
            if (r == 0) {
                throw error(where, "copy_file_range (source shorter than expected)", EINVAL);
            }
            done += r;
        }
        return true;
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

    /** The uid of a user name through NSS, or -1. */
    public static synchronized long uidOf(byte[] name) {
        return nssId(GETPWNAM, name, 16);
    }

    /** The gid of a group name through NSS, or -1. */
    public static synchronized long gidOf(byte[] name) {
        return nssId(GETGRNAM, name, 16);
    }

    private static long nssId(MethodHandle h, byte[] name, long idOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = MemorySegment.ofAddress(Downcalls.invokeQuietly(h, addr(cstr(arena, name)), 0, 0));
            if (p.equals(MemorySegment.NULL)) {
                return -1;
            }
            // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; ... }, struct group likewise.
            return p.reinterpret(24).get(JAVA_INT, idOffset) & 0xffffffffL;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
