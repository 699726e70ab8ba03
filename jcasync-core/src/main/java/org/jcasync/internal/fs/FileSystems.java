package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.jcasync.internal.Downcalls.addr;
import static org.jcasync.internal.Downcalls.int32;
import static org.jcasync.internal.Downcalls.invoke;
import static org.jcasync.internal.fs.Libc.call;
import static org.jcasync.internal.fs.Libc.tryCall;

/**
 * What kind of file system a file is on ({@code fstatfs} magics, {@code linux/magic.h}) and the btrfs subvolume
 * calls, which casync uses to archive and restore subvolumes.
 */
public final class FileSystems {
    public static final long EXT4_SUPER_MAGIC = 0xef53L;
    public static final long XFS_SUPER_MAGIC = 0x58465342L;
    public static final long FUSE_SUPER_MAGIC = 0x65735546L;
    public static final long MSDOS_SUPER_MAGIC = 0x4d44L;
    public static final long BTRFS_SUPER_MAGIC = 0x9123683eL;
    /** The inode number of the root directory of every btrfs subvolume (BTRFS_FIRST_FREE_OBJECTID). */
    public static final long BTRFS_SUBVOLUME_ROOT_INO = 256;
    /** BTRFS_SUBVOL_RDONLY in the subvolume flags. */
    public static final long BTRFS_SUBVOL_RDONLY = 2;

    private static final long BTRFS_IOC_SUBVOL_CREATE = 0x5000940eL;
    private static final long BTRFS_IOC_SUBVOL_GETFLAGS = 0x80089419L;
    private static final long BTRFS_IOC_SUBVOL_SETFLAGS = 0x4008941aL;
    /** Size of struct btrfs_ioctl_vol_args: a 64-bit fd and a 4088-byte name. */
    private static final int BTRFS_VOL_ARGS_SIZE = 4096;
    /** Size of struct statfs on LP64 Linux (rounded up). */
    private static final int STATFS_SIZE = 256;

    private static final MethodHandle IOCTL = Downcalls.function("ioctl");
    private static final MethodHandle FSTATFS = Downcalls.function("fstatfs");
    private static final MethodHandle UMASK = Downcalls.function("umask");

    private FileSystems() {
    }

    /** The file-system magic ({@code statfs.f_type}, unsigned 32 bits) of an open file. */
    public static long magic(int fd, String where) throws Posix.Errno {
        long[] out = new long[1];
        call(where, "fstatfs", (a, c) -> {
            MemorySegment b = a.allocate(STATFS_SIZE, 8);
            long rc = int32(invoke(FSTATFS, c, fd, addr(b)));
            out[0] = b.get(JAVA_LONG, 0) & 0xffffffffL;
            return rc;
        });
        return out[0];
    }

    /** True for file systems whose files can share extents with another file of the same one: btrfs and XFS. */
    public static boolean canClone(long magic) {
        return magic == BTRFS_SUPER_MAGIC || magic == XFS_SUPER_MAGIC;
    }

    /** The flags of the btrfs subvolume whose root directory {@code fd} is (BTRFS_IOC_SUBVOL_GETFLAGS). */
    public static long subvolumeFlags(int fd, String where) throws Posix.Errno {
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
    public static void setSubvolumeFlags(int fd, long flags, String where) throws Posix.Errno {
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
            return -Posix.EINVAL;
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
}
