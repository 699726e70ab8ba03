package org.jcasync.catar;

import org.jcasync.catar.CatarEntry.AclRecord;
import org.jcasync.catar.CatarEntry.Xattr;
import org.jcasync.catar.RecordInput.Header;
import org.jcasync.format.FeatureFlags;
import org.jcasync.format.FileMode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.jcasync.catar.CatarFormat.le64;
import static org.jcasync.catar.CatarFormat.typeName;
import static org.jcasync.catar.FieldRules.str;
import static org.jcasync.format.FeatureFlags.NUMERIC_IDS;
import static org.jcasync.format.FileMode.S_IFBLK;
import static org.jcasync.format.FileMode.S_IFCHR;
import static org.jcasync.format.FileMode.S_IFDIR;
import static org.jcasync.format.FileMode.S_IFLNK;
import static org.jcasync.format.FileMode.S_IFREG;

/**
 * Reads one node's metadata: its ENTRY record and what follows up to the SYMLINK, DEVICE or PAYLOAD record, or up to
 * the FILENAME/GOODBYE header of a directory's children. Each record type has its handler ({@link MetadataRecords});
 * {@link #finish} then applies casync's rules for what a node of each type must and must not have
 * ({@code ca_decoder_parse_entry}). The first ENTRY decides the archive's feature flags, which every later ENTRY
 * must repeat.
 */
final class EntryReader {
    /** Most metadata bytes (ENTRY up to the payload) of one node; casync has no limit, this bounds memory. */
    private static final int NODE_METADATA_MAX = 64 << 20;

    /** What ended a node's metadata. */
    enum End { PAYLOAD, SYMLINK, DEVICE, CHILDREN }

    private final RecordInput in;
    private final long expectedFlags;
    private final MetadataRecords records;
    private long flags = -1;

    /** A node's metadata as it is read. */
    static final class Pending {
        final byte[] name;
        final byte[] path;
        final int depth;
        final long offset;
        long featureFlags;
        long mode;
        long entryFlags;
        long uid;
        long gid;
        long mtime;
        String user;
        String group;
        final List<Xattr> xattrs = new ArrayList<>();
        final List<AclRecord> acl = new ArrayList<>();
        byte[] selinux;
        byte[] fcaps;
        long quotaProjid = -1;
        byte[] symlinkTarget;
        long rdevMajor = -1;
        long rdevMinor = -1;
        long payloadSize = -1;
        final ByteArrayOutputStream metadata = new ByteArrayOutputStream(128);
        /** The {@link MetadataRecords} SEEN_* bits of the record types read so far. */
        int seen;
        /** The last XATTR name (they must be in strcmp order). */
        byte[] lastXattr;
        /** The last entry of each named ACL list: user, group, default user, default group (in increasing order). */
        final byte[][] lastNamedAcl = new byte[4][];
        /** The default ACL mask (-1: none), once ACL_DEFAULT was read. */
        long defaultAclMask = Long.MIN_VALUE;
        End end;

        Pending(byte[] name, byte[] path, int depth, long offset) {
            this.name = name;
            this.path = path;
            this.depth = depth;
            this.offset = offset;
        }

        int type() {
            return FileMode.type(mode);
        }

        boolean seen(int types) {
            return (seen & types) != 0;
        }

        /** Adds a record to the node's stored metadata. */
        void add(Header h, byte[] body) {
            metadata.writeBytes(h.raw());
            metadata.writeBytes(body);
        }
    }

    /** Reads from {@code in}; every ENTRY must carry {@code expectedFlags} unless it is -1. */
    EntryReader(RecordInput in, long expectedFlags) {
        this.in = in;
        this.expectedFlags = expectedFlags;
        this.records = new MetadataRecords(in);
    }

    /** The archive's feature flags (known after the first ENTRY), or -1. */
    long flags() {
        return flags;
    }

    /** Reads the node {@code name} at {@code path} ({@code depth} nodes from the root, root included). */
    CatarEntry read(byte[] name, byte[] path, int depth) throws IOException {
        Header h = in.readHeader();
        if (h.type() != CatarFormat.ENTRY) {
            throw new ArchiveFormatException(h.offset(), "expected ENTRY"
                    + (path.length == 0 ? " at the start of the archive" : " for '" + str(path) + "'")
                    + ", found " + typeName(h.type()));
        }
        if (h.size() != CatarFormat.ENTRY_SIZE) {
            throw new ArchiveFormatException(h.offset(), "ENTRY record of " + h.size() + " bytes (must be 64)");
        }
        Pending n = new Pending(name, path, depth, h.offset());
        byte[] e = in.readBody(h);
        n.add(h, e);
        entry(n, h, e);
        while (n.end == null) {
            if (n.metadata.size() > NODE_METADATA_MAX) {
                throw new ArchiveFormatException(h.offset(), "more than " + NODE_METADATA_MAX
                        + " bytes of metadata for '" + str(path) + "'");
            }
            h = in.readHeaderUntapped();
            if (h.type() == CatarFormat.FILENAME || h.type() == CatarFormat.GOODBYE) {
                in.unread(h);
                n.end = End.CHILDREN;
            } else {
                in.tapped(h);
                records.read(n, h);
            }
        }
        return finish(n);
    }

    /** The ENTRY record: feature flags, mode, flags, uid, gid, mtime. */
    private void entry(Pending n, Header h, byte[] e) throws ArchiveFormatException {
        long f = le64(e, 0);
        if (f == -1L) {
            throw new ArchiveFormatException(h.offset(), "ENTRY feature flags are all ones");
        }
        if (expectedFlags != -1 && f != expectedFlags) {
            throw new ArchiveFormatException(h.offset(), String.format(
                    "ENTRY feature flags 0x%016x differ from the index's 0x%016x", f, expectedFlags));
        }
        if ((f & ~FeatureFlags.MAX) != 0) {
            throw new ArchiveFormatException(h.offset(), String.format("unsupported feature flags 0x%016x", f));
        }
        if (!FeatureFlags.isNormalized(f)) {
            throw new ArchiveFormatException(h.offset(), String.format("feature flags 0x%016x are not normalized", f));
        }
        if (flags == -1) {
            flags = f;
        } else if (f != flags) {
            throw new ArchiveFormatException(h.offset(), String.format(
                    "ENTRY feature flags 0x%016x differ from the archive's 0x%016x", f, flags));
        }
        n.featureFlags = f;
        long m = le64(e, 8);
        long ef = le64(e, 16);
        if (!FieldRules.validMode(flags, m, ef)) {
            throw new ArchiveFormatException(h.offset(), "invalid mode 0" + Long.toOctalString(m)
                    + (n.path.length > 0 ? " of '" + str(n.path) + "'" : " of the root"));
        }
        if ((ef & ~(flags & (FeatureFlags.WITH_FAT_ATTRS | FeatureFlags.WITH_CHATTR | FeatureFlags.WITH_SUBVOLUME
                | FeatureFlags.WITH_SUBVOLUME_RO))) != 0) {
            throw new ArchiveFormatException(h.offset(), String.format("ENTRY flags 0x%x not allowed by the feature "
                    + "flags", ef));
        }
        long uid = le64(e, 24);
        long gid = le64(e, 32);
        if (!FieldRules.validId(flags, uid) || !FieldRules.validId(flags, gid)) {
            throw new ArchiveFormatException(h.offset(), "invalid uid/gid " + Long.toUnsignedString(uid) + "/"
                    + Long.toUnsignedString(gid) + " for the feature flags");
        }
        long mt = le64(e, 40);
        if (!FieldRules.validTime(flags, mt)) {
            throw new ArchiveFormatException(h.offset(), "mtime " + mt + " does not match the time granularity");
        }
        n.mode = m;
        n.entryFlags = ef;
        n.uid = uid;
        n.gid = gid;
        n.mtime = mt;
    }

    /** What a node of each type must (not) have (src/cadecoder.c ca_decoder_parse_entry); then the entry. */
    private CatarEntry finish(Pending n) throws ArchiveFormatException {
        long at = n.offset;
        int type = n.type();
        String path = str(n.path);
        if ((flags & FeatureFlags.WITH_USER_NAMES) != 0 && (flags & NUMERIC_IDS) == 0
                && !(n.seen(MetadataRecords.SEEN_USER) && n.seen(MetadataRecords.SEEN_GROUP))) {
            throw new ArchiveFormatException(at, "USER and GROUP records are required for '" + path + "'");
        }
        if (type == S_IFREG && n.end != End.PAYLOAD) {
            throw new ArchiveFormatException(at, "regular file '" + path + "' without PAYLOAD");
        }
        if (type == S_IFDIR && n.end != End.CHILDREN) {
            throw new ArchiveFormatException(at, "directory '" + path + "' not followed by FILENAME or GOODBYE");
        }
        if (type == S_IFLNK && n.end != End.SYMLINK) {
            throw new ArchiveFormatException(at, "symlink '" + path + "' without SYMLINK");
        }
        if ((type == S_IFBLK || type == S_IFCHR) && n.end != End.DEVICE) {
            throw new ArchiveFormatException(at, "device '" + path + "' without DEVICE");
        }
        if (n.seen(MetadataRecords.SEEN_FCAPS) && type != S_IFREG) {
            throw new ArchiveFormatException(at, "FCAPS on '" + path + "', which is no regular file");
        }
        boolean fileOrDirectory = type == S_IFREG || type == S_IFDIR;
        if (n.seen(MetadataRecords.SEEN_QUOTA) && !fileOrDirectory) {
            throw new ArchiveFormatException(at, "QUOTA_PROJID on '" + path + "', no file or directory");
        }
        if (n.entryFlags != 0 && !fileOrDirectory) {
            throw new ArchiveFormatException(at, "ENTRY flags on '" + path + "', no file or directory");
        }
        if (n.depth == 1 && type != S_IFDIR) {
            throw new ArchiveFormatException(at, "the root node is not a directory");
        }
        records.checkAcl(n, path);
        return new CatarEntry(n.name, n.path, n.depth, n.offset, n.featureFlags, n.mode, n.entryFlags, n.uid, n.gid,
                n.mtime, n.user, n.group, n.xattrs, n.acl, n.selinux, n.fcaps, n.quotaProjid, n.symlinkTarget,
                n.rdevMajor, n.rdevMinor, n.payloadSize, n.metadata.toByteArray());
    }
}
