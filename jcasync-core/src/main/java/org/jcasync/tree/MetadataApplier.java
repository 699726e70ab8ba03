package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;
import org.jcasync.catar.CatarEntry.Xattr;
import org.jcasync.catar.PosixAcl;
import org.jcasync.format.FeatureFlags;
import org.jcasync.format.XattrNames;
import org.jcasync.internal.fs.FileAttributes;
import org.jcasync.internal.fs.Posix;
import org.jcasync.internal.fs.Posix.Stat;
import org.jcasync.internal.fs.Xattrs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.jcasync.format.FileMode.S_IFDIR;
import static org.jcasync.format.FileMode.S_IFREG;
import static org.jcasync.internal.fs.Posix.O_NOCTTY;
import static org.jcasync.internal.fs.Posix.O_NOFOLLOW;
import static org.jcasync.internal.fs.Posix.O_NONBLOCK;
import static org.jcasync.internal.fs.Posix.O_RDONLY;

/**
 * Gives entries the archive's metadata as casync's decoder does ({@code ca_decoder_finalize_child}), as far as the
 * replay feature flags ask: owner (as root), mode, xattrs ({@code user.}/{@code trusted.}), POSIX ACLs, file
 * capabilities, SELinux label, modification time, chattr flags, project quota id, and through
 * {@link FsSpecificAttributes} FAT attributes and btrfs subvolumes. Only what differs is changed, and callers learn
 * whether anything did. The order matters and is the callers': {@link #early} on the empty file or directory,
 * {@link #apply} once its contents are complete, {@link #finish} after it was renamed into place (an immutable file
 * could not be renamed over).
 */
final class MetadataApplier {
    private static final byte[] SELF = new byte[0];
    private static final byte[] FCAPS = XattrNames.CAPABILITY.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SELINUX = XattrNames.SELINUX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ACL_ACCESS = XattrNames.ACL_ACCESS.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ACL_DEFAULT = XattrNames.ACL_DEFAULT.getBytes(StandardCharsets.US_ASCII);
    /** chattr flags casync applies to an empty file or directory rather than the finished one. */
    private static final int APPLY_EARLY_FS_FL = FileAttributes.FS_NOCOW_FL | FileAttributes.FS_NOCOMP_FL
            | FileAttributes.FS_COMPR_FL;

    private final long replay;
    private final boolean root;
    private final IdMapper ids;
    private final FsSpecificAttributes fsAttributes;

    /**
     * Restores what the replay feature flags {@code replay} include; owners only when running as {@code root};
     * uids and gids from {@code ids}.
     */
    MetadataApplier(long replay, boolean root, IdMapper ids, FsSpecificAttributes fsAttributes) {
        this.replay = replay;
        this.root = root;
        this.ids = ids;
        this.fsAttributes = fsAttributes;
    }

    /** chattr flags and the project id that casync applies to the empty file or directory {@code fd}. */
    void early(int fd, EntryContext e) throws IOException {
        CatarEntry n = e.entry();
        if ((replay & FeatureFlags.WITH_CHATTR) != 0) {
            maskFlags(fd, FeatureFlags.toChattr(n.entryFlags()), FeatureFlags.toChattr(replay) & APPLY_EARLY_FS_FL, e);
        }
        if ((replay & FeatureFlags.WITH_QUOTA_PROJID) != 0 && n.quotaProjid() >= 0
                && FileAttributes.projectId(fd, e.where()) != n.quotaProjid()) {
            FileAttributes.setProjectId(fd, n.quotaProjid(), e.where());
        }
    }

    /**
     * Gives the entry's file, {@code fd} itself or (for {@code fd < 0}) {@code name} in the entry's directory, whose
     * status is {@code st}, the archive's owner, mode, xattrs, capabilities, SELinux label and mtime, changing only
     * what differs. Returns whether anything changed (a differing chattr flag counts, though {@link #finish} sets
     * it).
     */
    boolean apply(EntryContext e, int fd, byte[] name, Stat st) throws IOException {
        CatarEntry n = e.entry();
        String where = e.where();
        boolean changed = false;
        boolean link = n.isSymlink();
        if ((replay & (FeatureFlags.NUMERIC_IDS | FeatureFlags.WITH_USER_NAMES)) != 0 && root) {
            int uid = (int) ids.uid(e);
            int gid = (int) ids.gid(e);
            if (st.uid() != uid || st.gid() != gid) {
                if (fd >= 0) {
                    Posix.chownAt(fd, SELF, uid, gid, where);
                } else {
                    Posix.chownAt(e.dirFd(), name, uid, gid, where);
                }
                changed = true;
                st = fd >= 0 ? Posix.stat(fd, SELF, where) : Posix.stat(e.dirFd(), name, where);
            }
        }
        if (!link) {
            changed |= mode(e, fd, name, st);
        }
        if (fd >= 0) {
            changed |= xattrs(fd, e, st);
        } else {
            changed |= selinux(e, -1, name);
            if ((replay & FeatureFlags.WITH_ACL) != 0 && !link) {
                // Devices, fifos and sockets have no descriptor here: their access ACL goes by path, as casync.
                byte[] path = Xattrs.procPath(e.dirFd(), name);
                byte[] want = PosixAcl.accessXattr(n.acl(), n.mode(), aclIds(e));
                byte[] have = Xattrs.lget(path, ACL_ACCESS, where);
                if (!Arrays.equals(have, want)) {
                    if (want == null) {
                        Xattrs.lremove(path, ACL_ACCESS, where);
                    } else {
                        Xattrs.lset(path, ACL_ACCESS, want, where);
                    }
                    changed = true;
                }
            }
        }
        if ((replay & FeatureFlags.TIME_BITS) != 0 && st.mtimeNanos() != n.mtime()) {
            Posix.setMtime(fd >= 0 ? fd : e.dirFd(), fd >= 0 ? SELF : name, n.mtime(), where);
            changed = true;
        }
        if (fd >= 0 && (replay & FeatureFlags.WITH_CHATTR) != 0) {
            int mask = FeatureFlags.toChattr(replay);
            int have = FileAttributes.chattrFlags(fd, where);
            changed |= (have & mask) != (FeatureFlags.toChattr(n.entryFlags()) & mask);
        }
        return changed;
    }

    /** The permission bits: all of them, or only the read-only state ({@code WITH_READ_ONLY}); true if changed. */
    private boolean mode(EntryContext e, int fd, byte[] name, Stat st) throws IOException {
        int mode = st.mode() & 07777;
        int want = (int) (e.entry().mode() & 07777);
        int newMode = mode;
        if ((replay & FeatureFlags.WITH_READ_ONLY) != 0) {
            boolean dir = st.type() == S_IFDIR;
            if ((mode & 0400) == 0 || (dir && (mode & 0100) == 0) || ((want & 0222) == 0) != ((mode & 0200) == 0)) {
                newMode = (mode & 0444) | 0400 | (dir ? 0100 : 0);
                if ((want & 0222) != 0) {
                    newMode |= 0200 | ((newMode & 040) != 0 ? 020 : 0) | ((newMode & 04) != 0 ? 02 : 0);
                } else {
                    newMode &= ~0222;
                }
            }
        } else if ((replay & (FeatureFlags.WITH_PERMISSIONS | FeatureFlags.WITH_ACL)) != 0) {
            newMode = want;
        }
        if (newMode == mode) {
            return false;
        }
        if (fd >= 0) {
            Posix.fchmod(fd, newMode, e.where());
        } else {
            Posix.chmodAt(e.dirFd(), name, newMode, e.where());
        }
        return true;
    }

    /** xattrs, ACL xattrs, fcaps and the SELinux label of an open file or directory; true if any changed. */
    private boolean xattrs(int fd, EntryContext e, Stat st) throws IOException {
        CatarEntry n = e.entry();
        String where = e.where();
        boolean changed = false;
        if ((replay & FeatureFlags.WITH_XATTRS) != 0) {
            List<byte[]> have = Xattrs.list(fd, where);
            Set<String> wanted = new HashSet<>();
            for (Xattr x : n.xattrs()) {
                wanted.add(ExtractDir.key(x.name()));
            }
            for (byte[] h : have) {
                if (XattrNames.isStored(h) && !wanted.contains(ExtractDir.key(h))) {
                    Xattrs.remove(fd, h, where);
                    changed = true;
                }
            }
            for (Xattr x : n.xattrs()) {
                if (!Arrays.equals(Xattrs.get(fd, x.name(), where), x.value())) {
                    Xattrs.set(fd, x.name(), x.value(), where);
                    changed = true;
                }
            }
        }
        if ((replay & FeatureFlags.WITH_ACL) != 0) {
            // casync's ca_decoder_child_to_acl/_default_acl: the owner, other and (mask or group) permissions come
            // from the ENTRY mode, applied above. No ACL records means the minimal ACL: no xattr (which also drops
            // what a new file inherited from its directory's default ACL).
            PosixAcl.IdDecoder decoder = aclIds(e);
            changed |= setOrRemove(fd, ACL_ACCESS, PosixAcl.accessXattr(n.acl(), n.mode(), decoder), e);
            if (st.type() == S_IFDIR) {
                changed |= setOrRemove(fd, ACL_DEFAULT, PosixAcl.defaultXattr(n.acl(), decoder), e);
            }
        }
        if ((replay & FeatureFlags.WITH_FCAPS) != 0 && st.type() == S_IFREG) {
            changed |= setOrRemove(fd, FCAPS, n.fcaps(), e);
        }
        changed |= selinux(e, fd, null);
        return changed;
    }

    private PosixAcl.IdDecoder aclIds(EntryContext e) {
        return (id, name, user) -> ids.aclId(e, id, name, user);
    }

    /**
     * The archive's SELinux label (with the selinux replay flag), set as libselinux's {@code setfilecon} does: the
     * label plus a NUL, unless the label read as {@code getfilecon} reads it (up to the first NUL) is already the
     * same. An entry without a label of its own in the archive keeps whatever it has. {@code fd}, or for an entry
     * without a descriptor (symlink, device, fifo, socket) {@code /proc/self/fd/DIRFD/NAME}, as casync does.
     */
    private boolean selinux(EntryContext e, int fd, byte[] name) throws IOException {
        byte[] want = e.entry().selinux();
        if ((replay & FeatureFlags.WITH_SELINUX) == 0 || want == null) {
            return false;
        }
        String where = e.where();
        byte[] path = fd >= 0 ? null : Xattrs.procPath(e.dirFd(), name);
        byte[] have = fd >= 0 ? Xattrs.get(fd, SELINUX, where) : Xattrs.lget(path, SELINUX, where);
        if (Arrays.equals(XattrNames.selinuxLabel(have), want)) {
            return false;
        }
        byte[] value = Arrays.copyOf(want, want.length + 1);
        if (fd >= 0) {
            Xattrs.set(fd, SELINUX, value, where);
        } else {
            Xattrs.lset(path, SELINUX, value, where);
        }
        return true;
    }

    /** Sets the xattr {@code name} to {@code want}, or removes it when null; true if it changed. */
    private static boolean setOrRemove(int fd, byte[] name, byte[] want, EntryContext e) throws IOException {
        String where = e.where();
        byte[] have = Xattrs.get(fd, name, where);
        if (Arrays.equals(have, want)) {
            return false;
        }
        if (want == null) {
            Xattrs.remove(fd, name, where);
        } else {
            Xattrs.set(fd, name, want, where);
        }
        return true;
    }

    /** True when a seed file {@code fd} (status {@code st}) already has everything the archive says for {@code e}. */
    boolean equalTo(int fd, EntryContext e, Stat st) throws IOException {
        CatarEntry n = e.entry();
        String where = e.where();
        if ((st.mode() & 07777) != (n.mode() & 07777) || st.mtimeNanos() != n.mtime()) {
            return false;
        }
        if ((replay & (FeatureFlags.NUMERIC_IDS | FeatureFlags.WITH_USER_NAMES)) != 0
                && (st.uid() != ids.uid(e) || st.gid() != ids.gid(e))) {
            return false;
        }
        int stored = 0;
        for (byte[] h : Xattrs.list(fd, where)) {
            if (XattrNames.isStored(h)) {
                stored++;
            }
        }
        if ((replay & FeatureFlags.WITH_XATTRS) != 0 && stored != n.xattrs().size()) {
            return false;
        }
        for (Xattr x : n.xattrs()) {
            if (!Arrays.equals(Xattrs.get(fd, x.name(), where), x.value())) {
                return false;
            }
        }
        if ((replay & FeatureFlags.WITH_SELINUX) != 0 && n.selinux() != null
                && !Arrays.equals(XattrNames.selinuxLabel(Xattrs.get(fd, SELINUX, where)), n.selinux())) {
            return false;
        }
        return (replay & FeatureFlags.WITH_FCAPS) == 0 || Arrays.equals(Xattrs.get(fd, FCAPS, where), n.fcaps());
    }

    /**
     * chattr flags, then FAT attributes, of the regular file or directory {@code fd}; {@code on} is the directory
     * whose file system it is on (the directory itself, or the one holding the file). Returns whether FAT attributes
     * changed (a chattr change is found by {@link #apply}).
     */
    boolean finish(int fd, EntryContext e, ExtractDir on) throws IOException {
        if ((replay & FeatureFlags.WITH_CHATTR) != 0) {
            maskFlags(fd, FeatureFlags.toChattr(e.entry().entryFlags()), FeatureFlags.toChattr(replay), e);
        }
        return (replay & FeatureFlags.WITH_FAT_ATTRS) != 0
                && fsAttributes.restoreFatAttributes(fd, e, on.magic());
    }

    /** {@link #finish} of an existing regular file kept in place (opened again: the compared one is read-only). */
    boolean finishInPlace(EntryContext e) throws IOException {
        if ((replay & (FeatureFlags.WITH_CHATTR | FeatureFlags.WITH_FAT_ATTRS)) == 0) {
            return false;
        }
        int fd = Posix.openAt(e.dirFd(), e.name(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0, e.where());
        try {
            return finish(fd, e, e.dir());
        } finally {
            Posix.close(fd);
        }
    }

    /**
     * {@link #finish} of the completed directory {@code d} (inode {@code ino}), then, last, as a read-only subvolume
     * takes no more changes, its subvolume state. Returns whether anything changed.
     */
    boolean finishDirectory(ExtractDir d, long ino) throws IOException {
        boolean changed = finish(d.fd, d.self, d);
        if (fsAttributes.needsMagic()) {
            changed |= fsAttributes.restoreSubvolume(d.fd, d.self, d.magic(), ino);
        }
        return changed;
    }

    /** Sets the chattr flags {@code mask} of {@code fd} as in {@code value}, the others as they are. */
    private static void maskFlags(int fd, int value, int mask, EntryContext e) throws IOException {
        String where = e.where();
        if (mask == 0) {
            return;
        }
        int have = FileAttributes.chattrFlags(fd, where);
        int want = (have & ~mask) | (value & mask);
        if (want == have) {
            return;
        }
        int r = FileAttributes.trySetChattrFlags(fd, want);
        if (r < 0 && !(Posix.unsupported(-r) && (value & mask) == 0)) {
            throw Posix.error(where, "FS_IOC_SETFLAGS", -r);
        }
    }
}
