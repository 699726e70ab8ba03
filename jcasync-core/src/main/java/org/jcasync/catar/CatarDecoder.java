package org.jcasync.catar;

import org.jcasync.format.FeatureFlags;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import static org.jcasync.internal.fs.Posix.S_IFMT;
import static org.jcasync.internal.fs.Posix.S_IFSOCK;
import static org.jcasync.internal.fs.Posix.S_IFLNK;
import static org.jcasync.internal.fs.Posix.S_IFREG;
import static org.jcasync.internal.fs.Posix.S_IFBLK;
import static org.jcasync.internal.fs.Posix.S_IFDIR;
import static org.jcasync.internal.fs.Posix.S_IFCHR;
import static org.jcasync.internal.fs.Posix.S_IFIFO;
import static org.jcasync.format.FeatureFlags.WITH_SYMLINKS;
import static org.jcasync.format.FeatureFlags.WITH_DEVICE_NODES;
import static org.jcasync.format.FeatureFlags.WITH_FIFOS;
import static org.jcasync.format.FeatureFlags.WITH_SOCKETS;
import static org.jcasync.format.FeatureFlags.WITH_FAT_ATTRS;
import static org.jcasync.format.FeatureFlags.WITH_CHATTR;
import static org.jcasync.format.FeatureFlags.WITH_XATTRS;
import static org.jcasync.format.FeatureFlags.WITH_SELINUX;
import static org.jcasync.format.FeatureFlags.WITH_FCAPS;
import static org.jcasync.format.FeatureFlags.NUMERIC_IDS;

/**
 * A streaming, strict reader of casync's catar stream. It pulls the stream once, front to back, and reports each
 * node twice: {@link Kind#ENTRY} once its metadata records have been read (for a regular file the payload follows
 * and may be read through {@link #payload()}), and {@link Kind#DONE} after its payload or, for a directory, after
 * its GOODBYE record. Only the metadata of the nodes on the current path is in memory; payloads never are.
 *
 * <p>It applies casync's decoder rules ({@code src/cadecoder.c}): record sizes and limits (checked before anything
 * is allocated), known record types, record order, one feature-flag word in every ENTRY (and equal to the index's,
 * for a .caidx), modes, uids, timestamps against the archive's granularity, file names, GOODBYE size, marker and
 * entry offset, depth at most {@value CatarFormat#NODES_MAX}. Every violation is an {@link ArchiveFormatException}
 * naming the offset. Beyond casync, it also requires the GOODBYE table to have one item per child and FCAPS records
 * to be allowed by the flags. As casync, it stops at the end of the root directory; bytes after it are not read.
 */
public final class CatarDecoder implements Closeable {
    /** What {@link #next()} reports. */
    public enum Kind {
        /** A node's metadata was read; a regular file's payload comes next. */
        ENTRY,
        /** A node ended (after its payload, or after a directory's GOODBYE). */
        DONE
    }

    /** One step of the walk. */
    public record Event(Kind kind, Node node) {
    }

    /** Receives every archive byte the decoder consumes while set (see {@link #tap}). */
    @FunctionalInterface
    public interface Tap {
        /** {@code b[off, off+len)} were consumed. */
        void accept(byte[] b, int off, int len) throws IOException;
    }

    /** An extended attribute: raw name (without NUL) and value. */
    public record Xattr(byte[] name, byte[] value) {
    }

    /** An ACL record as stored: its type and body (after the 16-byte header). */
    public record AclRecord(long type, byte[] body) {
    }

    private static final long TIME_BITS = FeatureFlags.WITH_NSEC_TIME | FeatureFlags.WITH_USEC_TIME
            | FeatureFlags.WITH_SEC_TIME | FeatureFlags.WITH_2SEC_TIME;

    private static final int USER_SIZE_MAX = 16 + 256;
    private static final int XATTR_SIZE_MAX = 16 + 255 + 1 + 64 * 1024;
    private static final int FCAPS_SIZE_MAX = 16 + 64 * 1024;
    private static final int ACL_NAMED_SIZE_MAX = 32 + 256;
    private static final int SELINUX_SIZE_MAX = 16 + 4096;
    private static final int SYMLINK_SIZE_MAX = 16 + 4096;
    private static final int FILENAME_SIZE_MAX = 16 + 256;
    /** Most metadata bytes (ENTRY up to the payload) of one node; casync has no limit, this bounds memory. */
    private static final int NODE_METADATA_MAX = 64 << 20;

    /** A node of the archive: its name, path and metadata as stored. */
    public static final class Node {
        private final byte[] name;
        private final byte[] path;
        private final int depth;
        private final long offset;
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
        byte[] metadata;
        int children;

        Node(byte[] name, byte[] path, int depth, long offset) {
            this.name = name;
            this.path = path;
            this.depth = depth;
            this.offset = offset;
        }

        /** The file name as stored (empty for the root). */
        public byte[] name() {
            return name.clone();
        }

        /** The path from the root, components joined by '/' (empty for the root). */
        public byte[] path() {
            return path.clone();
        }

        /** The path decoded as UTF-8 (for messages). */
        public String pathString() {
            return new String(path, StandardCharsets.UTF_8);
        }

        /** Nodes from the root to this one, root included (root: 1). */
        public int depth() {
            return depth;
        }

        /** Archive offset of the node's ENTRY record. */
        public long offset() {
            return offset;
        }

        /** The feature-flag word of the ENTRY. */
        public long featureFlags() {
            return featureFlags;
        }

        /** st_mode as stored (type and permission bits). */
        public long mode() {
            return mode;
        }

        /** The ENTRY's flags field (chattr/FAT/subvolume bits as feature-flag values). */
        public long entryFlags() {
            return entryFlags;
        }

        /** Stored uid. */
        public long uid() {
            return uid;
        }

        /** Stored gid. */
        public long gid() {
            return gid;
        }

        /** Stored mtime in nanoseconds (two's complement of a signed value). */
        public long mtime() {
            return mtime;
        }

        /** USER record, or null. */
        public String user() {
            return user;
        }

        /** GROUP record, or null. */
        public String group() {
            return group;
        }

        /** XATTR records in stored (strcmp) order. */
        public List<Xattr> xattrs() {
            return Collections.unmodifiableList(xattrs);
        }

        /** ACL records in stored order. */
        public List<AclRecord> acl() {
            return Collections.unmodifiableList(acl);
        }

        /** SELINUX label (without NUL), or null. */
        public byte[] selinux() {
            return selinux == null ? null : selinux.clone();
        }

        /** FCAPS value, or null. */
        public byte[] fcaps() {
            return fcaps == null ? null : fcaps.clone();
        }

        /** QUOTA_PROJID, or -1. */
        public long quotaProjid() {
            return quotaProjid;
        }

        /** Symlink target (without NUL), or null. */
        public byte[] symlinkTarget() {
            return symlinkTarget == null ? null : symlinkTarget.clone();
        }

        /** Device major, or -1. */
        public long rdevMajor() {
            return rdevMajor;
        }

        /** Device minor, or -1. */
        public long rdevMinor() {
            return rdevMinor;
        }

        /** Payload size of a regular file, or -1. */
        public long payloadSize() {
            return payloadSize;
        }

        /** The node's records as stored from ENTRY through the SYMLINK/DEVICE record or PAYLOAD header. */
        public byte[] metadata() {
            return metadata.clone();
        }

        /** Number of children read so far (all of them once the directory is DONE). */
        public int children() {
            return children;
        }

        /** File type bits of {@link #mode()}. */
        public int type() {
            return (int) (mode & S_IFMT);
        }

        /** True for a directory. */
        public boolean isDirectory() {
            return type() == S_IFDIR;
        }

        /** True for a regular file. */
        public boolean isRegularFile() {
            return type() == S_IFREG;
        }

        /** True for a symbolic link. */
        public boolean isSymlink() {
            return type() == S_IFLNK;
        }

        /** True for a character or block device. */
        public boolean isDevice() {
            return type() == S_IFCHR || type() == S_IFBLK;
        }
    }

    private record Header(long offset, long size, long type, byte[] raw) {
    }

    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int bpos;
    private int blen;
    private long pos;
    private Tap tap;
    private final long expectedFlags;
    private long flags = -1;
    private final ArrayDeque<Node> stack = new ArrayDeque<>();
    private Node pendingDone;
    private long payloadLeft;
    private Header peeked;
    private boolean started;
    private boolean finished;
    private long payloadGeneration;

    /** A decoder of {@code in} accepting any (valid) feature flags; the first ENTRY decides them. */
    public CatarDecoder(InputStream in) {
        this(in, -1);
    }

    /**
     * A decoder of {@code in} whose ENTRY records must all carry {@code expectedFlags} (a .caidx's header flags), or
     * any flags when {@code expectedFlags} is -1.
     */
    public CatarDecoder(InputStream in, long expectedFlags) {
        this.in = in;
        this.expectedFlags = expectedFlags;
    }

    /** The archive's feature flags (known after the first ENTRY), or -1. */
    public long featureFlags() {
        return flags;
    }

    /** Archive bytes consumed so far. */
    public long position() {
        return peeked != null ? pos - CatarFormat.HEADER_SIZE : pos;
    }

    /** Sets (or, with null, clears) the receiver of every byte consumed from now on. */
    public void tap(Tap t) {
        this.tap = t;
    }

    /**
     * The next step, or null after the root directory ended. After an ENTRY of a regular file, the payload is
     * available from {@link #payload()} until the next call; what the consumer did not read is skipped (and still
     * passed to the tap).
     */
    public Event next() throws IOException {
        if (finished) {
            return null;
        }
        if (pendingDone != null) {
            skipPayload();
            Node n = pendingDone;
            pendingDone = null;
            return new Event(Kind.DONE, n);
        }
        if (!started) {
            started = true;
            Node root = readNode(new byte[0], new byte[0], 1);
            stack.push(root);
            return new Event(Kind.ENTRY, root);
        }
        Node dir = stack.peek();
        if (dir == null) {
            finished = true;
            return null;
        }
        Header h = readHeader();
        if (h.type == CatarFormat.FILENAME) {
            byte[] name = readFilename(h);
            if (stack.size() >= CatarFormat.NODES_MAX) {
                throw new ArchiveFormatException(h.offset, "directory depth exceeds " + CatarFormat.NODES_MAX
                        + " at '" + new String(dir.path, StandardCharsets.UTF_8) + "/"
                        + new String(name, StandardCharsets.UTF_8) + "'");
            }
            byte[] path;
            if (dir.path.length == 0) {
                path = name;
            } else {
                path = Arrays.copyOf(dir.path, dir.path.length + 1 + name.length);
                path[dir.path.length] = '/';
                System.arraycopy(name, 0, path, dir.path.length + 1, name.length);
            }
            dir.children++;
            Node child = readNode(name, path, dir.depth + 1);
            if (child.isDirectory()) {
                stack.push(child);
            } else {
                pendingDone = child;
                payloadLeft = Math.max(0, child.payloadSize);
                payloadGeneration++;
            }
            return new Event(Kind.ENTRY, child);
        }
        if (h.type == CatarFormat.GOODBYE) {
            readGoodbye(h, dir);
            stack.pop();
            if (stack.isEmpty()) {
                finished = true;
            }
            return new Event(Kind.DONE, dir);
        }
        throw new ArchiveFormatException(h.offset, "expected FILENAME or GOODBYE in directory '"
                + dir.pathString() + "', found " + typeName(h.type));
    }

    /**
     * The payload of the regular file whose ENTRY was just reported: a stream of exactly its bytes, valid until the
     * next call of {@link #next()}. Closing it does not close the archive.
     */
    public InputStream payload() {
        if (pendingDone == null || !pendingDone.isRegularFile()) {
            throw new IllegalStateException("no payload: the last event was not the ENTRY of a regular file");
        }
        final long gen = payloadGeneration;
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (gen != payloadGeneration) {
                    throw new IOException("payload stream used after the decoder moved on");
                }
                if (len == 0) {
                    return 0;
                }
                if (payloadLeft == 0) {
                    return -1;
                }
                int k = (int) Math.min(len, payloadLeft);
                int got = readSome(b, off, k);
                payloadLeft -= got;
                return got;
            }

            @Override
            public long skip(long n) throws IOException {
                long k = Math.min(Math.max(0, n), payloadLeft);
                skipBytes(k);
                payloadLeft -= k;
                return k;
            }

            @Override
            public int available() {
                return (int) Math.min(payloadLeft, Math.min(Integer.MAX_VALUE, blen - bpos));
            }
        };
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    // ---------------------------------------------------------------- nodes

    private Node readNode(byte[] name, byte[] path, int depth) throws IOException {
        Header h = readHeader();
        if (h.type != CatarFormat.ENTRY) {
            throw new ArchiveFormatException(h.offset, "expected ENTRY"
                    + (path.length == 0 ? " at the start of the archive" : " for '" + str(path) + "'")
                    + ", found " + typeName(h.type));
        }
        if (h.size != CatarFormat.ENTRY_SIZE) {
            throw new ArchiveFormatException(h.offset, "ENTRY record of " + h.size + " bytes (must be 64)");
        }
        Node n = new Node(name, path, depth, h.offset);
        ByteArrayOutputStream meta = new ByteArrayOutputStream(128);
        byte[] e = readBody(h);
        writeRecord(meta, h, e);
        parseEntry(n, h, e);
        boolean user = false;
        boolean group = false;
        byte[] lastXattr = null;
        boolean haveAcl = false;
        byte[] aclUser = null;
        byte[] aclGroup = null;
        byte[] aclDefaultUser = null;
        byte[] aclDefaultGroup = null;
        boolean aclGroupObj = false;
        long aclDefaultMask = Long.MIN_VALUE;
        boolean aclDefault = false;
        boolean selinux = false;
        boolean fcaps = false;
        boolean quota = false;
        boolean payload = false;
        boolean symlink = false;
        boolean device = false;
        boolean childrenFollow = false;
        int type = n.type();
        loop:
        for (;;) {
            if (meta.size() > NODE_METADATA_MAX) {
                throw new ArchiveFormatException(h.offset, "more than " + NODE_METADATA_MAX
                        + " bytes of metadata for '" + str(path) + "'");
            }
            h = readHeaderUntapped();
            long t = h.type;
            if (t == CatarFormat.FILENAME || t == CatarFormat.GOODBYE) {
                peeked = h;
                childrenFollow = true;
                break;
            }
            if (tap != null) {
                tap.accept(h.raw, 0, h.raw.length);
            }
            if (t == CatarFormat.ENTRY) {
                throw new ArchiveFormatException(h.offset, "second ENTRY record for '" + str(path) + "'");
            } else if (t == CatarFormat.USER || t == CatarFormat.GROUP) {
                boolean isUser = t == CatarFormat.USER;
                if (isUser ? user || group : group) {
                    throw order(h, isUser ? "USER after USER or GROUP" : "second GROUP");
                }
                if (lastXattr != null || haveAcl || selinux || fcaps || quota) {
                    throw order(h, typeName(t) + " after XATTR, ACL, SELINUX, FCAPS or QUOTA_PROJID");
                }
                limit(h, 18, USER_SIZE_MAX);
                byte[] b = readBody(h);
                if ((flags & FeatureFlags.WITH_USER_NAMES) == 0) {
                    throw new ArchiveFormatException(h.offset, typeName(t) + " record without the user-names flag");
                }
                String s = validUserName(h, b);
                if ((flags & NUMERIC_IDS) != 0 && (isUser ? n.uid : n.gid) == 0 && s.equals("root")) {
                    throw new ArchiveFormatException(h.offset, "'root' must not be stored for id 0");
                }
                if (isUser) {
                    user = true;
                    n.user = s;
                } else {
                    group = true;
                    n.group = s;
                }
                writeRecord(meta, h, b);
            } else if (t == CatarFormat.XATTR) {
                if (selinux || fcaps || quota || haveAcl) {
                    throw order(h, "XATTR after ACL, SELINUX, FCAPS or QUOTA_PROJID");
                }
                limit(h, 20, XATTR_SIZE_MAX);
                byte[] b = readBody(h);
                if ((flags & WITH_XATTRS) == 0) {
                    throw new ArchiveFormatException(h.offset, "XATTR record without the xattrs flag");
                }
                int nul = indexOf(b, 0, Math.min(256, b.length));
                if (nul < 0) {
                    throw new ArchiveFormatException(h.offset, "XATTR name not NUL-terminated within 256 bytes");
                }
                byte[] xn = Arrays.copyOf(b, nul);
                int dot = indexOf(xn, '.', xn.length);
                if (dot <= 0 || dot == xn.length - 1) {
                    throw new ArchiveFormatException(h.offset, "invalid XATTR name '" + str(xn) + "'");
                }
                if (lastXattr != null && Arrays.compareUnsigned(xn, lastXattr) <= 0) {
                    throw order(h, "XATTR '" + str(xn) + "' not after '" + str(lastXattr) + "'");
                }
                lastXattr = xn;
                n.xattrs.add(new Xattr(xn, Arrays.copyOfRange(b, nul + 1, b.length)));
                writeRecord(meta, h, b);
            } else if (t == CatarFormat.ACL_USER || t == CatarFormat.ACL_DEFAULT_USER
                    || t == CatarFormat.ACL_GROUP || t == CatarFormat.ACL_DEFAULT_GROUP) {
                boolean isDefault = t == CatarFormat.ACL_DEFAULT_USER || t == CatarFormat.ACL_DEFAULT_GROUP;
                boolean isUser = t == CatarFormat.ACL_USER || t == CatarFormat.ACL_DEFAULT_USER;
                if (t == CatarFormat.ACL_USER && (aclGroup != null || aclGroupObj || aclDefault
                        || aclDefaultUser != null)) {
                    throw order(h, "ACL_USER after ACL_GROUP, ACL_GROUP_OBJ or default ACL records");
                }
                if (t == CatarFormat.ACL_GROUP && (aclGroupObj || aclDefault || aclDefaultUser != null
                        || aclDefaultGroup != null)) {
                    throw order(h, "ACL_GROUP after ACL_GROUP_OBJ or default ACL records");
                }
                if (t == CatarFormat.ACL_DEFAULT_USER && aclDefaultGroup != null) {
                    throw order(h, "ACL_DEFAULT_USER after ACL_DEFAULT_GROUP");
                }
                if (selinux || fcaps || quota) {
                    throw order(h, typeName(t) + " after SELINUX, FCAPS or QUOTA_PROJID");
                }
                limit(h, 32, ACL_NAMED_SIZE_MAX);
                byte[] b = readBody(h);
                if ((flags & FeatureFlags.WITH_ACL) == 0) {
                    throw new ArchiveFormatException(h.offset, typeName(t) + " record without the acl flag");
                }
                if (b.length > 16) {
                    if ((flags & FeatureFlags.WITH_USER_NAMES) == 0) {
                        throw new ArchiveFormatException(h.offset, "named " + typeName(t)
                                + " without the user-names flag");
                    }
                    validUserName(h, Arrays.copyOfRange(b, 16, b.length));
                }
                if (!validId(le64(b, 0))) {
                    throw new ArchiveFormatException(h.offset, "invalid id in " + typeName(t));
                }
                checkPermissions(h, le64(b, 8));
                byte[] prev = isUser ? (isDefault ? aclDefaultUser : aclUser) : (isDefault ? aclDefaultGroup : aclGroup);
                if (prev != null && PosixAcl.compareNamed(b, prev) <= 0) {
                    throw order(h, typeName(t) + " entries not in increasing order");
                }
                if (isUser) {
                    if (isDefault) {
                        aclDefaultUser = b;
                    } else {
                        aclUser = b;
                    }
                } else if (isDefault) {
                    aclDefaultGroup = b;
                } else {
                    aclGroup = b;
                }
                haveAcl = true;
                n.acl.add(new AclRecord(t, b));
                writeRecord(meta, h, b);
            } else if (t == CatarFormat.ACL_GROUP_OBJ || t == CatarFormat.ACL_DEFAULT) {
                boolean obj = t == CatarFormat.ACL_GROUP_OBJ;
                if (obj ? aclGroupObj || aclDefault : aclDefault) {
                    throw order(h, obj ? "ACL_GROUP_OBJ after ACL_GROUP_OBJ or ACL_DEFAULT" : "second ACL_DEFAULT");
                }
                if (aclDefaultUser != null || aclDefaultGroup != null || selinux || fcaps || quota) {
                    throw order(h, typeName(t) + " after default ACL entries, SELINUX, FCAPS or QUOTA_PROJID");
                }
                limit(h, obj ? 24 : 48, obj ? 24 : 48);
                byte[] b = readBody(h);
                if ((flags & FeatureFlags.WITH_ACL) == 0) {
                    throw new ArchiveFormatException(h.offset, typeName(t) + " record without the acl flag");
                }
                if (obj) {
                    checkPermissions(h, le64(b, 0));
                    aclGroupObj = true;
                } else {
                    checkPermissions(h, le64(b, 0));
                    checkPermissions(h, le64(b, 8));
                    checkPermissions(h, le64(b, 16));
                    aclDefaultMask = le64(b, 24);
                    if (aclDefaultMask != -1) {
                        checkPermissions(h, aclDefaultMask);
                    }
                    aclDefault = true;
                }
                haveAcl = true;
                n.acl.add(new AclRecord(t, b));
                writeRecord(meta, h, b);
            } else if (t == CatarFormat.SELINUX) {
                if (selinux || fcaps || quota) {
                    throw order(h, "SELINUX after SELINUX, FCAPS or QUOTA_PROJID");
                }
                limit(h, 18, SELINUX_SIZE_MAX);
                byte[] b = readBody(h);
                if ((flags & WITH_SELINUX) == 0) {
                    throw new ArchiveFormatException(h.offset, "SELINUX record without the selinux flag");
                }
                if (b[b.length - 1] != 0 || indexOf(b, 0, b.length - 1) >= 0) {
                    throw new ArchiveFormatException(h.offset, "SELINUX label not a NUL-terminated string");
                }
                selinux = true;
                n.selinux = Arrays.copyOf(b, b.length - 1);
                writeRecord(meta, h, b);
            } else if (t == CatarFormat.FCAPS) {
                if (fcaps || quota) {
                    throw order(h, "FCAPS after FCAPS or QUOTA_PROJID");
                }
                limit(h, 16, FCAPS_SIZE_MAX);
                byte[] b = readBody(h);
                if ((flags & WITH_FCAPS) == 0) {
                    throw new ArchiveFormatException(h.offset, "FCAPS record without the fcaps flag");
                }
                fcaps = true;
                n.fcaps = b;
                writeRecord(meta, h, b);
            } else if (t == CatarFormat.QUOTA_PROJID) {
                if (quota) {
                    throw order(h, "second QUOTA_PROJID");
                }
                limit(h, 24, 24);
                byte[] b = readBody(h);
                long id = le64(b, 0);
                if (id == 0 || Long.compareUnsigned(id, 0xFFFFFFFFL) > 0) {
                    throw new ArchiveFormatException(h.offset, "QUOTA_PROJID " + Long.toUnsignedString(id)
                            + " out of range");
                }
                quota = true;
                n.quotaProjid = id;
                writeRecord(meta, h, b);
            } else if (t == CatarFormat.SYMLINK) {
                if (type != S_IFLNK) {
                    throw new ArchiveFormatException(h.offset, "SYMLINK record for a node that is no symlink");
                }
                limit(h, 18, SYMLINK_SIZE_MAX);
                byte[] b = readBody(h);
                if ((flags & WITH_SYMLINKS) == 0) {
                    throw new ArchiveFormatException(h.offset, "SYMLINK record without the symlinks flag");
                }
                if (b[b.length - 1] != 0 || indexOf(b, 0, b.length - 1) >= 0) {
                    throw new ArchiveFormatException(h.offset, "symlink target not a NUL-terminated string");
                }
                n.symlinkTarget = Arrays.copyOf(b, b.length - 1);
                symlink = true;
                writeRecord(meta, h, b);
                break;
            } else if (t == CatarFormat.DEVICE) {
                if (type != S_IFCHR && type != S_IFBLK) {
                    throw new ArchiveFormatException(h.offset, "DEVICE record for a node that is no device");
                }
                limit(h, 32, 32);
                byte[] b = readBody(h);
                if ((flags & WITH_DEVICE_NODES) == 0) {
                    throw new ArchiveFormatException(h.offset, "DEVICE record without the device-nodes flag");
                }
                long major = le64(b, 0);
                long minor = le64(b, 8);
                if (Long.compareUnsigned(major, 1L << 12) >= 0 || Long.compareUnsigned(minor, 1L << 20) >= 0) {
                    throw new ArchiveFormatException(h.offset, "device number " + Long.toUnsignedString(major) + ":"
                            + Long.toUnsignedString(minor) + " out of range");
                }
                n.rdevMajor = major;
                n.rdevMinor = minor;
                device = true;
                writeRecord(meta, h, b);
                break;
            } else if (t == CatarFormat.PAYLOAD) {
                if (type != S_IFREG) {
                    throw new ArchiveFormatException(h.offset, "PAYLOAD record for a node that is no regular file");
                }
                n.payloadSize = h.size - CatarFormat.HEADER_SIZE;
                payload = true;
                writeRecord(meta, h, new byte[0]);
                break;
            } else {
                throw new ArchiveFormatException(h.offset, "unknown record type " + typeName(t));
            }
        }
        // What a node of each type must (not) have (src/cadecoder.c ca_decoder_parse_entry).
        long at = n.offset;
        if ((flags & FeatureFlags.WITH_USER_NAMES) != 0 && (flags & NUMERIC_IDS) == 0 && (!user || !group)) {
            throw new ArchiveFormatException(at, "USER and GROUP records are required for '" + str(path) + "'");
        }
        if (type == S_IFREG && !payload) {
            throw new ArchiveFormatException(at, "regular file '" + str(path) + "' without PAYLOAD");
        }
        if (type == S_IFDIR && !childrenFollow) {
            throw new ArchiveFormatException(at, "directory '" + str(path) + "' not followed by FILENAME or GOODBYE");
        }
        if (type == S_IFLNK && !symlink) {
            throw new ArchiveFormatException(at, "symlink '" + str(path) + "' without SYMLINK");
        }
        if ((type == S_IFBLK || type == S_IFCHR) && !device) {
            throw new ArchiveFormatException(at, "device '" + str(path) + "' without DEVICE");
        }
        if (fcaps && type != S_IFREG) {
            throw new ArchiveFormatException(at, "FCAPS on '" + str(path) + "', which is no regular file");
        }
        if (quota && type != S_IFREG && type != S_IFDIR) {
            throw new ArchiveFormatException(at, "QUOTA_PROJID on '" + str(path) + "', no file or directory");
        }
        if (n.entryFlags != 0 && type != S_IFREG && type != S_IFDIR) {
            throw new ArchiveFormatException(at, "ENTRY flags on '" + str(path) + "', no file or directory");
        }
        if (depth == 1 && type != S_IFDIR) {
            throw new ArchiveFormatException(at, "the root node is not a directory");
        }
        if (type == S_IFLNK && (lastXattr != null || haveAcl)) {
            throw new ArchiveFormatException(at, "xattrs or ACLs on symlink '" + str(path) + "'");
        }
        if ((aclUser != null || aclGroup != null) && !aclGroupObj) {
            throw new ArchiveFormatException(at, "ACL entries without ACL_GROUP_OBJ on '" + str(path) + "'");
        }
        if ((aclDefaultUser != null || aclDefaultGroup != null) && (!aclDefault || aclDefaultMask == -1)) {
            throw new ArchiveFormatException(at, "default ACL entries without a default mask on '" + str(path)
                    + "'");
        }
        if ((aclDefaultUser != null || aclDefaultGroup != null || aclDefault) && type != S_IFDIR) {
            throw new ArchiveFormatException(at, "default ACL on '" + str(path) + "', which is no directory");
        }
        n.metadata = meta.toByteArray();
        return n;
    }

    private void parseEntry(Node n, Header h, byte[] e) throws IOException {
        long f = le64(e, 0);
        if (f == -1L) {
            throw new ArchiveFormatException(h.offset, "ENTRY feature flags are all ones");
        }
        if (expectedFlags != -1 && f != expectedFlags) {
            throw new ArchiveFormatException(h.offset, String.format(
                    "ENTRY feature flags 0x%016x differ from the index's 0x%016x", f, expectedFlags));
        }
        if ((f & ~FeatureFlags.MAX) != 0) {
            throw new ArchiveFormatException(h.offset, String.format("unsupported feature flags 0x%016x", f));
        }
        if (!FeatureFlags.isNormalized(f)) {
            throw new ArchiveFormatException(h.offset, String.format("feature flags 0x%016x are not normalized", f));
        }
        if (flags == -1) {
            flags = f;
        } else if (f != flags) {
            throw new ArchiveFormatException(h.offset, String.format(
                    "ENTRY feature flags 0x%016x differ from the archive's 0x%016x", f, flags));
        }
        n.featureFlags = f;
        long m = le64(e, 8);
        long ef = le64(e, 16);
        if (!validMode(m, ef)) {
            throw new ArchiveFormatException(h.offset, "invalid mode 0" + Long.toOctalString(m)
                    + (n.path.length > 0 ? " of '" + str(n.path) + "'" : " of the root"));
        }
        if ((ef & ~(flags & (WITH_FAT_ATTRS | WITH_CHATTR | FeatureFlags.WITH_SUBVOLUME
                | FeatureFlags.WITH_SUBVOLUME_RO))) != 0) {
            throw new ArchiveFormatException(h.offset, String.format("ENTRY flags 0x%x not allowed by the feature "
                    + "flags", ef));
        }
        long uid = le64(e, 24);
        long gid = le64(e, 32);
        if (!validId(uid) || !validId(gid)) {
            throw new ArchiveFormatException(h.offset, "invalid uid/gid " + Long.toUnsignedString(uid) + "/"
                    + Long.toUnsignedString(gid) + " for the feature flags");
        }
        long mt = le64(e, 40);
        if (!validTime(mt)) {
            throw new ArchiveFormatException(h.offset, "mtime " + mt + " does not match the time granularity");
        }
        n.mode = m;
        n.entryFlags = ef;
        n.uid = uid;
        n.gid = gid;
        n.mtime = mt;
    }

    private boolean validMode(long m, long entryFlags) {
        if ((m & ~(S_IFMT | 07777L)) != 0) {
            return false;
        }
        int t = (int) (m & S_IFMT);
        switch (t) {
            case S_IFREG, S_IFDIR -> { }
            case S_IFSOCK -> {
                if ((flags & WITH_SOCKETS) == 0) {
                    return false;
                }
            }
            case S_IFIFO -> {
                if ((flags & WITH_FIFOS) == 0) {
                    return false;
                }
            }
            case S_IFBLK, S_IFCHR -> {
                if ((flags & WITH_DEVICE_NODES) == 0) {
                    return false;
                }
            }
            case S_IFLNK -> {
                if ((flags & WITH_SYMLINKS) == 0) {
                    return false;
                }
            }
            default -> {
                return false;
            }
        }
        if (t != S_IFDIR && (entryFlags & FeatureFlags.WITH_SUBVOLUME) != 0) {
            return false;
        }
        long perm = m & 07777;
        if (t == S_IFLNK) {
            return perm == 0777;
        }
        if ((flags & (FeatureFlags.WITH_PERMISSIONS | FeatureFlags.WITH_ACL)) != 0) {
            return true;
        }
        if (perm == (t == S_IFDIR ? 0777 : 0666)) {
            return true;
        }
        return (flags & FeatureFlags.WITH_READ_ONLY) != 0 && perm == (t == S_IFDIR ? 0555 : 0444);
    }

    private boolean validId(long u) {
        if ((flags & FeatureFlags.WITH_16BIT_UIDS) != 0) {
            return Long.compareUnsigned(u, 0xffff) < 0;
        }
        if ((flags & FeatureFlags.WITH_32BIT_UIDS) != 0) {
            return Long.compareUnsigned(u, 0xffffffffL) < 0 && u != 0xffff;
        }
        return u == 0;
    }

    private boolean validTime(long t) {
        if (t == -1L) {
            return false;
        }
        if ((flags & FeatureFlags.WITH_NSEC_TIME) != 0) {
            return true;
        }
        // casync checks usec-time archives against 1 ms, not 1 µs (src/cadecoder.c validate_nsec); so do we.
        if ((flags & FeatureFlags.WITH_USEC_TIME) != 0) {
            return Long.remainderUnsigned(t, 1_000_000L) == 0;
        }
        if ((flags & FeatureFlags.WITH_SEC_TIME) != 0) {
            return Long.remainderUnsigned(t, 1_000_000_000L) == 0;
        }
        if ((flags & FeatureFlags.WITH_2SEC_TIME) != 0) {
            return Long.remainderUnsigned(t, 2_000_000_000L) == 0;
        }
        return t == 0;
    }

    private static String validUserName(Header h, byte[] b) throws ArchiveFormatException {
        int n = b.length;
        boolean ok = n >= 2 && n <= 256 && b[n - 1] == 0;
        if (ok) {
            byte c = b[0];
            ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
            for (int i = 1; ok && i < n - 1; i++) {
                c = b[i];
                ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
            }
        }
        String s = ok ? new String(b, 0, n - 1, StandardCharsets.US_ASCII) : null;
        if (!ok || s.equals("root") || s.equals("0")) {
            throw new ArchiveFormatException(h.offset, "invalid user or group name in " + typeName(h.type));
        }
        return s;
    }

    private static void checkPermissions(Header h, long p) throws ArchiveFormatException {
        if ((p & ~7L) != 0) {
            throw new ArchiveFormatException(h.offset, "invalid ACL permissions 0x" + Long.toHexString(p));
        }
    }

    private byte[] readFilename(Header h) throws IOException {
        limit(h, 18, FILENAME_SIZE_MAX);
        byte[] b = readBody(h);
        int n = b.length - 1;
        if (b[n] != 0) {
            throw new ArchiveFormatException(h.offset, "FILENAME not NUL-terminated");
        }
        for (int i = 0; i < n; i++) {
            if (b[i] == 0 || b[i] == '/') {
                throw new ArchiveFormatException(h.offset, "FILENAME '" + str(Arrays.copyOf(b, n))
                        + "' contains " + (b[i] == 0 ? "NUL" : "'/'"));
            }
        }
        if (n == 1 && b[0] == '.' || n == 2 && b[0] == '.' && b[1] == '.') {
            throw new ArchiveFormatException(h.offset, "FILENAME '" + str(Arrays.copyOf(b, n)) + "' is not allowed");
        }
        return Arrays.copyOf(b, n);
    }

    private void readGoodbye(Header h, Node dir) throws IOException {
        int item = CatarFormat.GOODBYE_ITEM_SIZE;
        if (h.size < CatarFormat.HEADER_SIZE + item || (h.size - CatarFormat.HEADER_SIZE - item) % item != 0) {
            throw new ArchiveFormatException(h.offset, "GOODBYE record of " + Long.toUnsignedString(h.size)
                    + " bytes (must be 40 + 24 n)");
        }
        long items = (h.size - CatarFormat.HEADER_SIZE - item) / item;
        if (items != dir.children) {
            throw new ArchiveFormatException(h.offset, "GOODBYE of '" + dir.pathString() + "' has " + items
                    + " items for " + dir.children + " children");
        }
        skipBytes(items * item);
        byte[] tail = new byte[item];
        readFully(tail, 0, item);
        long entryOffset = le64(tail, 0);
        long size = le64(tail, 8);
        long marker = le64(tail, 16);
        if (marker != CatarFormat.GOODBYE_TAIL_MARKER) {
            throw new ArchiveFormatException(h.offset, String.format("GOODBYE tail marker 0x%016x (must be 0x%016x)",
                    marker, CatarFormat.GOODBYE_TAIL_MARKER));
        }
        if (size != h.size) {
            throw new ArchiveFormatException(h.offset, "GOODBYE tail size " + Long.toUnsignedString(size)
                    + " differs from the record size " + h.size);
        }
        if (entryOffset != h.offset - dir.offset) {
            throw new ArchiveFormatException(h.offset, "GOODBYE entry offset " + Long.toUnsignedString(entryOffset)
                    + " does not point at the directory's ENTRY (distance " + (h.offset - dir.offset) + ")");
        }
    }

    private ArchiveFormatException order(Header h, String what) {
        return new ArchiveFormatException(h.offset, "records out of order: " + what);
    }

    private static void limit(Header h, long min, long max) throws ArchiveFormatException {
        if (Long.compareUnsigned(h.size, min) < 0 || Long.compareUnsigned(h.size, max) > 0) {
            throw new ArchiveFormatException(h.offset, typeName(h.type) + " record of "
                    + Long.toUnsignedString(h.size) + " bytes (allowed: " + min + (min == max ? "" : ".." + max) + ")");
        }
    }

    private static void writeRecord(ByteArrayOutputStream meta, Header h, byte[] body) {
        byte[] hdr = new byte[16];
        putLe64(hdr, 0, h.size);
        putLe64(hdr, 8, h.type);
        meta.writeBytes(hdr);
        meta.writeBytes(body);
    }

    // ---------------------------------------------------------------- bytes

    /** The next record header, consumed (passed to the tap). */
    private Header readHeader() throws IOException {
        Header h = readHeaderUntapped();
        if (tap != null) {
            tap.accept(h.raw, 0, h.raw.length);
        }
        return h;
    }

    /**
     * The next record header, not yet passed to the tap: a header that ends a node's metadata (FILENAME, GOODBYE)
     * is kept in {@link #peeked} and belongs to what comes after the node's ENTRY event.
     */
    private Header readHeaderUntapped() throws IOException {
        if (peeked != null) {
            Header h = peeked;
            peeked = null;
            return h;
        }
        long at = pos;
        byte[] b = new byte[16];
        int got = 0;
        Tap saved = tap;
        tap = null;
        try {
            while (got < 16) {
                int k = readSomeOrEof(b, got, 16 - got);
                if (k < 0) {
                    throw new ArchiveFormatException(at, got == 0 ? "archive truncated: missing record"
                            : "archive truncated inside a record header");
                }
                got += k;
            }
        } finally {
            tap = saved;
        }
        long size = le64(b, 0);
        long type = le64(b, 8);
        if (Long.compareUnsigned(size, CatarFormat.HEADER_SIZE) < 0 || size == -1L) {
            throw new ArchiveFormatException(at, "record size " + Long.toUnsignedString(size) + " of "
                    + typeName(type) + " is invalid");
        }
        if (size < 0) {
            throw new ArchiveFormatException(at, "record size " + Long.toUnsignedString(size) + " of "
                    + typeName(type) + " is absurd");
        }
        return new Header(at, size, type, b);
    }

    /** The body of a record whose size was already checked against its limit. */
    private byte[] readBody(Header h) throws IOException {
        byte[] b = new byte[(int) (h.size - CatarFormat.HEADER_SIZE)];
        readFully(b, 0, b.length);
        return b;
    }

    private void readFully(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int k = readSome(b, off, len);
            off += k;
            len -= k;
        }
    }

    private int readSome(byte[] b, int off, int len) throws IOException {
        int k = readSomeOrEof(b, off, len);
        if (k < 0) {
            throw new ArchiveFormatException(pos, "archive truncated");
        }
        return k;
    }

    private int readSomeOrEof(byte[] b, int off, int len) throws IOException {
        if (bpos == blen) {
            int k = in.read(buf, 0, buf.length);
            if (k <= 0) {
                if (k == 0) {
                    throw new IOException("read returned 0 bytes");
                }
                return -1;
            }
            bpos = 0;
            blen = k;
        }
        int k = Math.min(len, blen - bpos);
        System.arraycopy(buf, bpos, b, off, k);
        if (tap != null) {
            tap.accept(buf, bpos, k);
        }
        bpos += k;
        pos += k;
        return k;
    }

    private void skipBytes(long n) throws IOException {
        while (n > 0) {
            if (bpos == blen) {
                int k = in.read(buf, 0, buf.length);
                if (k <= 0) {
                    throw new ArchiveFormatException(pos, "archive truncated");
                }
                bpos = 0;
                blen = k;
            }
            int k = (int) Math.min(n, blen - bpos);
            if (tap != null) {
                tap.accept(buf, bpos, k);
            }
            bpos += k;
            pos += k;
            n -= k;
        }
    }

    private void skipPayload() throws IOException {
        skipBytes(payloadLeft);
        payloadLeft = 0;
        payloadGeneration++;
    }

    static long le64(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xffL);
        }
        return v;
    }

    static void putLe64(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    private static int indexOf(byte[] b, int c, int end) {
        for (int i = 0; i < end; i++) {
            if (b[i] == (byte) c) {
                return i;
            }
        }
        return -1;
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The record type's name, or its hex value. */
    static String typeName(long t) {
        if (t == CatarFormat.ENTRY) {
            return "ENTRY";
        } else if (t == CatarFormat.USER) {
            return "USER";
        } else if (t == CatarFormat.GROUP) {
            return "GROUP";
        } else if (t == CatarFormat.XATTR) {
            return "XATTR";
        } else if (t == CatarFormat.ACL_USER) {
            return "ACL_USER";
        } else if (t == CatarFormat.ACL_GROUP) {
            return "ACL_GROUP";
        } else if (t == CatarFormat.ACL_GROUP_OBJ) {
            return "ACL_GROUP_OBJ";
        } else if (t == CatarFormat.ACL_DEFAULT) {
            return "ACL_DEFAULT";
        } else if (t == CatarFormat.ACL_DEFAULT_USER) {
            return "ACL_DEFAULT_USER";
        } else if (t == CatarFormat.ACL_DEFAULT_GROUP) {
            return "ACL_DEFAULT_GROUP";
        } else if (t == CatarFormat.SELINUX) {
            return "SELINUX";
        } else if (t == CatarFormat.FCAPS) {
            return "FCAPS";
        } else if (t == CatarFormat.QUOTA_PROJID) {
            return "QUOTA_PROJID";
        } else if (t == CatarFormat.SYMLINK) {
            return "SYMLINK";
        } else if (t == CatarFormat.DEVICE) {
            return "DEVICE";
        } else if (t == CatarFormat.PAYLOAD) {
            return "PAYLOAD";
        } else if (t == CatarFormat.FILENAME) {
            return "FILENAME";
        } else if (t == CatarFormat.GOODBYE) {
            return "GOODBYE";
        }
        return String.format("0x%016x", t);
    }
}
