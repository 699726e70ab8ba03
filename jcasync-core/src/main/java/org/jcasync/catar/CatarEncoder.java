package org.jcasync.catar;

import org.jcasync.catar.CatarEntry.AclRecord;
import org.jcasync.format.FeatureFlags;
import org.jcasync.format.XattrNames;
import org.jcasync.internal.fs.FileAttributes;
import org.jcasync.internal.fs.FileSystems;
import org.jcasync.internal.fs.Posix;
import org.jcasync.internal.fs.UserDb;
import org.jcasync.internal.fs.Xattrs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import static org.jcasync.format.FileMode.S_IFMT;
import static org.jcasync.format.FileMode.S_IFSOCK;
import static org.jcasync.format.FileMode.S_IFLNK;
import static org.jcasync.format.FileMode.S_IFREG;
import static org.jcasync.format.FileMode.S_IFBLK;
import static org.jcasync.format.FileMode.S_IFDIR;
import static org.jcasync.format.FileMode.S_IFCHR;
import static org.jcasync.format.FileMode.S_IFIFO;
import static org.jcasync.format.FeatureFlags.WITH_SYMLINKS;
import static org.jcasync.format.FeatureFlags.WITH_DEVICE_NODES;
import static org.jcasync.format.FeatureFlags.WITH_FIFOS;
import static org.jcasync.format.FeatureFlags.WITH_SOCKETS;
import static org.jcasync.format.FeatureFlags.WITH_FAT_ATTRS;
import static org.jcasync.format.FeatureFlags.WITH_CHATTR;
import static org.jcasync.format.FeatureFlags.WITH_XATTRS;
import static org.jcasync.format.FeatureFlags.WITH_SELINUX;
import static org.jcasync.format.FeatureFlags.WITH_FCAPS;
import static org.jcasync.format.FeatureFlags.WITH_QUOTA_PROJID;
import static org.jcasync.format.FeatureFlags.NUMERIC_IDS;

/**
 * Serializes a directory tree as casync's catar stream, byte for byte what {@code casync make x.catar DIR} writes
 * (casync 2+20201210 {@code src/caencoder.c}).
 *
 * <p>The tree is walked depth first; children are sorted by the raw bytes of their names ({@code strcmp}); file
 * contents are streamed. Only the listing of the directories on the current path and their GOODBYE items are held
 * in memory. Metadata that cannot be encoded exactly yet (names that are not valid in the file-name charset,
 * xattrs of special files) makes {@link #encode} fail with an {@link IOException} naming the file, rather than write
 * different bytes than casync.
 *
 * <p>FAT attributes (hidden, system, archive) are read with {@code FAT_IOCTL_GET_ATTRIBUTES} from regular files and
 * directories on FAT and FUSE file systems (0 where the ioctl is not supported, 0 elsewhere); a directory that is the
 * root of a btrfs subvolume (inode 256 on btrfs) is marked as one, and as read-only from
 * {@code BTRFS_IOC_SUBVOL_GETFLAGS}: both only as far as the feature flags include them, as casync.
 *
 * <p>{@code .caexclude} files are honoured as casync does ({@link ExcludeMatcher}), and, like casync 2+20201210, even
 * without {@link FeatureFlags#EXCLUDE_FILE} ({@code --exclude-file=no} only clears the recorded bit there; the
 * encoder check came in later upstream). SELinux labels are the {@code security.selinux} xattr up to its first NUL,
 * for every kind of file, as libselinux's {@code lgetfilecon} reports it without label translation.
 */
public final class CatarEncoder {

    /** Virtual API file systems whose contents casync does not archive. */
    private static final long[] API_FS = {0x42494e4dL, 0x63677270L, 0x27e0ebL, 0x62656570L, 0x64626720L, 0x1cd1L,
        0xde5e81e4L, 0x65735543L, 0x958458f6L, 0x19800202L, 0x6e667364L, 0x9fa0L, 0x6165676cL, 0x67596969L,
        0x73636673L, 0xf97cff8cL, 0x43415d53L, 0x62656572L};

    private static final String ATTRS = "unix:mode,uid,gid,rdev,dev,ino,size,lastModifiedTime";
    private static final byte[] FCAPS_NAME = XattrNames.CAPABILITY.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SELINUX_NAME = XattrNames.SELINUX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EXCLUDE_FILE_NAME = ExcludeMatcher.FILE_NAME.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ACL_ACCESS = XattrNames.ACL_ACCESS.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ACL_DEFAULT = XattrNames.ACL_DEFAULT.getBytes(StandardCharsets.US_ASCII);

    private final long flags;
    private final long granularity;
    private long uidShift;
    private long uidRange;
    private final Map<Integer, byte[]> userNames = new HashMap<>();
    private final Map<Integer, byte[]> groupNames = new HashMap<>();
    private static final byte[] NONE = new byte[0];

    private Out out;
    private PayloadListener payloadListener;

    /** Told where each file's payload lies in the stream, before its bytes are written. */
    @FunctionalInterface
    public interface PayloadListener {
        /** The payload of {@code file} ({@code size} bytes) starts at stream offset {@code streamOffset}. */
        void payload(Path file, long streamOffset, long size);
    }

    /** Sets the receiver of payload positions (used by tree seeds to read chunks back from the files). */
    public CatarEncoder onPayload(PayloadListener l) {
        this.payloadListener = l;
        return this;
    }

    /** An encoder writing {@code flags} (normalized first) into every ENTRY. */
    public CatarEncoder(long flags) {
        this.flags = FeatureFlags.normalize(flags);
        if ((this.flags & FeatureFlags.WITH_NSEC_TIME) != 0) {
            granularity = 1;
        } else if ((this.flags & FeatureFlags.WITH_USEC_TIME) != 0) {
            granularity = 1000;
        } else if ((this.flags & FeatureFlags.WITH_SEC_TIME) != 0) {
            granularity = 1_000_000_000L;
        } else if ((this.flags & FeatureFlags.WITH_2SEC_TIME) != 0) {
            granularity = 2_000_000_000L;
        } else {
            granularity = 0;
        }
    }

    /** The normalized flag word written into every ENTRY. */
    public long flags() {
        return flags;
    }

    /** Stores uid/gid {@code id} as {@code (id - shift) % range} ({@code --uid-shift}, {@code --uid-range}). */
    public CatarEncoder uidMapping(long shift, long range) {
        this.uidShift = shift;
        this.uidRange = range;
        return this;
    }

    /**
     * Writes the catar stream of the directory {@code root} to {@code sink} (not closed; flushed at the end).
     *
     * @return the number of bytes written
     */
    public long encode(Path root, OutputStream sink) throws IOException {
        Map<String, Object> a = Files.readAttributes(root, ATTRS);
        Node n = new Node(root, a);
        if (n.type() != S_IFDIR) {
            throw new FileSystemException(root.toString(), null, "not a directory");
        }
        out = new Out(sink);
        try {
            n.fd = Posix.open(root.toAbsolutePath(), true);
            n.magic = FileSystems.magic(n.fd, root.toString());
            encodeNode(n, 0);
            out.flush();
            return out.pos;
        } finally {
            n.close();
            out = null;
        }
    }

    /** One file on the current path. */
    private static final class Node {
        final Path path;
        final int mode;
        final int uid;
        final int gid;
        final long rdev;
        final long dev;
        final long ino;
        final long size;
        final FileTime mtime;
        int fd = -1;
        long magic;
        int chattr = -1;
        long mountId = -2;
        /** The .caexclude rules for the entries of this directory (inherited, plus its own file once read). */
        ExcludeMatcher exclude = ExcludeMatcher.NONE;
        /** A directory with a .caexclude entry not read yet (read when the first child is tested). */
        boolean excludeFilePending;

        Node(Path path, Map<String, Object> a) {
            this.path = path;
            this.mode = (Integer) a.get("mode");
            this.uid = (Integer) a.get("uid");
            this.gid = (Integer) a.get("gid");
            this.rdev = (Long) a.get("rdev");
            this.dev = (Long) a.get("dev");
            this.ino = (Long) a.get("ino");
            this.size = (Long) a.get("size");
            this.mtime = (FileTime) a.get("lastModifiedTime");
        }

        int type() {
            return mode & S_IFMT;
        }

        boolean regOrDir() {
            return type() == S_IFREG || type() == S_IFDIR;
        }

        void close() {
            if (fd >= 0) {
                Posix.close(fd);
                fd = -1;
            }
        }
    }

    private void encodeNode(Node n, int depth) throws IOException {
        long entryStart = out.pos;
        writeEntry(n);
        switch (n.type()) {
            case S_IFREG -> writePayload(n);
            case S_IFLNK -> {
                byte[] target = nameBytes(n.path, Files.readSymbolicLink(n.path).toString());
                out.header(CatarFormat.HEADER_SIZE + target.length + 1L, CatarFormat.SYMLINK);
                out.write(target);
                out.write(0);
            }
            case S_IFBLK, S_IFCHR -> {
                long d = n.rdev;
                long major = ((d >>> 8) & 0xfff) | ((d >>> 32) & ~0xfffL);
                long minor = (d & 0xff) | ((d >>> 12) & ~0xffL);
                out.header(CatarFormat.DEVICE_SIZE, CatarFormat.DEVICE);
                out.le64(major);
                out.le64(minor);
            }
            case S_IFDIR -> writeDirectory(n, entryStart, depth);
            default -> {
                // fifos and sockets: the ENTRY says it all
            }
        }
    }

    private void writeDirectory(Node dir, long entryStart, int depth) throws IOException {
        GoodbyeTable table = new GoodbyeTable();
        if (enumerate(dir)) {
            List<byte[]> names = new ArrayList<>();
            Map<byte[], String> strings = new IdentityHashMap<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.path)) {
                for (Path p : ds) {
                    String s = p.getFileName().toString();
                    byte[] b = nameBytes(p, s);
                    names.add(b);
                    strings.put(b, s);
                }
            }
            names.sort(Arrays::compareUnsigned);
            dir.excludeFilePending = Collections.binarySearch(names, EXCLUDE_FILE_NAME, Arrays::compareUnsigned) >= 0;
            for (byte[] name : names) {
                if (depth + 1 >= CatarFormat.NODES_MAX) {
                    throw new FileSystemException(dir.path.toString(), null,
                            "directory tree too deep (more than " + CatarFormat.NODES_MAX + " levels)");
                }
                Path p = dir.path.resolve(strings.get(name));
                Node child = new Node(p, Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS));
                try {
                    if (child.regOrDir()) {
                        child.fd = Posix.open(p, child.type() == S_IFDIR);
                        child.magic = child.dev == dir.dev ? dir.magic : FileSystems.magic(child.fd, p.toString());
                    } else {
                        child.magic = dir.magic;
                    }
                    if (!shallStore(dir, child, name)) {
                        continue;
                    }
                    long start = out.pos;
                    out.header(CatarFormat.HEADER_SIZE + name.length + 1L, CatarFormat.FILENAME);
                    out.write(name);
                    out.write(0);
                    encodeNode(child, depth + 1);
                    table.add(start, out.pos, SipHash24.goodbyeHash(name));
                } finally {
                    child.close();
                }
            }
        }
        out.write(table.record(entryStart, out.pos));
    }

    private boolean shallStore(Node dir, Node child, byte[] name) throws IOException {
        int t = child.type();
        if ((flags & WITH_SYMLINKS) == 0 && t == S_IFLNK
                || (flags & WITH_DEVICE_NODES) == 0 && (t == S_IFBLK || t == S_IFCHR)
                || (flags & WITH_FIFOS) == 0 && t == S_IFIFO
                || (flags & WITH_SOCKETS) == 0 && t == S_IFSOCK) {
            return false;
        }
        if ((flags & FeatureFlags.EXCLUDE_NODUMP) != 0 && (chattr(child) & FileAttributes.FS_NODUMP_FL) != 0) {
            return false;
        }
        if ((flags & FeatureFlags.EXCLUDE_SUBMOUNTS) != 0) {
            long a = mountId(dir);
            long b = mountId(child);
            if (a >= 0 && b >= 0 && a != b) {
                return false;
            }
        }
        // .caexclude: casync 2+20201210 reads it whatever EXCLUDE_FILE says, when the first child gets this far
        if (dir.excludeFilePending) {
            dir.excludeFilePending = false;
            dir.exclude = dir.exclude.with(readExcludeFile(dir.path.resolve(ExcludeMatcher.FILE_NAME)));
        }
        ExcludeMatcher.Verdict v = dir.exclude.test(name, t == S_IFDIR);
        if (v.excluded()) {
            return false;
        }
        child.exclude = v.below();
        return true;
    }

    /**
     * The rules of a .caexclude file. casync opens it following symlinks, {@code O_NONBLOCK} (a fifo without a
     * writer reads as empty) and fails on anything unreadable.
     */
    private static ExcludeMatcher readExcludeFile(Path file) throws IOException {
        int type = (Integer) Files.getAttribute(file, "unix:mode") & S_IFMT;
        if (type == S_IFDIR) {
            throw new FileSystemException(file.toString(), null, "Is a directory");
        }
        if (type == S_IFSOCK) {
            throw new FileSystemException(file.toString(), null, "No such device or address");
        }
        if (type == S_IFIFO) {
            return ExcludeMatcher.NONE;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return ExcludeMatcher.parse(in);
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) {
            throw new FileSystemException(file.toString(), null, "invalid .caexclude file: " + e.getMessage());
        }
    }

    private int chattr(Node n) throws IOException {
        if (!n.regOrDir() || (flags & (WITH_CHATTR | FeatureFlags.EXCLUDE_NODUMP)) == 0) {
            return 0;
        }
        if (n.chattr < 0) {
            n.chattr = FileAttributes.chattrFlags(n.fd, n.path.toString()) & 0x7fffffff;
        }
        return n.chattr;
    }

    private static long mountId(Node n) throws IOException {
        if (n.fd < 0) {
            return -1;
        }
        if (n.mountId == -2) {
            n.mountId = -1;
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + n.fd))) {
                if (line.startsWith("mnt_id:")) {
                    n.mountId = Long.parseLong(line.substring(7).strip());
                    break;
                }
            }
        }
        return n.mountId;
    }

    private static boolean enumerate(Node n) {
        if (!n.regOrDir()) {
            return false;
        }
        for (long m : API_FS) {
            if (n.magic == m) {
                return false;
            }
        }
        return true;
    }

    private void writeEntry(Node n) throws IOException {
        int t = n.type();
        boolean regOrDir = n.regOrDir();
        int chattr = chattr(n);
        int fatAttrs = 0;
        if ((flags & WITH_FAT_ATTRS) != 0 && regOrDir
                && (n.magic == FileSystems.MSDOS_SUPER_MAGIC || n.magic == FileSystems.FUSE_SUPER_MAGIC)) {
            fatAttrs = FileAttributes.fatAttributes(n.fd, n.path.toString());
        }
        long subvolume = 0;
        if ((flags & FeatureFlags.WITH_SUBVOLUME) != 0 && t == S_IFDIR && n.magic == FileSystems.BTRFS_SUPER_MAGIC
                && n.ino == FileSystems.BTRFS_SUBVOLUME_ROOT_INO) {
            boolean readOnly = (FileSystems.subvolumeFlags(n.fd, n.path.toString())
                    & FileSystems.BTRFS_SUBVOL_RDONLY) != 0;
            subvolume = FeatureFlags.WITH_SUBVOLUME | (readOnly ? FeatureFlags.WITH_SUBVOLUME_RO : 0);
        }
        List<byte[][]> xattrs = new ArrayList<>();
        byte[] fcaps = null;
        byte[] selinux = null;
        byte[] aclAccess = null;
        byte[] aclDefault = null;
        if ((flags & (WITH_XATTRS | WITH_FCAPS | WITH_SELINUX | FeatureFlags.WITH_ACL)) != 0) {
            for (byte[] name : Xattrs.list(n.path)) {
                boolean fc = t == S_IFREG && Arrays.equals(name, FCAPS_NAME);
                if ((flags & WITH_SELINUX) != 0 && Arrays.equals(name, SELINUX_NAME)) {
                    selinux = XattrNames.selinuxLabel(Xattrs.get(n.path, name));
                    continue;
                }
                if (t == S_IFLNK) {
                    continue; // casync stores no xattrs or ACLs of symlinks
                }
                if ((flags & FeatureFlags.WITH_ACL) != 0) {
                    // A file without the xattr has the minimal ACL its mode expresses, which casync stores nothing
                    // for; a default ACL only counts on directories (as libacl's acl_get_file reads it).
                    if (Arrays.equals(name, ACL_ACCESS)) {
                        aclAccess = Xattrs.get(n.path, name);
                        continue;
                    }
                    if (Arrays.equals(name, ACL_DEFAULT)) {
                        aclDefault = t == S_IFDIR ? Xattrs.get(n.path, name) : null;
                        continue;
                    }
                }
                if ((flags & (WITH_XATTRS | WITH_FCAPS)) == 0 || !(XattrNames.isStored(name) || fc)) {
                    continue;
                }
                if (!regOrDir) {
                    // casync reads these through an O_PATH descriptor, which the kernel may refuse: not exact yet
                    unsupported(n, "extended attributes on special files");
                }
                byte[] value = Xattrs.get(n.path, name);
                if (value == null) {
                    continue;
                }
                if (fc) {
                    fcaps = value;
                } else {
                    xattrs.add(new byte[][] {name, value});
                }
            }
            xattrs.sort((x, y) -> Arrays.compareUnsigned(x[0], y[0]));
        }
        List<AclRecord> acl = List.of();
        if (aclAccess != null || aclDefault != null) {
            try {
                acl = PosixAcl.toRecords(aclAccess, aclDefault, (id, user) -> aclQualifier(n, id, user));
            } catch (FileSystemException e) {
                throw e;
            } catch (IOException e) {
                throw new FileSystemException(n.path.toString(), null, e.getMessage());
            }
        }
        byte[] user = null;
        byte[] group = null;
        if ((flags & FeatureFlags.WITH_USER_NAMES) != 0) {
            user = name(n, n.uid, true);
            group = name(n, n.gid, false);
        }
        long projid = 0;
        if ((flags & WITH_QUOTA_PROJID) != 0 && regOrDir && (n.magic == FileSystems.EXT4_SUPER_MAGIC
                || n.magic == FileSystems.XFS_SUPER_MAGIC || n.magic == FileSystems.FUSE_SUPER_MAGIC)) {
            projid = Math.max(0, FileAttributes.projectId(n.fd, n.path.toString())); // casync: 0 where unsupported
        }
        long uid = 0;
        long gid = 0;
        if ((flags & NUMERIC_IDS) != 0) {
            uid = shift(n, n.uid);
            gid = shift(n, n.gid);
            if ((flags & FeatureFlags.WITH_16BIT_UIDS) != 0 && (uid > 0xffff || gid > 0xffff)) {
                throw new FileSystemException(n.path.toString(), null,
                        "uid/gid does not fit 16 bits (use --with=32bit-uids)");
            }
        }
        long eflags = 0;
        if (regOrDir && (flags & WITH_CHATTR) != 0) {
            eflags = FeatureFlags.fromChattr(chattr) & flags;
        }
        if (regOrDir) {
            eflags |= FeatureFlags.fromFatAttrs(fatAttrs) & flags;
        }
        eflags |= subvolume & flags;
        out.header(CatarFormat.ENTRY_SIZE, CatarFormat.ENTRY);
        out.le64(flags);
        out.le64(mode(n));
        out.le64(eflags);
        out.le64(uid);
        out.le64(gid);
        out.le64(mtime(n));
        if (user != null) {
            out.header(CatarFormat.HEADER_SIZE + user.length + 1L, CatarFormat.USER);
            out.write(user);
            out.write(0);
        }
        if (group != null) {
            out.header(CatarFormat.HEADER_SIZE + group.length + 1L, CatarFormat.GROUP);
            out.write(group);
            out.write(0);
        }
        if ((flags & WITH_XATTRS) != 0) {
            for (byte[][] x : xattrs) {
                out.header(CatarFormat.HEADER_SIZE + x[0].length + 1L + x[1].length, CatarFormat.XATTR);
                out.write(x[0]);
                out.write(0);
                out.write(x[1]);
            }
        }
        for (AclRecord r : acl) {
            out.header(CatarFormat.HEADER_SIZE + r.body().length, r.type());
            out.write(r.body());
        }
        if (selinux != null) { // after the ACL records, before FCAPS
            out.header(CatarFormat.HEADER_SIZE + selinux.length + 1L, CatarFormat.SELINUX);
            out.write(selinux);
            out.write(0);
        }
        if (fcaps != null && (flags & WITH_FCAPS) != 0) {
            out.header(CatarFormat.HEADER_SIZE + fcaps.length, CatarFormat.FCAPS);
            out.write(fcaps);
        }
        if (projid != 0) {
            out.header(CatarFormat.QUOTA_PROJID_SIZE, CatarFormat.QUOTA_PROJID);
            out.le64(projid);
        }
    }

    private long mode(Node n) {
        int m = n.mode;
        int t = m & S_IFMT;
        if (t == S_IFLNK) {
            return S_IFLNK | 0777;
        }
        if ((flags & (FeatureFlags.WITH_PERMISSIONS | FeatureFlags.WITH_ACL)) != 0) {
            return m & (S_IFMT | 07777);
        }
        boolean dir = t == S_IFDIR;
        if ((flags & FeatureFlags.WITH_READ_ONLY) != 0) {
            return t | ((m & 0222) != 0 ? (dir ? 0777 : 0666) : (dir ? 0555 : 0444));
        }
        return t | (dir ? 0777 : 0666);
    }

    private long mtime(Node n) throws IOException {
        if (granularity == 0) {
            return 0;
        }
        Instant i = n.mtime.toInstant();
        long sec = i.getEpochSecond();
        long nsec = i.getNano();
        if (sec < -9_000_000_000L || sec > 9_000_000_000L) {
            long[] t = Posix.mtime(n.path); // beyond 1677..2262 java.nio rounds to microseconds
            sec = t[0];
            nsec = t[1];
        }
        long ns = sec * 1_000_000_000L + nsec; // wraps as casync's uint64 arithmetic
        return Long.divideUnsigned(ns, granularity) * granularity;
    }

    private static boolean validId(long id) {
        return id != 0xffffffffL && id != 0xffffL;
    }

    private long shift(Node n, int id) throws IOException {
        long v = id & 0xffffffffL;
        if (!validId(v) || v < uidShift) {
            throw new FileSystemException(n.path.toString(), null, "invalid uid/gid " + v);
        }
        long r = v - uidShift;
        if (uidRange != 0) {
            r %= uidRange;
        }
        if (!validId(r)) {
            throw new FileSystemException(n.path.toString(), null, "invalid uid/gid " + v);
        }
        return r;
    }

    /** casync's uid_to_name/gid_to_name: null for root and (with numeric ids) for ids without a name. */
    private byte[] name(Node n, int id, boolean user) throws IOException {
        long v = id & 0xffffffffL;
        if (user && !validId(v)) {
            throw new FileSystemException(n.path.toString(), null, "invalid uid " + v);
        }
        if (id == 0) {
            return null;
        }
        Map<Integer, byte[]> cache = user ? userNames : groupNames;
        byte[] name = cache.get(id);
        if (name == null) {
            name = user ? UserDb.userName(id) : UserDb.groupName(id);
            cache.put(id, name == null ? NONE : name);
        }
        if (name != NONE && name != null) {
            return name;
        }
        if ((flags & NUMERIC_IDS) != 0) {
            return null;
        }
        return Long.toString(shift(n, id)).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * What casync stores for the uid/gid of a named ACL entry ({@code ca_encoder_node_process_acl}): the shifted id
     * when the archive has numeric ids (else 0) and, with user names, the name ({@link #name} rules).
     */
    private PosixAcl.Qualifier aclQualifier(Node n, long id, boolean user) throws IOException {
        if (!validId(id)) {
            throw new FileSystemException(n.path.toString(), null, "invalid " + (user ? "uid " : "gid ") + id
                    + " in POSIX ACL");
        }
        long shifted = shift(n, (int) id);
        if ((flags & FeatureFlags.WITH_16BIT_UIDS) != 0 && shifted > 0xffff) {
            throw new FileSystemException(n.path.toString(), null,
                    "uid/gid in POSIX ACL does not fit 16 bits (use --with=32bit-uids)");
        }
        byte[] name = (flags & FeatureFlags.WITH_USER_NAMES) != 0 ? name(n, (int) id, user) : null;
        return new PosixAcl.Qualifier((flags & NUMERIC_IDS) != 0 ? shifted : 0, name);
    }

    private void writePayload(Node n) throws IOException {
        long size = enumerate(n) ? n.size : 0;
        out.header(CatarFormat.HEADER_SIZE + size, CatarFormat.PAYLOAD);
        if (size == 0) {
            return;
        }
        if (payloadListener != null) {
            payloadListener.payload(n.path, out.pos, size);
        }
        try (FileChannel ch = FileChannel.open(n.path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long left = size;
            ByteBuffer buf = out.payloadBuffer();
            while (left > 0) {
                buf.clear();
                if (buf.capacity() > left) {
                    buf.limit((int) left);
                }
                int r = ch.read(buf);
                if (r < 0) {
                    throw new FileSystemException(n.path.toString(), null,
                            "file shrank while being archived (input/output error)");
                }
                out.write(buf.array(), 0, r);
                left -= r;
            }
        }
    }

    private static void unsupported(Node n, String what) throws IOException {
        throw new FileSystemException(n.path.toString(), null, what + " cannot be archived yet");
    }

    /** The bytes of a file name or link target; refuses names the file-name charset could not decode. */
    private static byte[] nameBytes(Path p, String s) throws IOException {
        if (s.indexOf('\uFFFD') >= 0) {
            throw new FileSystemException(p.toString(), null,
                    "name is not valid " + Posix.pathCharset() + " and cannot be archived exactly yet");
        }
        return s.getBytes(Posix.pathCharset());
    }

    /** A buffered sink that counts its position. */
    private static final class Out {
        private final OutputStream sink;
        private final byte[] buf = new byte[1 << 18];
        private final ByteBuffer payload = ByteBuffer.allocate(1 << 18);
        private int n;
        long pos;

        Out(OutputStream sink) {
            this.sink = sink;
        }

        ByteBuffer payloadBuffer() {
            return payload;
        }

        void header(long size, long type) throws IOException {
            le64(size);
            le64(type);
        }

        void le64(long v) throws IOException {
            if (buf.length - n < 8) {
                drain();
            }
            for (int i = 0; i < 8; i++) {
                buf[n++] = (byte) (v >>> (8 * i));
            }
            pos += 8;
        }

        void write(int b) throws IOException {
            if (n == buf.length) {
                drain();
            }
            buf[n++] = (byte) b;
            pos++;
        }

        void write(byte[] b) throws IOException {
            write(b, 0, b.length);
        }

        void write(byte[] b, int off, int len) throws IOException {
            if (len >= buf.length) {
                drain();
                sink.write(b, off, len);
            } else {
                if (buf.length - n < len) {
                    drain();
                }
                System.arraycopy(b, off, buf, n, len);
                n += len;
            }
            pos += len;
        }

        private void drain() throws IOException {
            if (n > 0) {
                sink.write(buf, 0, n);
                n = 0;
            }
        }

        void flush() throws IOException {
            drain();
            sink.flush();
        }
    }
}
