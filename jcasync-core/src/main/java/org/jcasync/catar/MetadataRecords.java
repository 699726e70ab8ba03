package org.jcasync.catar;

import org.jcasync.catar.CatarEntry.AclRecord;
import org.jcasync.catar.CatarEntry.Xattr;
import org.jcasync.catar.EntryReader.End;
import org.jcasync.catar.EntryReader.Pending;
import org.jcasync.catar.RecordInput.Header;
import org.jcasync.format.FeatureFlags;

import java.io.IOException;
import java.util.Arrays;

import static org.jcasync.catar.CatarFormat.le64;
import static org.jcasync.catar.CatarFormat.typeName;
import static org.jcasync.catar.FieldRules.checkPermissions;
import static org.jcasync.catar.FieldRules.limit;
import static org.jcasync.catar.FieldRules.str;
import static org.jcasync.format.FeatureFlags.NUMERIC_IDS;
import static org.jcasync.format.FileMode.S_IFBLK;
import static org.jcasync.format.FileMode.S_IFCHR;
import static org.jcasync.format.FileMode.S_IFDIR;
import static org.jcasync.format.FileMode.S_IFLNK;
import static org.jcasync.format.FileMode.S_IFREG;

/**
 * One handler per metadata record type that may follow an ENTRY, each checking the record's place in casync's
 * order (which record types a node has read so far: {@link Pending#seen}), its size before reading it, the feature
 * flag that allows it and its fields, then storing it in the node.
 */
final class MetadataRecords {
    static final int SEEN_USER = 1;
    static final int SEEN_GROUP = 1 << 1;
    static final int SEEN_XATTR = 1 << 2;
    static final int SEEN_ACL_USER = 1 << 3;
    static final int SEEN_ACL_GROUP = 1 << 4;
    static final int SEEN_ACL_GROUP_OBJ = 1 << 5;
    static final int SEEN_ACL_DEFAULT = 1 << 6;
    static final int SEEN_ACL_DEFAULT_USER = 1 << 7;
    static final int SEEN_ACL_DEFAULT_GROUP = 1 << 8;
    static final int SEEN_SELINUX = 1 << 9;
    static final int SEEN_FCAPS = 1 << 10;
    static final int SEEN_QUOTA = 1 << 11;
    private static final int SEEN_ACL = SEEN_ACL_USER | SEEN_ACL_GROUP | SEEN_ACL_GROUP_OBJ | SEEN_ACL_DEFAULT
            | SEEN_ACL_DEFAULT_USER | SEEN_ACL_DEFAULT_GROUP;
    private static final int SEEN_DEFAULT_ENTRIES = SEEN_ACL_DEFAULT_USER | SEEN_ACL_DEFAULT_GROUP;
    private static final int SEEN_AFTER_ACL = SEEN_SELINUX | SEEN_FCAPS | SEEN_QUOTA;

    private final RecordInput in;

    MetadataRecords(RecordInput in) {
        this.in = in;
    }

    /** Reads the record {@code h} of node {@code n} (its header already consumed) with the handler of its type. */
    void read(Pending n, Header h) throws IOException {
        long t = h.type();
        if (t == CatarFormat.PAYLOAD) {
            payload(n, h);
        } else if (t == CatarFormat.USER || t == CatarFormat.GROUP) {
            userOrGroup(n, h, t == CatarFormat.USER);
        } else if (t == CatarFormat.XATTR) {
            xattr(n, h);
        } else if (t == CatarFormat.ACL_USER || t == CatarFormat.ACL_DEFAULT_USER || t == CatarFormat.ACL_GROUP
                || t == CatarFormat.ACL_DEFAULT_GROUP) {
            aclNamed(n, h);
        } else if (t == CatarFormat.ACL_GROUP_OBJ || t == CatarFormat.ACL_DEFAULT) {
            aclBase(n, h);
        } else if (t == CatarFormat.SELINUX) {
            selinux(n, h);
        } else if (t == CatarFormat.FCAPS) {
            fcaps(n, h);
        } else if (t == CatarFormat.QUOTA_PROJID) {
            quotaProjid(n, h);
        } else if (t == CatarFormat.SYMLINK) {
            symlink(n, h);
        } else if (t == CatarFormat.DEVICE) {
            device(n, h);
        } else if (t == CatarFormat.ENTRY) {
            throw new ArchiveFormatException(h.offset(), "second ENTRY record for '" + str(n.path) + "'");
        } else {
            throw new ArchiveFormatException(h.offset(), "unknown record type " + typeName(t));
        }
    }

    private void userOrGroup(Pending n, Header h, boolean isUser) throws IOException {
        long t = h.type();
        if (isUser ? n.seen(SEEN_USER | SEEN_GROUP) : n.seen(SEEN_GROUP)) {
            throw order(h, isUser ? "USER after USER or GROUP" : "second GROUP");
        }
        if (n.seen(SEEN_XATTR | SEEN_ACL | SEEN_AFTER_ACL)) {
            throw order(h, typeName(t) + " after XATTR, ACL, SELINUX, FCAPS or QUOTA_PROJID");
        }
        limit(h, 18, FieldRules.USER_SIZE_MAX);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_USER_NAMES, "user-names");
        String s = FieldRules.userName(h, b);
        if ((n.featureFlags & NUMERIC_IDS) != 0 && (isUser ? n.uid : n.gid) == 0 && s.equals("root")) {
            throw new ArchiveFormatException(h.offset(), "'root' must not be stored for id 0");
        }
        if (isUser) {
            n.user = s;
        } else {
            n.group = s;
        }
        stored(n, h, b, isUser ? SEEN_USER : SEEN_GROUP);
    }

    private void xattr(Pending n, Header h) throws IOException {
        if (n.seen(SEEN_AFTER_ACL | SEEN_ACL)) {
            throw order(h, "XATTR after ACL, SELINUX, FCAPS or QUOTA_PROJID");
        }
        limit(h, 20, FieldRules.XATTR_SIZE_MAX);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_XATTRS, "xattrs");
        int nul = FieldRules.indexOf(b, 0, Math.min(256, b.length));
        if (nul < 0) {
            throw new ArchiveFormatException(h.offset(), "XATTR name not NUL-terminated within 256 bytes");
        }
        byte[] name = Arrays.copyOf(b, nul);
        int dot = FieldRules.indexOf(name, '.', name.length);
        if (dot <= 0 || dot == name.length - 1) {
            throw new ArchiveFormatException(h.offset(), "invalid XATTR name '" + str(name) + "'");
        }
        if (n.lastXattr != null && Arrays.compareUnsigned(name, n.lastXattr) <= 0) {
            throw order(h, "XATTR '" + str(name) + "' not after '" + str(n.lastXattr) + "'");
        }
        n.lastXattr = name;
        n.xattrs.add(new Xattr(name, Arrays.copyOfRange(b, nul + 1, b.length)));
        stored(n, h, b, SEEN_XATTR);
    }

    /** ACL_USER, ACL_GROUP, ACL_DEFAULT_USER, ACL_DEFAULT_GROUP: id, permissions and an optional name. */
    private void aclNamed(Pending n, Header h) throws IOException {
        long t = h.type();
        if (t == CatarFormat.ACL_USER && n.seen(SEEN_ACL_GROUP | SEEN_ACL_GROUP_OBJ | SEEN_ACL_DEFAULT
                | SEEN_ACL_DEFAULT_USER)) {
            throw order(h, "ACL_USER after ACL_GROUP, ACL_GROUP_OBJ or default ACL records");
        }
        if (t == CatarFormat.ACL_GROUP && n.seen(SEEN_ACL_GROUP_OBJ | SEEN_ACL_DEFAULT | SEEN_DEFAULT_ENTRIES)) {
            throw order(h, "ACL_GROUP after ACL_GROUP_OBJ or default ACL records");
        }
        if (t == CatarFormat.ACL_DEFAULT_USER && n.seen(SEEN_ACL_DEFAULT_GROUP)) {
            throw order(h, "ACL_DEFAULT_USER after ACL_DEFAULT_GROUP");
        }
        if (n.seen(SEEN_AFTER_ACL)) {
            throw order(h, typeName(t) + " after SELINUX, FCAPS or QUOTA_PROJID");
        }
        limit(h, 32, FieldRules.ACL_NAMED_SIZE_MAX);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_ACL, "acl");
        if (b.length > 16) {
            if ((n.featureFlags & FeatureFlags.WITH_USER_NAMES) == 0) {
                throw new ArchiveFormatException(h.offset(), "named " + typeName(t) + " without the user-names flag");
            }
            FieldRules.userName(h, Arrays.copyOfRange(b, 16, b.length));
        }
        if (!FieldRules.validId(n.featureFlags, le64(b, 0))) {
            throw new ArchiveFormatException(h.offset(), "invalid id in " + typeName(t));
        }
        checkPermissions(h, le64(b, 8));
        int list = t == CatarFormat.ACL_USER ? 0 : t == CatarFormat.ACL_GROUP ? 1
                : t == CatarFormat.ACL_DEFAULT_USER ? 2 : 3;
        if (n.lastNamedAcl[list] != null && PosixAcl.compareNamed(b, n.lastNamedAcl[list]) <= 0) {
            throw order(h, typeName(t) + " entries not in increasing order");
        }
        n.lastNamedAcl[list] = b;
        n.acl.add(new AclRecord(t, b));
        stored(n, h, b, list == 0 ? SEEN_ACL_USER : list == 1 ? SEEN_ACL_GROUP
                : list == 2 ? SEEN_ACL_DEFAULT_USER : SEEN_ACL_DEFAULT_GROUP);
    }

    /** ACL_GROUP_OBJ (the group's permissions) and ACL_DEFAULT (a directory's default owner/group/other/mask). */
    private void aclBase(Pending n, Header h) throws IOException {
        long t = h.type();
        boolean obj = t == CatarFormat.ACL_GROUP_OBJ;
        if (obj ? n.seen(SEEN_ACL_GROUP_OBJ | SEEN_ACL_DEFAULT) : n.seen(SEEN_ACL_DEFAULT)) {
            throw order(h, obj ? "ACL_GROUP_OBJ after ACL_GROUP_OBJ or ACL_DEFAULT" : "second ACL_DEFAULT");
        }
        if (n.seen(SEEN_DEFAULT_ENTRIES | SEEN_AFTER_ACL)) {
            throw order(h, typeName(t) + " after default ACL entries, SELINUX, FCAPS or QUOTA_PROJID");
        }
        limit(h, obj ? 24 : 48, obj ? 24 : 48);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_ACL, "acl");
        checkPermissions(h, le64(b, 0));
        if (!obj) {
            checkPermissions(h, le64(b, 8));
            checkPermissions(h, le64(b, 16));
            n.defaultAclMask = le64(b, 24);
            if (n.defaultAclMask != -1) {
                checkPermissions(h, n.defaultAclMask);
            }
        }
        n.acl.add(new AclRecord(t, b));
        stored(n, h, b, obj ? SEEN_ACL_GROUP_OBJ : SEEN_ACL_DEFAULT);
    }

    private void selinux(Pending n, Header h) throws IOException {
        if (n.seen(SEEN_AFTER_ACL)) {
            throw order(h, "SELINUX after SELINUX, FCAPS or QUOTA_PROJID");
        }
        limit(h, 18, FieldRules.SELINUX_SIZE_MAX);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_SELINUX, "selinux");
        if (!FieldRules.isCString(b)) {
            throw new ArchiveFormatException(h.offset(), "SELINUX label not a NUL-terminated string");
        }
        n.selinux = Arrays.copyOf(b, b.length - 1);
        stored(n, h, b, SEEN_SELINUX);
    }

    private void fcaps(Pending n, Header h) throws IOException {
        if (n.seen(SEEN_FCAPS | SEEN_QUOTA)) {
            throw order(h, "FCAPS after FCAPS or QUOTA_PROJID");
        }
        limit(h, 16, FieldRules.FCAPS_SIZE_MAX);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_FCAPS, "fcaps");
        n.fcaps = b;
        stored(n, h, b, SEEN_FCAPS);
    }

    private void quotaProjid(Pending n, Header h) throws IOException {
        if (n.seen(SEEN_QUOTA)) {
            throw order(h, "second QUOTA_PROJID");
        }
        limit(h, CatarFormat.QUOTA_PROJID_SIZE, CatarFormat.QUOTA_PROJID_SIZE);
        byte[] b = in.readBody(h);
        long id = le64(b, 0);
        if (id == 0 || Long.compareUnsigned(id, 0xFFFFFFFFL) > 0) {
            throw new ArchiveFormatException(h.offset(), "QUOTA_PROJID " + Long.toUnsignedString(id)
                    + " out of range");
        }
        n.quotaProjid = id;
        stored(n, h, b, SEEN_QUOTA);
    }

    private void symlink(Pending n, Header h) throws IOException {
        if (n.type() != S_IFLNK) {
            throw new ArchiveFormatException(h.offset(), "SYMLINK record for a node that is no symlink");
        }
        limit(h, 18, FieldRules.SYMLINK_SIZE_MAX);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_SYMLINKS, "symlinks");
        if (!FieldRules.isCString(b)) {
            throw new ArchiveFormatException(h.offset(), "symlink target not a NUL-terminated string");
        }
        n.symlinkTarget = Arrays.copyOf(b, b.length - 1);
        stored(n, h, b, 0);
        n.end = End.SYMLINK;
    }

    private void device(Pending n, Header h) throws IOException {
        if (n.type() != S_IFCHR && n.type() != S_IFBLK) {
            throw new ArchiveFormatException(h.offset(), "DEVICE record for a node that is no device");
        }
        limit(h, CatarFormat.DEVICE_SIZE, CatarFormat.DEVICE_SIZE);
        byte[] b = in.readBody(h);
        requireFlag(n, h, FeatureFlags.WITH_DEVICE_NODES, "device-nodes");
        long major = le64(b, 0);
        long minor = le64(b, 8);
        if (Long.compareUnsigned(major, 1L << 12) >= 0 || Long.compareUnsigned(minor, 1L << 20) >= 0) {
            throw new ArchiveFormatException(h.offset(), "device number " + Long.toUnsignedString(major) + ":"
                    + Long.toUnsignedString(minor) + " out of range");
        }
        n.rdevMajor = major;
        n.rdevMinor = minor;
        stored(n, h, b, 0);
        n.end = End.DEVICE;
    }

    private static void payload(Pending n, Header h) throws ArchiveFormatException {
        if (n.type() != S_IFREG) {
            throw new ArchiveFormatException(h.offset(), "PAYLOAD record for a node that is no regular file");
        }
        n.payloadSize = h.size() - CatarFormat.HEADER_SIZE;
        n.add(h, new byte[0]);
        n.end = End.PAYLOAD;
    }

    /**
     * The ACL rules for the whole node, checked once its metadata is read: none on symlinks, named entries only with
     * ACL_GROUP_OBJ, default entries only with a default mask, default ACLs only on directories.
     */
    void checkAcl(Pending n, String path) throws ArchiveFormatException {
        long at = n.offset;
        int type = n.type();
        if (type == S_IFLNK && n.seen(SEEN_XATTR | SEEN_ACL)) {
            throw new ArchiveFormatException(at, "xattrs or ACLs on symlink '" + path + "'");
        }
        if (n.seen(SEEN_ACL_USER | SEEN_ACL_GROUP) && !n.seen(SEEN_ACL_GROUP_OBJ)) {
            throw new ArchiveFormatException(at, "ACL entries without ACL_GROUP_OBJ on '" + path + "'");
        }
        if (n.seen(SEEN_DEFAULT_ENTRIES) && (!n.seen(SEEN_ACL_DEFAULT) || n.defaultAclMask == -1)) {
            throw new ArchiveFormatException(at, "default ACL entries without a default mask on '" + path + "'");
        }
        if (n.seen(SEEN_DEFAULT_ENTRIES | SEEN_ACL_DEFAULT) && type != S_IFDIR) {
            throw new ArchiveFormatException(at, "default ACL on '" + path + "', which is no directory");
        }
    }

    /** Stores record {@code h} with body {@code b} in the node's metadata and marks its type {@code seen}. */
    private static void stored(Pending n, Header h, byte[] b, int seen) {
        n.seen |= seen;
        n.add(h, b);
    }

    private static void requireFlag(Pending n, Header h, long flag, String name) throws ArchiveFormatException {
        if ((n.featureFlags & flag) == 0) {
            throw new ArchiveFormatException(h.offset(), typeName(h.type()) + " record without the " + name
                    + " flag");
        }
    }

    private static ArchiveFormatException order(Header h, String what) {
        return new ArchiveFormatException(h.offset(), "records out of order: " + what);
    }
}
