package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;
import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.FileAttributes;
import org.jcasync.internal.fs.FileSystems;
import org.jcasync.internal.fs.Posix;

import java.io.IOException;
import java.nio.file.FileSystemException;

/**
 * The metadata only some file systems hold, restored as casync's decoder does ({@code mkdir_or_mksubvol},
 * {@code ca_decoder_finalize_child}) for the replay feature flags of an extraction:
 *
 * <ul>
 *   <li>FAT attributes (hidden, system, archive) are set with {@code FAT_IOCTL_SET_ATTRIBUTES} on regular files and
 *       directories of FAT and FUSE file systems (only the bits the replay flags include; the others are kept).
 *       Elsewhere an entry that has one of them set fails the extraction (casync: {@code EOPNOTSUPP}); entries without
 *       any are fine.
 *   <li>A directory the archive marks as a btrfs subvolume is created with {@code BTRFS_IOC_SUBVOL_CREATE} in its
 *       parent (which fails on other file systems, {@code ENOTTY}). Once its children and metadata are done, a
 *       directory that must be a subvolume and is not, or the reverse (a subvolume root, inode 256 on btrfs, where
 *       the archive has a plain directory), fails the extraction (casync: {@code EEXIST}); a subvolume is made read-only or
 *       writable ({@code BTRFS_IOC_SUBVOL_SETFLAGS}) as the archive says, with the subvolume-ro replay flag.
 * </ul>
 */
final class FsSpecificAttributes {
    private final long replay;

    /** Restores what the replay feature flags {@code replay} include. */
    FsSpecificAttributes(long replay) {
        this.replay = replay;
    }

    /** Whether the archive's directory {@code n} is to be created as a btrfs subvolume. */
    boolean subvolume(CatarEntry n) {
        return (replay & n.entryFlags() & FeatureFlags.WITH_SUBVOLUME) != 0;
    }

    /**
     * Creates the directory {@code name} of entry {@code n} in {@code parentFd}: a subvolume where the archive has
     * one, else {@code mkdirat(0700)}. Returns 0 or {@code -errno} ({@code -EEXIST} when something has the name).
     */
    int tryMakeDirectory(int parentFd, byte[] name, CatarEntry n) {
        return subvolume(n) ? FileSystems.tryCreateSubvolume(parentFd, name) : Posix.tryMkdirAt(parentFd, name, 0700);
    }

    /** The call {@link #tryMakeDirectory} makes for {@code n}, for error messages. */
    String makeDirectoryCall(CatarEntry n) {
        return subvolume(n) ? "BTRFS_IOC_SUBVOL_CREATE" : "mkdir";
    }

    /** Whether the file-system magic of restored files is needed (FAT attributes or subvolumes replayed). */
    boolean needsMagic() {
        return (replay & (FeatureFlags.WITH_FAT_ATTRS | FeatureFlags.WITH_SUBVOLUME)) != 0;
    }

    /**
     * Gives the regular file or directory {@code fd}, on a file system of type {@code magic}, the archive's FAT
     * attributes; returns whether they changed.
     */
    boolean restoreFatAttributes(int fd, EntryContext e, long magic) throws IOException {
        CatarEntry n = e.entry();
        String where = e.where();
        if ((replay & FeatureFlags.WITH_FAT_ATTRS) == 0) {
            return false;
        }
        int value = FeatureFlags.toFatAttrs(n.entryFlags());
        int mask = FeatureFlags.toFatAttrs(replay);
        if (magic != FileSystems.MSDOS_SUPER_MAGIC && magic != FileSystems.FUSE_SUPER_MAGIC) {
            if ((value & mask) != 0) {
                throw new FileSystemException(where, null, "FAT attributes (hidden, system, archive) can only be "
                        + "restored on a FAT file system (use --without=fat-attrs)");
            }
            return false;
        }
        if (mask == 0) {
            return false;
        }
        int have = FileAttributes.fatAttributes(fd, where);
        int want = (have & ~mask) | (value & mask);
        if (want == have) {
            return false;
        }
        int r = FileAttributes.trySetFatAttributes(fd, want);
        if (r < 0 && !(want == 0 && Posix.unsupported(-r))) {
            throw Posix.error(where, "FAT_IOCTL_SET_ATTRIBUTES", -r);
        }
        return r == 0;
    }

    /**
     * Checks that the finished directory {@code fd} (inode {@code ino} on a file system of type {@code magic}) is a
     * subvolume exactly when the archive says so, and gives a subvolume the archive's read-only state; returns
     * whether that changed.
     */
    boolean restoreSubvolume(int fd, EntryContext e, long magic, long ino) throws IOException {
        CatarEntry n = e.entry();
        String where = e.where();
        if ((replay & FeatureFlags.WITH_SUBVOLUME) == 0) {
            return false;
        }
        boolean isSubvolume = magic == FileSystems.BTRFS_SUPER_MAGIC && ino == FileSystems.BTRFS_SUBVOLUME_ROOT_INO;
        boolean wanted = (n.entryFlags() & FeatureFlags.WITH_SUBVOLUME) != 0;
        if (isSubvolume != wanted) {
            throw new FileSystemException(where, null, wanted
                    ? "the archive has a btrfs subvolume here, the target a plain directory"
                    : "the target has a btrfs subvolume here, the archive a plain directory (use "
                    + "--without=subvolume --without=subvolume-ro)");
        }
        if ((replay & FeatureFlags.WITH_SUBVOLUME_RO) == 0 || !isSubvolume) {
            return false;
        }
        long have = FileSystems.subvolumeFlags(fd, where);
        long want = (n.entryFlags() & FeatureFlags.WITH_SUBVOLUME_RO) != 0 ? have | FileSystems.BTRFS_SUBVOL_RDONLY
                : have & ~FileSystems.BTRFS_SUBVOL_RDONLY;
        if (want == have) {
            return false;
        }
        FileSystems.setSubvolumeFlags(fd, want, where);
        return true;
    }
}
