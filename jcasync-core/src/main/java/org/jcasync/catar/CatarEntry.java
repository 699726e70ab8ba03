package org.jcasync.catar;

import org.jcasync.format.FileMode;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One node of a catar archive as {@link CatarDecoder} read it: where it is, and its metadata as stored. Immutable:
 * arrays are copied in and out.
 *
 * @param name          the file name as stored (empty for the root)
 * @param path          the path from the root, components joined by '/' (empty for the root)
 * @param depth         nodes from the root to this one, root included (root: 1)
 * @param offset        archive offset of the node's ENTRY record
 * @param featureFlags  the feature-flag word of the ENTRY
 * @param mode          st_mode as stored (type and permission bits)
 * @param entryFlags    the ENTRY's flags field (chattr/FAT/subvolume bits as feature-flag values)
 * @param uid           stored uid
 * @param gid           stored gid
 * @param mtime         stored mtime in nanoseconds (two's complement of a signed value)
 * @param user          USER record, or null
 * @param group         GROUP record, or null
 * @param xattrs        XATTR records in stored (strcmp) order
 * @param acl           ACL records in stored order
 * @param selinux       SELINUX label (without NUL), or null
 * @param fcaps         FCAPS value, or null
 * @param quotaProjid   QUOTA_PROJID, or -1
 * @param symlinkTarget symlink target (without NUL), or null
 * @param rdevMajor     device major, or -1
 * @param rdevMinor     device minor, or -1
 * @param payloadSize   payload size of a regular file, or -1
 * @param metadata      the node's records as stored from ENTRY through the SYMLINK/DEVICE record or PAYLOAD header
 */
public record CatarEntry(byte[] name, byte[] path, int depth, long offset, long featureFlags, long mode,
                         long entryFlags, long uid, long gid, long mtime, String user, String group,
                         List<Xattr> xattrs, List<AclRecord> acl, byte[] selinux, byte[] fcaps, long quotaProjid,
                         byte[] symlinkTarget, long rdevMajor, long rdevMinor, long payloadSize, byte[] metadata) {

    /** An extended attribute: raw name (without NUL) and value. */
    public record Xattr(byte[] name, byte[] value) {
        public Xattr {
            name = name.clone();
            value = value.clone();
        }

        @Override
        public byte[] name() {
            return name.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }
    }

    /** An ACL record as stored: its type and body (after the 16-byte header). */
    public record AclRecord(long type, byte[] body) {
        public AclRecord {
            body = body.clone();
        }

        @Override
        public byte[] body() {
            return body.clone();
        }
    }

    public CatarEntry {
        name = name.clone();
        path = path.clone();
        xattrs = List.copyOf(xattrs);
        acl = List.copyOf(acl);
        selinux = copy(selinux);
        fcaps = copy(fcaps);
        symlinkTarget = copy(symlinkTarget);
        metadata = metadata.clone();
    }

    @Override
    public byte[] name() {
        return name.clone();
    }

    @Override
    public byte[] path() {
        return path.clone();
    }

    @Override
    public byte[] selinux() {
        return copy(selinux);
    }

    @Override
    public byte[] fcaps() {
        return copy(fcaps);
    }

    @Override
    public byte[] symlinkTarget() {
        return copy(symlinkTarget);
    }

    @Override
    public byte[] metadata() {
        return metadata.clone();
    }

    /** The path decoded as UTF-8 (for messages). */
    public String pathString() {
        return new String(path, StandardCharsets.UTF_8);
    }

    /** File type bits of {@link #mode()}. */
    public int type() {
        return FileMode.type(mode);
    }

    /** True for a directory. */
    public boolean isDirectory() {
        return type() == FileMode.S_IFDIR;
    }

    /** True for a regular file. */
    public boolean isRegularFile() {
        return type() == FileMode.S_IFREG;
    }

    /** True for a symbolic link. */
    public boolean isSymlink() {
        return type() == FileMode.S_IFLNK;
    }

    /** True for a character or block device. */
    public boolean isDevice() {
        return type() == FileMode.S_IFCHR || type() == FileMode.S_IFBLK;
    }

    private static byte[] copy(byte[] b) {
        return b == null ? null : b.clone();
    }
}
