package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.jcasync.internal.Downcalls.addr;
import static org.jcasync.internal.Downcalls.int32;
import static org.jcasync.internal.Downcalls.invoke;
import static org.jcasync.internal.fs.Libc.call;
import static org.jcasync.internal.fs.Libc.tryCall;

/**
 * The per-inode attributes only ioctls reach: chattr flags ({@code FS_IOC_GETFLAGS}), project quota ids
 * ({@code FS_IOC_FSGETXATTR}) and FAT attributes ({@code FAT_IOCTL_GET_ATTRIBUTES}). Where a file system does not
 * support one ({@link Posix#unsupported}), reading it gives what casync takes then: no flags, no attributes, no
 * project id.
 */
public final class FileAttributes {
    // chattr flags (linux/fs.h) that jcasync acts on itself; FeatureFlags maps all of them to feature bits.
    public static final int FS_COMPR_FL = 0x4;
    public static final int FS_IMMUTABLE_FL = 0x10;
    public static final int FS_APPEND_FL = 0x20;
    public static final int FS_NODUMP_FL = 0x40;
    public static final int FS_NOCOMP_FL = 0x400;
    public static final int FS_NOCOW_FL = 0x800000;

    private static final long FS_IOC_GETFLAGS = 0x80086601L;
    private static final long FS_IOC_SETFLAGS = 0x40086602L;
    private static final long FS_IOC_FSGETXATTR = 0x801c581fL;
    private static final long FS_IOC_FSSETXATTR = 0x401c5820L;
    private static final long FAT_IOCTL_GET_ATTRIBUTES = 0x80047210L;
    private static final long FAT_IOCTL_SET_ATTRIBUTES = 0x40047211L;
    /** Size of struct fsxattr, and where its fsx_projid lies. */
    private static final int FSXATTR_SIZE = 28;
    private static final int FSXATTR_PROJID = 12;

    private static final MethodHandle IOCTL = Downcalls.function("ioctl");

    private FileAttributes() {
    }

    /** chattr flags (FS_IOC_GETFLAGS), or 0 where unsupported. */
    public static int chattrFlags(int fd, String where) throws Posix.Errno {
        return getIntOrZero(fd, FS_IOC_GETFLAGS, "FS_IOC_GETFLAGS", where);
    }

    /** Sets chattr flags (FS_IOC_SETFLAGS); returns 0 or {@code -errno}. */
    public static int trySetChattrFlags(int fd, int flags) {
        return trySetInt(fd, FS_IOC_SETFLAGS, flags);
    }

    /** FAT attributes (FAT_IOCTL_GET_ATTRIBUTES: ATTR_RO, ATTR_HIDDEN, ...), or 0 where unsupported (as casync). */
    public static int fatAttributes(int fd, String where) throws Posix.Errno {
        return getIntOrZero(fd, FAT_IOCTL_GET_ATTRIBUTES, "FAT_IOCTL_GET_ATTRIBUTES", where);
    }

    /** Sets FAT attributes (FAT_IOCTL_SET_ATTRIBUTES); returns 0 or {@code -errno}. */
    public static int trySetFatAttributes(int fd, int attributes) {
        return trySetInt(fd, FAT_IOCTL_SET_ATTRIBUTES, attributes);
    }

    /** The project quota id (FS_IOC_FSGETXATTR, unsigned), or -1 where unsupported. */
    public static long projectId(int fd, String where) throws Posix.Errno {
        long[] out = {-1};
        long r = tryCall((a, c) -> {
            MemorySegment b = a.allocate(FSXATTR_SIZE);
            long rc = int32(invoke(IOCTL, c, fd, FS_IOC_FSGETXATTR, addr(b)));
            out[0] = b.get(JAVA_INT, FSXATTR_PROJID) & 0xffffffffL;
            return rc;
        });
        if (r < 0) {
            if (Posix.unsupported((int) -r)) {
                return -1;
            }
            throw Posix.error(where, "FS_IOC_FSGETXATTR", (int) -r);
        }
        return out[0];
    }

    /** Sets the project quota id (FS_IOC_FSSETXATTR). */
    public static void setProjectId(int fd, long projid, String where) throws Posix.Errno {
        call(where, "FS_IOC_FSSETXATTR", (a, c) -> {
            MemorySegment b = a.allocate(FSXATTR_SIZE);
            long rc = int32(invoke(IOCTL, c, fd, FS_IOC_FSGETXATTR, addr(b)));
            if (rc < 0) {
                return rc;
            }
            b.set(JAVA_INT, FSXATTR_PROJID, (int) projid);
            return int32(invoke(IOCTL, c, fd, FS_IOC_FSSETXATTR, addr(b)));
        });
    }

    /** The int an ioctl {@code request} reads, or 0 where the file system does not support it. */
    private static int getIntOrZero(int fd, long request, String name, String where) throws Posix.Errno {
        int[] out = new int[1];
        long r = tryCall((a, c) -> {
            MemorySegment b = a.allocate(4, 4);
            long rc = int32(invoke(IOCTL, c, fd, request, addr(b)));
            out[0] = b.get(JAVA_INT, 0);
            return rc;
        });
        if (r < 0) {
            if (Posix.unsupported((int) -r)) {
                return 0;
            }
            throw Posix.error(where, name, (int) -r);
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
}
