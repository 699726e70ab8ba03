package org.jcasync.internal.fs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
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

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

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
    private static final MethodHandle IOCTL_PTR;
    private static final MethodHandle IOCTL_INT;
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
    private static final MethodHandle STRERROR;

    static {
        Linker l = Linker.nativeLinker();
        SymbolLookup libc = l.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        Linker.Option heap = Linker.Option.critical(true);
        OPENAT = l.downcallHandle(find(libc, "openat"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(3),
                errno);
        CLOSE = l.downcallHandle(find(libc, "close"), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        MKDIRAT = l.downcallHandle(find(libc, "mkdirat"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
                errno);
        SYMLINKAT = l.downcallHandle(find(libc, "symlinkat"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), errno);
        MKNODAT = l.downcallHandle(find(libc, "mknodat"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), errno);
        RENAMEAT2 = l.downcallHandle(find(libc, "renameat2"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), errno);
        UNLINKAT = l.downcallHandle(find(libc, "unlinkat"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        LINKAT = l.downcallHandle(find(libc, "linkat"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), errno);
        FCHOWNAT = l.downcallHandle(find(libc, "fchownat"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT), errno);
        FCHMODAT = l.downcallHandle(find(libc, "fchmodat"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), errno);
        FCHMOD = l.downcallHandle(find(libc, "fchmod"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
        UTIMENSAT = l.downcallHandle(find(libc, "utimensat"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), errno);
        FUTIMENS = l.downcallHandle(find(libc, "futimens"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), errno);
        READLINKAT = l.downcallHandle(find(libc, "readlinkat"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), errno);
        STATX = l.downcallHandle(find(libc, "statx"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), errno);
        IOCTL_PTR = l.downcallHandle(find(libc, "ioctl"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2), errno);
        IOCTL_INT = l.downcallHandle(find(libc, "ioctl"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2), errno);
        FSETXATTR = l.downcallHandle(find(libc, "fsetxattr"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT), errno);
        FGETXATTR = l.downcallHandle(find(libc, "fgetxattr"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), errno);
        FLISTXATTR = l.downcallHandle(find(libc, "flistxattr"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), errno);
        FREMOVEXATTR = l.downcallHandle(find(libc, "fremovexattr"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), errno);
        LSETXATTR = l.downcallHandle(find(libc, "lsetxattr"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT), errno);
        LGETXATTR = l.downcallHandle(find(libc, "lgetxattr"),
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG), errno);
        LREMOVEXATTR = l.downcallHandle(find(libc, "lremovexattr"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
                errno);
        WRITE = l.downcallHandle(find(libc, "write"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errno, heap);
        PREAD = l.downcallHandle(find(libc, "pread"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), errno, heap);
        FTRUNCATE = l.downcallHandle(find(libc, "ftruncate"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG),
                errno);
        LSEEK = l.downcallHandle(find(libc, "lseek"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT),
                errno);
        COPY_FILE_RANGE = l.downcallHandle(find(libc, "copy_file_range"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno);
        GETDENTS64 = l.downcallHandle(find(libc, "getdents64"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), errno);
        GETEUID = l.downcallHandle(find(libc, "geteuid"), FunctionDescriptor.of(JAVA_INT));
        GETPWNAM = l.downcallHandle(find(libc, "getpwnam"), FunctionDescriptor.of(ADDRESS, ADDRESS));
        GETGRNAM = l.downcallHandle(find(libc, "getgrnam"), FunctionDescriptor.of(ADDRESS, ADDRESS));
        STRERROR = l.downcallHandle(find(libc, "strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private Posix() {
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
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

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            long start = (top + byteAlignment - 1) & -byteAlignment;
            if (start + byteSize > SCRATCH_SIZE) {
                return Arena.ofAuto().allocate(byteSize, byteAlignment);
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
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            while (true) {
                long r = c.invoke(arena, capture);
                if (r >= 0) {
                    return r;
                }
                int e = (int) ERRNO.get(capture, 0L);
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
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "errno " + errno : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static MemorySegment cstr(SegmentAllocator arena, byte[] s) {
        MemorySegment m = arena.allocate(s.length + 1L);
        MemorySegment.copy(s, 0, m, JAVA_BYTE, 0, s.length);
        return m;
    }

    /** The effective user id. */
    public static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** openat(2) of one name; returns the descriptor or {@code -errno}. */
    public static int tryOpenAt(int dirFd, byte[] name, int flags, int mode) {
        return (int) tryCall((a, c) -> (int) OPENAT.invokeExact(c, dirFd, cstr(a, name), flags | O_CLOEXEC, mode));
    }

    /** openat(2); {@code where} names the file in errors. */
    public static int openAt(int dirFd, byte[] name, int flags, int mode, String where) throws Errno {
        return (int) call(where, "open", (a, c) -> (int) OPENAT.invokeExact(c, dirFd, cstr(a, name),
                flags | O_CLOEXEC, mode));
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
            int r = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** mkdirat(2); returns 0 or {@code -errno}. */
    public static int tryMkdirAt(int dirFd, byte[] name, int mode) {
        return (int) tryCall((a, c) -> (int) MKDIRAT.invokeExact(c, dirFd, cstr(a, name), mode));
    }

    /** symlinkat(2). */
    public static void symlinkAt(byte[] target, int dirFd, byte[] name, String where) throws Errno {
        call(where, "symlink", (a, c) -> (int) SYMLINKAT.invokeExact(c, cstr(a, target), dirFd, cstr(a, name)));
    }

    /** mknodat(2) for devices, fifos and sockets. */
    public static void mknodAt(int dirFd, byte[] name, int mode, long major, long minor, String where) throws Errno {
        long dev = ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12)
                | (minor & 0xffL);
        call(where, "mknod", (a, c) -> (int) MKNODAT.invokeExact(c, dirFd, cstr(a, name), mode, dev));
    }

    /** renameat2(2) within one directory; returns 0 or {@code -errno}. */
    public static int tryRenameAt(int dirFd, byte[] from, byte[] to, int flags) {
        return (int) tryCall((a, c) -> (int) RENAMEAT2.invokeExact(c, dirFd, cstr(a, from), dirFd, cstr(a, to), flags));
    }

    /** unlinkat(2); returns 0 or {@code -errno}. */
    public static int tryUnlinkAt(int dirFd, byte[] name, int flags) {
        return (int) tryCall((a, c) -> (int) UNLINKAT.invokeExact(c, dirFd, cstr(a, name), flags));
    }

    /** linkat(2) without following symlinks; returns 0 or {@code -errno}. */
    public static int tryLinkAt(int fromDir, byte[] from, int toDir, byte[] to) {
        return (int) tryCall((a, c) -> (int) LINKAT.invokeExact(c, fromDir, cstr(a, from), toDir, cstr(a, to), 0));
    }

    /** lchown of a name, or fchown of {@code fd} itself when {@code name} is empty. */
    public static void chownAt(int fd, byte[] name, int uid, int gid, String where) throws Errno {
        int flags = AT_SYMLINK_NOFOLLOW | (name.length == 0 ? AT_EMPTY_PATH : 0);
        call(where, "chown", (a, c) -> (int) FCHOWNAT.invokeExact(c, fd, cstr(a, name), uid, gid, flags));
    }

    /** fchmod(2). */
    public static void fchmod(int fd, int mode, String where) throws Errno {
        call(where, "chmod", (a, c) -> (int) FCHMOD.invokeExact(c, fd, mode));
    }

    /** fchmodat(2) of a name (follows nothing: callers use it for non-symlinks only). */
    public static void chmodAt(int dirFd, byte[] name, int mode, String where) throws Errno {
        call(where, "chmod", (a, c) -> (int) FCHMODAT.invokeExact(c, dirFd, cstr(a, name), mode, 0));
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
                return (int) FUTIMENS.invokeExact(c, fd, ts);
            }
            return (int) UTIMENSAT.invokeExact(c, fd, cstr(a, name), ts, AT_SYMLINK_NOFOLLOW);
        });
    }

    /** readlinkat(2): the target of a symlink. */
    public static byte[] readlinkAt(int dirFd, byte[] name, String where) throws Errno {
        byte[][] out = new byte[1][];
        call(where, "readlink", (a, c) -> {
            MemorySegment buf = a.allocate(4097);
            long n = (long) READLINKAT.invokeExact(c, dirFd, cstr(a, name), buf, 4097L);
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
            int rc = (int) STATX.invokeExact(c, dirFd, cstr(a, name), flags, 0xfff /* STATX_BASIC_STATS|BTIME */, b);
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
        int[] out = new int[1];
        long r = tryCall((a, c) -> {
            MemorySegment b = a.allocate(8);
            int rc = (int) IOCTL_PTR.invokeExact(c, fd, FS_IOC_GETFLAGS, b);
            out[0] = b.get(JAVA_INT, 0);
            return rc;
        });
        if (r < 0) {
            if (unsupported((int) -r)) {
                return 0;
            }
            throw error(where, "FS_IOC_GETFLAGS", (int) -r);
        }
        return out[0];
    }

    /** Sets chattr flags (FS_IOC_SETFLAGS); returns 0 or {@code -errno}. */
    public static int trySetFlags(int fd, int flags) {
        return (int) tryCall((a, c) -> {
            MemorySegment b = a.allocate(8);
            b.set(JAVA_INT, 0, flags);
            return (int) IOCTL_PTR.invokeExact(c, fd, FS_IOC_SETFLAGS, b);
        });
    }

    /** The project quota id (FS_IOC_FSGETXATTR), or -1 where unsupported. */
    public static long getProjectId(int fd) {
        long[] out = {-1};
        tryCall((a, c) -> {
            MemorySegment b = a.allocate(28);
            int rc = (int) IOCTL_PTR.invokeExact(c, fd, FS_IOC_FSGETXATTR, b);
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
            int rc = (int) IOCTL_PTR.invokeExact(c, fd, FS_IOC_FSGETXATTR, b);
            if (rc < 0) {
                return rc;
            }
            b.set(JAVA_INT, 12, (int) projid);
            return (int) IOCTL_PTR.invokeExact(c, fd, FS_IOC_FSSETXATTR, b);
        });
    }

    /** FICLONE: makes {@code dst} share all of {@code src}'s extents; returns 0 or {@code -errno}. */
    public static int tryClone(int dst, int src) {
        return (int) tryCall((a, c) -> (int) IOCTL_INT.invokeExact(c, dst, FICLONE, (long) src));
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
            return (int) FSETXATTR.invokeExact(c, fd, cstr(a, name), v, (long) value.length, 0);
        });
    }

    /** fgetxattr(2): the value, or null when it is not set or xattrs are unsupported. */
    public static byte[] getXattr(int fd, byte[] name, String where) throws Errno {
        return readXattr(where, (a, c, v, space) -> (long) FGETXATTR.invokeExact(c, fd, cstr(a, name), v, space));
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
                long n = (long) FLISTXATTR.invokeExact(c, fd, v, space);
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
        long r = tryCall((a, c) -> (int) FREMOVEXATTR.invokeExact(c, fd, cstr(a, name)));
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
            return (int) LSETXATTR.invokeExact(c, cstr(a, path), cstr(a, name), v, (long) value.length, 0);
        });
    }

    /** lremovexattr(2); a missing attribute is fine. */
    public static void lremoveXattr(byte[] path, byte[] name, String where) throws Errno {
        long r = tryCall((a, c) -> (int) LREMOVEXATTR.invokeExact(c, cstr(a, path), cstr(a, name)));
        if (r < 0 && r != -ENODATA) {
            throw error(where, "removexattr", (int) -r);
        }
    }

    /** lgetxattr(2): the value, or null when it is not set or xattrs are unsupported. */
    public static byte[] lgetXattr(byte[] path, byte[] name, String where) throws Errno {
        return readXattr(where, (a, c, v, space) -> (long) LGETXATTR.invokeExact(c, cstr(a, path), cstr(a, name), v,
                space));
    }

    /** Writes all of {@code b[off, off+len)} at the current position. */
    public static void writeFully(int fd, byte[] b, int off, int len, String where) throws Errno {
        while (len > 0) {
            final int o = off;
            final int n = len;
            long w = call(where, "write", (a, c) -> (long) WRITE.invokeExact(c, fd,
                    MemorySegment.ofArray(b).asSlice(o), (long) n));
            off += (int) w;
            len -= (int) w;
        }
    }

    /** pread(2): up to {@code len} bytes at {@code pos}; 0 at end of file. */
    public static int pread(int fd, byte[] b, int off, int len, long pos, String where) throws Errno {
        return (int) call(where, "read", (a, c) -> (long) PREAD.invokeExact(c, fd, MemorySegment.ofArray(b).asSlice(off),
                (long) len, pos));
    }

    /** Moves the file position by {@code delta} (used to leave holes). */
    public static void seekRelative(int fd, long delta, String where) throws Errno {
        call(where, "lseek", (a, c) -> (long) LSEEK.invokeExact(c, fd, delta, 1 /* SEEK_CUR */));
    }

    /** ftruncate(2). */
    public static void ftruncate(int fd, long size, String where) throws Errno {
        call(where, "ftruncate", (a, c) -> (int) FTRUNCATE.invokeExact(c, fd, size));
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
                return (long) COPY_FILE_RANGE.invokeExact(c, src, offs, dst, offs.asSlice(8), left, 0);
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
                    long n = (long) GETDENTS64.invokeExact(c, fd, buf, 32768L);
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
            MemorySegment p = (MemorySegment) h.invokeExact(cstr(arena, name));
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
