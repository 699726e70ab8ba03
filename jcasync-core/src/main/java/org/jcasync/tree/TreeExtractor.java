package org.jcasync.tree;

import org.jcasync.catar.ArchiveFormatException;
import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarDecoder.Event;
import org.jcasync.catar.CatarDecoder.Kind;
import org.jcasync.catar.CatarDecoder.Node;
import org.jcasync.catar.PosixAcl;
import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.FileMeta;
import org.jcasync.internal.fs.Posix;
import org.jcasync.internal.fs.Posix.Stat;
import org.jcasync.io.TempFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.jcasync.internal.fs.Posix.O_CREAT;
import static org.jcasync.internal.fs.Posix.O_DIRECTORY;
import static org.jcasync.internal.fs.Posix.O_EXCL;
import static org.jcasync.internal.fs.Posix.O_NOCTTY;
import static org.jcasync.internal.fs.Posix.O_NOFOLLOW;
import static org.jcasync.internal.fs.Posix.O_NONBLOCK;
import static org.jcasync.internal.fs.Posix.O_RDONLY;
import static org.jcasync.internal.fs.Posix.O_WRONLY;
import static org.jcasync.internal.fs.Posix.S_IFDIR;
import static org.jcasync.internal.fs.Posix.S_IFLNK;
import static org.jcasync.internal.fs.Posix.S_IFREG;

/**
 * Applies a catar stream to a directory, the way {@code casync extract X.catar DIR} does, but touching only what
 * changed.
 *
 * <ul>
 *   <li>Every entry is created at a temporary name ({@code .#NAME<random>}) in its directory, given its metadata,
 *       and renamed over the old one, so a failure at any point leaves each file either old or new. A directory
 *       that replaces something else is built under a temporary name and swapped in with {@code RENAME_EXCHANGE}.
 *   <li>A regular file already present with the same size is compared with the archive's payload as it streams
 *       past; if equal it is kept (only differing metadata is corrected, in place), otherwise the equal prefix is
 *       copied ({@code copy_file_range}, which shares extents where the file system can) and the rest written.
 *       Seed directories ({@code --seed}) are used the same way for files at the same relative path; a seed file
 *       equal in content and metadata is hard-linked with {@code --hardlink}.
 *   <li>With {@code --delete}, entries the archive does not list are removed once their directory is complete.
 *   <li>Metadata follows casync's decoder ({@code ca_decoder_finalize_child}) and the replay feature flags: owner
 *       (as root), mode, xattrs (user./trusted.), POSIX ACLs, file capabilities, SELinux label, modification time,
 *       chattr flags, project quota id, FAT attributes and btrfs subvolumes ({@link FsSpecificAttributes}).
 * </ul>
 *
 * <p>Safety: names are single components checked again here (no '/', ".", "..", NUL, empty); everything is done
 * relative to directory descriptors opened with {@code O_NOFOLLOW}, so neither a symlink in the archive nor one
 * already in the target can redirect a write outside the target.
 */
public final class TreeExtractor {
    private static final int BUF = 1 << 20;
    private static final int BLOCK = 4096;
    private static final byte[] SELF = new byte[0];
    private static final byte[] FCAPS = bytes("security.capability");
    private static final byte[] SELINUX = bytes("security.selinux");
    private static final byte[] ACL_ACCESS = bytes("system.posix_acl_access");
    private static final byte[] ACL_DEFAULT = bytes("system.posix_acl_default");
    private static final int FS_IMMUTABLE_FL = 0x10;
    private static final int FS_APPEND_FL = 0x20;
    /** chattr flags casync applies to an empty file or directory rather than the finished one. */
    private static final int APPLY_EARLY_FS_FL = 0x800000 /* NOCOW */ | 0x400 /* NOCOMP */ | 0x4 /* COMPR */;

    private final TreeExtractOptions opts;
    private final boolean root = Posix.geteuid() == 0;
    private final TreeExtractStats stats = new TreeExtractStats();
    private final byte[] buf = new byte[BUF];
    private final byte[] cmp = new byte[BUF];
    private long replay;
    private FsSpecificAttributes fsAttributes;
    /**
     * Per seed: whether its files are compared with the archive's at the same path. Only worth it when an equal file
     * can be hard-linked or cloned; otherwise writing the payload costs the same as copying from the seed.
     */
    private boolean[] seedFiles;

    /** An open directory of the target, with what the archive listed in it so far. */
    private static final class Dir {
        final Dir parent;
        final Node node;
        final byte[] name;
        int fd = -1;
        /** Non-null while the directory lives under a temporary name (it replaces a non-directory). */
        byte[] tempName;
        /** Created by this extraction (its metadata is then not counted as an update). */
        boolean created;
        final Set<String> listed = new HashSet<>();
        /** The directory at the same path in each seed, or -1 where the seed has none. */
        final int[] seedFds;
        final String where;
        /** The file-system magic of the directory, -1 until asked for. */
        long magic = -1;

        Dir(Dir parent, Node node, byte[] name, int seeds, String where) {
            this.parent = parent;
            this.node = node;
            this.name = name;
            this.seedFds = new int[seeds];
            Arrays.fill(seedFds, -1);
            this.where = where;
        }
    }

    private final ArrayDeque<Dir> stack = new ArrayDeque<>();
    private final java.util.Map<String, Long> uidByName = new java.util.HashMap<>();
    private final java.util.Map<String, Long> gidByName = new java.util.HashMap<>();
    /** The temporary entry being built, removed if extraction fails before it is installed. */
    private int tempDirFd = -1;
    private byte[] tempName;
    private Path target;

    public TreeExtractor(TreeExtractOptions opts) {
        this.opts = opts;
    }

    /**
     * Extracts the archive {@code decoder} reads into the directory {@code target} (created if missing; its parent
     * must exist).
     */
    public TreeExtractStats extract(CatarDecoder decoder, Path target) throws IOException {
        return extract(decoder, target, null);
    }

    /**
     * Extracts only the entry at {@code subtree} of the archive (its path, components joined by '/'; null for the
     * whole archive), placed in {@code target} under its own name with everything below it, as casync's
     * {@code extract X.caidx DIR PATH}; nothing else in {@code target} is touched.
     */
    public TreeExtractStats extract(CatarDecoder decoder, Path target, byte[] subtree) throws IOException {
        this.target = target;
        boolean ok = false;
        boolean done = false;
        try {
            Event e;
            while (!done && (e = decoder.next()) != null) {
                Node n = e.node();
                if (e.kind() == Kind.ENTRY) {
                    if (stack.isEmpty()) {
                        if (subtree == null && n.depth() == 1) {
                            stats.entries++;
                            openRoot(decoder, n, false);
                        } else if (subtree != null && Arrays.equals(n.path(), subtree)) {
                            // As casync: the entry at PATH is placed in the target under its own name.
                            openRoot(decoder, n, true);
                            stats.entries++;
                            entry(decoder, n);
                            if (!n.isDirectory()) {
                                finishDirectory(stack.pop());
                                done = true;
                            }
                        }
                    } else {
                        stats.entries++;
                        entry(decoder, n);
                    }
                } else if (n.isDirectory() && !stack.isEmpty()) {
                    finishDirectory(stack.pop());
                    if (stack.size() == 1 && stack.peek().node == null) {
                        finishDirectory(stack.pop()); // the holder of an extracted sub-tree
                    }
                    // The root of what is extracted is complete: the rest of the archive is not needed.
                    done = stack.isEmpty();
                }
            }
            if (!done) {
                if (stack.isEmpty() && subtree != null) {
                    throw new IOException("'" + new String(subtree, StandardCharsets.UTF_8)
                            + "' is not in the archive");
                }
                throw new ArchiveFormatException(decoder.position(), stack.isEmpty() ? "archive is empty"
                        : "archive ends inside directory '" + stack.peek().node.pathString() + "'");
            }
            ok = true;
            return stats;
        } finally {
            if (!ok) {
                abandon();
            }
        }
    }

    /**
     * Opens (creating if needed) the target directory. {@code holder}: it only holds the extracted sub-tree and gets
     * no metadata of its own and nothing deleted.
     */
    private void openRoot(CatarDecoder decoder, Node n, boolean holder) throws IOException {
        if (!holder && !n.isDirectory()) {
            throw new ArchiveFormatException(n.offset(), "the archive's root is not a directory");
        }
        replay = FeatureFlags.replay(decoder.featureFlags(), opts.featureMask());
        fsAttributes = new FsSpecificAttributes(replay);
        String path = target.toString();
        int r = Posix.tryMkdirAt(Posix.AT_FDCWD, path.getBytes(FileMeta.pathCharset()), 0777);
        Dir d = new Dir(null, holder ? null : n, SELF, opts.seeds().size(), path);
        seedFiles = new boolean[opts.seeds().size()];
        if (r == 0) {
            stats.directoriesCreated++;
            d.created = true;
        } else if (r != -Posix.EEXIST) {
            throw Posix.error(path, "mkdir", -r);
        }
        d.fd = Posix.openDirectory(path);
        for (int i = 0; i < opts.seeds().size(); i++) {
            String s = opts.seeds().get(i).toString();
            int fd = Posix.tryOpenAt(Posix.AT_FDCWD, s.getBytes(FileMeta.pathCharset()), O_RDONLY | O_DIRECTORY, 0);
            if (fd < 0) {
                throw Posix.error(s, "open seed directory", -fd);
            }
            d.seedFds[i] = fd;
            seedFiles[i] = opts.hardlink() || opts.reflink() && mayClone(fd, d.fd, s);
        }
        stack.push(d);
    }

    private void entry(CatarDecoder decoder, Node n) throws IOException {
        Dir dir = stack.peek();
        byte[] name = n.name();
        checkName(n, name);
        dir.listed.add(key(name));
        String where = where(n);
        int type = n.type();
        if (type == S_IFDIR) {
            enterDirectory(dir, n, name, where);
        } else if (type == S_IFREG) {
            regularFile(dir, n, name, decoder.payload(), where);
        } else {
            special(dir, n, name, where);
        }
    }

    // ---- directories ----

    private void enterDirectory(Dir parent, Node n, byte[] name, String where) throws IOException {
        Dir d = new Dir(parent, n, name, parent.seedFds.length, where);
        stack.push(d);
        int r = fsAttributes.tryMakeDirectory(parent.fd, name, n);
        if (r == 0) {
            stats.directoriesCreated++;
            d.created = true;
        } else if (r != -Posix.EEXIST) {
            throw Posix.error(where, fsAttributes.makeDirectoryCall(n), -r);
        }
        int fd = Posix.tryOpenAt(parent.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY, 0);
        if (fd == -Posix.ENOTDIR || fd == -Posix.ELOOP) {
            // Something else (a file, a symlink) has the name: build the directory aside and swap it in at the end.
            d.tempName = tempName(name);
            r = fsAttributes.tryMakeDirectory(parent.fd, d.tempName, n);
            if (r != 0) {
                throw Posix.error(where, fsAttributes.makeDirectoryCall(n), -r);
            }
            stats.directoriesCreated++;
            d.created = true;
            fd = Posix.tryOpenAt(parent.fd, d.tempName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        }
        if (fd < 0) {
            throw Posix.error(where, "open", -fd);
        }
        d.fd = fd;
        for (int i = 0; i < d.seedFds.length; i++) {
            if (parent.seedFds[i] >= 0) {
                int s = Posix.tryOpenAt(parent.seedFds[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
                d.seedFds[i] = Math.max(s, -1);
            }
        }
        earlyAttributes(d.fd, n, where);
    }

    private void finishDirectory(Dir d) throws IOException {
        try {
            if (d.node == null) {
                return;
            }
            if (opts.delete() && d.tempName == null) {
                for (byte[] name : Posix.list(d.fd, d.where)) {
                    if (!d.listed.contains(key(name))) {
                        removeTree(d.fd, name, d.where + "/" + display(name));
                        stats.deleted++;
                    }
                }
            }
            Stat st = Posix.stat(d.fd, SELF, d.where);
            boolean changed = applyMetadata(d.fd, SELF, d.fd, d.node, st, d.where);
            boolean swapped = d.parent != null && d.tempName != null;
            if (swapped) {
                install(d.parent.fd, d.tempName, d.name, d.where);
            }
            changed |= chattr(d.fd, d.node, d, d.where);
            // Last: a read-only subvolume takes no more changes.
            if (fsAttributes.needsMagic()) {
                changed |= fsAttributes.restoreSubvolume(d.fd, d.node, magic(d), st.ino(), d.where);
            }
            if (swapped || d.created) {
                // Counted in directoriesCreated.
            } else if (changed) {
                stats.metadataUpdated++;
            } else {
                stats.unchanged++;
            }
        } finally {
            Posix.close(d.fd);
            d.fd = -1;
            for (int s : d.seedFds) {
                Posix.close(s);
            }
        }
    }

    // ---- regular files ----

    private void regularFile(Dir dir, Node n, byte[] name, InputStream payload, String where) throws IOException {
        long size = n.payloadSize();
        Stat existing = opts.seedOutput() ? Posix.stat(dir.fd, name, where) : null;
        int sourceFd = -1;
        Dir sourceDir = null;
        int seedIndex = -1;
        if (existing != null && existing.type() == S_IFREG && existing.size() == size) {
            sourceFd = Posix.tryOpenAt(dir.fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
            sourceDir = dir;
        } else {
            for (int i = 0; i < dir.seedFds.length && sourceFd < 0; i++) {
                if (dir.seedFds[i] < 0 || !seedFiles[i]) {
                    continue;
                }
                Stat s = Posix.stat(dir.seedFds[i], name, where);
                if (s != null && s.type() == S_IFREG && s.size() == size) {
                    sourceFd = Posix.tryOpenAt(dir.seedFds[i], name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
                    seedIndex = i;
                }
            }
        }
        int out = -1;
        try {
            long pos = 0;
            long same = 0;
            boolean pending = false;
            if (sourceFd >= 0) {
                // Compare while the payload streams past; stop at the first block that differs.
                while (pos < size) {
                    int want = (int) Math.min(BUF, size - pos);
                    readFully(payload, buf, want, where);
                    if (!equalsAt(sourceFd, pos, want, where)) {
                        pending = true;
                        break;
                    }
                    pos += want;
                }
                same = pos;
                if (pos == size) {
                    keepOrLink(dir, n, name, existing, sourceFd, sourceDir, seedIndex, size, where);
                    return;
                }
            }
            byte[] tmp = tempName(name);
            out = Posix.openAt(dir.fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600, where);
            tempDirFd = dir.fd;
            tempName = tmp;
            earlyAttributes(out, n, where);
            boolean holes = opts.punchHoles();
            if (same > 0) {
                copyPrefix(sourceFd, out, same, where);
                if (seedIndex >= 0) {
                    stats.bytesFromSeeds += same;
                    stats.fromSeed++;
                } else {
                    stats.bytesKept += same;
                }
            }
            if (pending) {
                // buf holds the block at pos that differed (already read from the payload).
                int len = (int) Math.min(BUF, size - pos);
                writeBlock(out, buf, len, holes, where);
                pos += len;
            }
            while (pos < size) {
                int want = (int) Math.min(BUF, size - pos);
                readFully(payload, buf, want, where);
                writeBlock(out, buf, want, holes, where);
                pos += want;
            }
            stats.bytesWritten += size - same;
            Posix.ftruncate(out, size, where);
            installFile(dir, tmp, name, out, n, where);
        } finally {
            Posix.close(out);
            Posix.close(sourceFd);
        }
    }

    /** Gives the finished temporary file {@code out} its metadata and renames it over {@code name}. */
    private void installFile(Dir dir, byte[] tmp, byte[] name, int out, Node n, String where) throws IOException {
        Stat st = Posix.stat(out, SELF, where);
        applyMetadata(dir.fd, tmp, out, n, st, where);
        install(dir.fd, tmp, name, where);
        tempName = null;
        // chattr last: an immutable file could not have been renamed over.
        chattr(out, n, dir, where);
        stats.written++;
    }

    /** The whole content matched {@code sourceFd}: keep the target's file, or link/copy the seed's. */
    private void keepOrLink(Dir dir, Node n, byte[] name, Stat existing, int sourceFd, Dir sourceDir, int seedIndex,
                            long size, String where) throws IOException {
        if (sourceDir != null && existing.nlink() > 1 && !metadataEqual(sourceFd, n, existing, where)) {
            // Fixing metadata in place would change the other hard links too: write a copy instead (as casync,
            // whose files are always new).
            replaceWithCopy(dir, n, name, sourceFd, size, where);
            stats.bytesKept += size;
            return;
        }
        if (sourceDir != null) {
            boolean changed = applyMetadata(dir.fd, name, sourceFd, n, existing, where);
            changed |= chattrReopen(dir, name, n, where);
            stats.bytesKept += size;
            if (changed) {
                stats.metadataUpdated++;
            } else {
                stats.unchanged++;
            }
            return;
        }
        int seedDir = dir.seedFds[seedIndex];
        Stat seedStat = Posix.stat(sourceFd, SELF, where);
        byte[] tmp = tempName(name);
        if (opts.hardlink() && metadataEqual(sourceFd, n, seedStat, where)
                && Posix.tryLinkAt(seedDir, name, dir.fd, tmp) == 0) {
            tempDirFd = dir.fd;
            tempName = tmp;
            install(dir.fd, tmp, name, where);
            tempName = null;
            stats.hardlinked++;
            stats.written++;
            stats.fromSeed++;
            stats.bytesFromSeeds += size;
            return;
        }
        replaceWithCopy(dir, n, name, sourceFd, size, where);
        stats.fromSeed++;
        stats.bytesFromSeeds += size;
    }

    /** Installs a copy (a clone where possible) of {@code sourceFd} with the archive's metadata at {@code name}. */
    private void replaceWithCopy(Dir dir, Node n, byte[] name, int sourceFd, long size, String where)
            throws IOException {
        byte[] tmp = tempName(name);
        int out = Posix.openAt(dir.fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600, where);
        try {
            tempDirFd = dir.fd;
            tempName = tmp;
            earlyAttributes(out, n, where);
            if (!(opts.reflink() && Posix.tryClone(out, sourceFd) == 0)) {
                copyPrefix(sourceFd, out, size, where);
            }
            installFile(dir, tmp, name, out, n, where);
        } finally {
            Posix.close(out);
        }
    }

    private boolean equalsAt(int fd, long pos, int len, String where) throws IOException {
        int got = 0;
        while (got < len) {
            int r = Posix.pread(fd, cmp, got, len - got, pos + got, where);
            if (r == 0) {
                return false;
            }
            got += r;
        }
        return Arrays.equals(buf, 0, len, cmp, 0, len);
    }

    private void copyPrefix(int src, int dst, long len, String where) throws IOException {
        if (Posix.copyRange(src, dst, len, where)) {
            Posix.seekRelative(dst, len, where);
            return;
        }
        for (long p = 0; p < len; ) {
            int want = (int) Math.min(BUF, len - p);
            int r = Posix.pread(src, cmp, 0, want, p, where);
            if (r == 0) {
                throw Posix.error(where, "read (file shrank while being copied)", Posix.EINVAL);
            }
            Posix.writeFully(dst, cmp, 0, r, where);
            p += r;
        }
    }

    /** Writes {@code b[0, len)} at the current position, seeking over whole 4 KiB blocks of zeros if asked. */
    private static void writeBlock(int fd, byte[] b, int len, boolean holes, String where) throws IOException {
        if (!holes) {
            Posix.writeFully(fd, b, 0, len, where);
            return;
        }
        int start = 0;
        int p = 0;
        while (p < len) {
            int end = Math.min(len, p + BLOCK);
            if (end - p == BLOCK && isZero(b, p, end)) {
                if (p > start) {
                    Posix.writeFully(fd, b, start, p - start, where);
                }
                int z = end;
                while (z + BLOCK <= len && isZero(b, z, z + BLOCK)) {
                    z += BLOCK;
                }
                Posix.seekRelative(fd, z - p, where);
                start = z;
                p = z;
            } else {
                p = end;
            }
        }
        if (start < len) {
            Posix.writeFully(fd, b, start, len - start, where);
        }
    }

    private static boolean isZero(byte[] b, int from, int to) {
        return Arrays.mismatch(b, from, to, ZEROS, 0, to - from) < 0;
    }

    private static final byte[] ZEROS = new byte[BLOCK];

    private static void readFully(InputStream in, byte[] b, int len, String where) throws IOException {
        int got = 0;
        while (got < len) {
            int r = in.read(b, got, len - got);
            if (r < 0) {
                throw new IOException(where + ": archive ends inside the file's payload");
            }
            got += r;
        }
    }

    // ---- symlinks, devices, fifos, sockets ----

    private void special(Dir dir, Node n, byte[] name, String where) throws IOException {
        int type = n.type();
        long need = switch (type) {
            case S_IFLNK -> FeatureFlags.WITH_SYMLINKS;
            case Posix.S_IFCHR, Posix.S_IFBLK -> FeatureFlags.WITH_DEVICE_NODES;
            case Posix.S_IFIFO -> FeatureFlags.WITH_FIFOS;
            default -> FeatureFlags.WITH_SOCKETS;
        };
        if ((replay & need) == 0 || (n.isDevice() && !root)) {
            stats.skipped++;
            return;
        }
        Stat existing = opts.seedOutput() ? Posix.stat(dir.fd, name, where) : null;
        if (existing != null && existing.type() == type && sameNode(dir.fd, name, n, existing, where)) {
            boolean changed = applyMetadata(dir.fd, name, -1, n, existing, where);
            if (changed) {
                stats.metadataUpdated++;
            } else {
                stats.unchanged++;
            }
            return;
        }
        byte[] tmp = tempName(name);
        if (type == S_IFLNK) {
            Posix.symlinkAt(n.symlinkTarget(), dir.fd, tmp, where);
        } else {
            Posix.mknodAt(dir.fd, tmp, (int) (n.mode() & 0170777), n.isDevice() ? n.rdevMajor() : 0,
                    n.isDevice() ? n.rdevMinor() : 0, where);
        }
        tempDirFd = dir.fd;
        tempName = tmp;
        Stat st = Posix.stat(dir.fd, tmp, where);
        applyMetadata(dir.fd, tmp, -1, n, st, where);
        install(dir.fd, tmp, name, where);
        tempName = null;
        stats.written++;
    }

    /** True when files of the seed and the target can share extents: one btrfs or XFS file system. */
    private static boolean mayClone(int seedFd, int targetFd, String where) throws IOException {
        Stat a = Posix.stat(seedFd, SELF, where);
        Stat b = Posix.stat(targetFd, SELF, where);
        if (a.devMajor() != b.devMajor() || a.devMinor() != b.devMinor()) {
            return false;
        }
        long magic = FileMeta.fsMagic(targetFd, Path.of(where)) & 0xffffffffL;
        return magic == 0x9123683eL /* btrfs */ || magic == 0x58465342L /* XFS */;
    }

    private static boolean sameNode(int dirFd, byte[] name, Node n, Stat st, String where) throws IOException {
        if (n.isSymlink()) {
            return Arrays.equals(Posix.readlinkAt(dirFd, name, where), n.symlinkTarget());
        }
        if (n.isDevice()) {
            return st.rdevMajor() == n.rdevMajor() && st.rdevMinor() == n.rdevMinor();
        }
        return true;
    }

    // ---- metadata ----

    /** chattr flags and the project id that casync applies to the empty file or directory. */
    private void earlyAttributes(int fd, Node n, String where) throws IOException {
        if ((replay & FeatureFlags.WITH_CHATTR) != 0) {
            maskFlags(fd, FeatureFlags.toChattr(n.entryFlags()),
                    FeatureFlags.toChattr(replay) & APPLY_EARLY_FS_FL, where);
        }
        if ((replay & FeatureFlags.WITH_QUOTA_PROJID) != 0 && n.quotaProjid() >= 0
                && Posix.getProjectId(fd) != n.quotaProjid()) {
            Posix.setProjectId(fd, n.quotaProjid(), where);
        }
    }

    /**
     * Gives the entry at {@code dirFd}/{@code name} (or {@code fd} itself) the archive's owner, mode, xattrs,
     * capabilities, SELinux label and mtime, changing only what differs. Returns whether anything changed.
     */
    private boolean applyMetadata(int dirFd, byte[] name, int fd, Node n, Stat st, String where) throws IOException {
        boolean changed = false;
        boolean link = n.isSymlink();
        if ((replay & (FeatureFlags.NUMERIC_IDS | FeatureFlags.WITH_USER_NAMES)) != 0 && root) {
            int uid = (int) owner(n.user(), n.uid(), true, where);
            int gid = (int) owner(n.group(), n.gid(), false, where);
            if (st.uid() != uid || st.gid() != gid) {
                if (fd >= 0) {
                    Posix.chownAt(fd, SELF, uid, gid, where);
                } else {
                    Posix.chownAt(dirFd, name, uid, gid, where);
                }
                changed = true;
                st = fd >= 0 ? Posix.stat(fd, SELF, where) : Posix.stat(dirFd, name, where);
            }
        }
        if (!link) {
            int mode = st.mode() & 07777;
            int want = (int) (n.mode() & 07777);
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
            if (newMode != mode) {
                if (fd >= 0) {
                    Posix.fchmod(fd, newMode, where);
                } else {
                    Posix.chmodAt(dirFd, name, newMode, where);
                }
                changed = true;
            }
        }
        if (fd >= 0) {
            changed |= xattrs(fd, n, st, where);
        } else {
            changed |= selinux(-1, dirFd, name, n, where);
            if ((replay & FeatureFlags.WITH_ACL) != 0 && !link) {
                // Devices, fifos and sockets have no descriptor here: their access ACL goes by path, as casync.
                byte[] path = Posix.procPath(dirFd, name);
                PosixAcl.IdDecoder ids = (id, nm, user) -> aclId(n, id, nm, user, where);
                byte[] want = PosixAcl.accessXattr(n.acl(), n.mode(), ids);
                byte[] have = Posix.lgetXattr(path, ACL_ACCESS, where);
                if (!Arrays.equals(have, want)) {
                    if (want == null) {
                        Posix.lremoveXattr(path, ACL_ACCESS, where);
                    } else {
                        Posix.lsetXattr(path, ACL_ACCESS, want, where);
                    }
                    changed = true;
                }
            }
        }
        if ((replay & (FeatureFlags.WITH_NSEC_TIME | FeatureFlags.WITH_USEC_TIME | FeatureFlags.WITH_SEC_TIME
                | FeatureFlags.WITH_2SEC_TIME)) != 0 && st.mtimeNanos() != n.mtime()) {
            Posix.setMtime(fd >= 0 ? fd : dirFd, fd >= 0 ? SELF : name, n.mtime(), where);
            changed = true;
        }
        if (fd >= 0 && (replay & FeatureFlags.WITH_CHATTR) != 0) {
            int mask = FeatureFlags.toChattr(replay);
            int have = Posix.getFlags(fd, where);
            changed |= (have & mask) != (FeatureFlags.toChattr(n.entryFlags()) & mask);
        }
        return changed;
    }

    /** xattrs, ACL xattrs, fcaps and the SELinux label of an open file or directory; true if any changed. */
    private boolean xattrs(int fd, Node n, Stat st, String where) throws IOException {
        boolean changed = false;
        if ((replay & FeatureFlags.WITH_XATTRS) != 0) {
            List<byte[]> have = Posix.listXattrs(fd, where);
            Set<String> wanted = new HashSet<>();
            for (CatarDecoder.Xattr x : n.xattrs()) {
                wanted.add(key(x.name()));
            }
            for (byte[] h : have) {
                if (stored(h) && !wanted.contains(key(h))) {
                    Posix.removeXattr(fd, h, where);
                    changed = true;
                }
            }
            for (CatarDecoder.Xattr x : n.xattrs()) {
                if (!Arrays.equals(Posix.getXattr(fd, x.name(), where), x.value())) {
                    Posix.setXattr(fd, x.name(), x.value(), where);
                    changed = true;
                }
            }
        }
        if ((replay & FeatureFlags.WITH_ACL) != 0) {
            // casync's ca_decoder_child_to_acl/_default_acl: the owner, other and (mask or group) permissions come
            // from the ENTRY mode, applied above. No ACL records means the minimal ACL: no xattr (which also drops
            // what a new file inherited from its directory's default ACL).
            PosixAcl.IdDecoder ids = (id, name, user) -> aclId(n, id, name, user, where);
            changed |= setAcl(fd, ACL_ACCESS, PosixAcl.accessXattr(n.acl(), n.mode(), ids), where);
            if (st.type() == S_IFDIR) {
                changed |= setAcl(fd, ACL_DEFAULT, PosixAcl.defaultXattr(n.acl(), ids), where);
            }
        }
        if ((replay & FeatureFlags.WITH_FCAPS) != 0 && st.type() == S_IFREG) {
            byte[] have = Posix.getXattr(fd, FCAPS, where);
            byte[] want = n.fcaps();
            if (!Arrays.equals(have, want)) {
                if (want != null) {
                    Posix.setXattr(fd, FCAPS, want, where);
                } else {
                    Posix.removeXattr(fd, FCAPS, where);
                }
                changed = true;
            }
        }
        changed |= selinux(fd, -1, null, n, where);
        return changed;
    }

    /**
     * The archive's SELinux label (with the selinux replay flag), set as libselinux's {@code setfilecon} does: the
     * label plus a NUL, unless the label read as {@code getfilecon} reads it (up to the first NUL) is already the
     * same. An entry without a label of its own in the archive keeps whatever it has. {@code fd}, or for an entry
     * without a descriptor (symlink, device, fifo, socket) {@code /proc/self/fd/DIRFD/NAME}, as casync does.
     */
    private boolean selinux(int fd, int dirFd, byte[] name, Node n, String where) throws IOException {
        byte[] want = n.selinux();
        if ((replay & FeatureFlags.WITH_SELINUX) == 0 || want == null) {
            return false;
        }
        byte[] path = fd >= 0 ? null : Posix.procPath(dirFd, name);
        byte[] have = fd >= 0 ? Posix.getXattr(fd, SELINUX, where) : Posix.lgetXattr(path, SELINUX, where);
        if (have != null && have.length > 0 && Arrays.equals(upToNul(have), want)) {
            return false;
        }
        byte[] value = Arrays.copyOf(want, want.length + 1);
        if (fd >= 0) {
            Posix.setXattr(fd, SELINUX, value, where);
        } else {
            Posix.lsetXattr(path, SELINUX, value, where);
        }
        return true;
    }

    private static byte[] upToNul(byte[] v) {
        int n = 0;
        while (n < v.length && v[n] != 0) {
            n++;
        }
        return Arrays.copyOf(v, n);
    }

    /** Sets the ACL xattr {@code name} to {@code want}, or removes it when null; true if it changed. */
    private static boolean setAcl(int fd, byte[] name, byte[] want, String where) throws IOException {
        byte[] have = Posix.getXattr(fd, name, where);
        if (Arrays.equals(have, want)) {
            return false;
        }
        if (want == null) {
            Posix.removeXattr(fd, name, where);
        } else {
            Posix.setXattr(fd, name, want, where);
        }
        return true;
    }

    /**
     * The uid/gid of a named ACL entry ({@code ca_decoder_acl_add_user_entries}): a stored name wins when the replay
     * flags have user names or the archive stores no ids; an unknown name falls back to the stored id when there is
     * one, as for the owner. (Decimal names, which casync writes for unknown ids without numeric ids, are not valid
     * user names: the decoder refuses them, as casync's does.)
     */
    private long aclId(Node n, long id, byte[] name, boolean user, String where) throws IOException {
        boolean ids = (n.featureFlags() & FeatureFlags.NUMERIC_IDS) != 0;
        if (name != null && ((replay & FeatureFlags.WITH_USER_NAMES) != 0 || !ids)) {
            long v = user ? Posix.uidOf(name) : Posix.gidOf(name);
            if (v >= 0) {
                return v;
            }
            if (!ids) {
                throw new IOException(where + ": unknown " + (user ? "user '" : "group '")
                        + new String(name, StandardCharsets.UTF_8) + "' in POSIX ACL");
            }
        }
        return owner(null, id, user, where);
    }

    /** True when a seed file already has everything the archive says (so a hard link to it is exact). */
    private boolean metadataEqual(int fd, Node n, Stat st, String where) throws IOException {
        if ((st.mode() & 07777) != (n.mode() & 07777) || st.mtimeNanos() != n.mtime()) {
            return false;
        }
        if ((replay & (FeatureFlags.NUMERIC_IDS | FeatureFlags.WITH_USER_NAMES)) != 0
                && (st.uid() != owner(n.user(), n.uid(), true, where)
                || st.gid() != owner(n.group(), n.gid(), false, where))) {
            return false;
        }
        List<byte[]> have = Posix.listXattrs(fd, where);
        int stored = 0;
        for (byte[] h : have) {
            if (stored(h)) {
                stored++;
            }
        }
        if ((replay & FeatureFlags.WITH_XATTRS) != 0 && stored != n.xattrs().size()) {
            return false;
        }
        for (CatarDecoder.Xattr x : n.xattrs()) {
            if (!Arrays.equals(Posix.getXattr(fd, x.name(), where), x.value())) {
                return false;
            }
        }
        if ((replay & FeatureFlags.WITH_SELINUX) != 0 && n.selinux() != null) {
            byte[] label = Posix.getXattr(fd, SELINUX, where);
            if (label == null || !Arrays.equals(upToNul(label), n.selinux())) {
                return false;
            }
        }
        return (replay & FeatureFlags.WITH_FCAPS) == 0 || Arrays.equals(Posix.getXattr(fd, FCAPS, where), n.fcaps());
    }

    private long owner(String name, long id, boolean user, String where) throws IOException {
        if ((replay & FeatureFlags.WITH_USER_NAMES) != 0 && name != null) {
            // NSS reads /etc/passwd and /etc/group on every lookup: ask once per name.
            long v = (user ? uidByName : gidByName).computeIfAbsent(name,
                    k -> user ? Posix.uidOf(bytes(k)) : Posix.gidOf(bytes(k)));
            if (v >= 0) {
                return v;
            }
        }
        if (opts.uidRange() != 0) {
            id %= opts.uidRange();
        }
        long shifted = id + opts.uidShift();
        if (shifted > 0xfffffffeL) {
            throw new IOException(where + ": " + (user ? "uid " : "gid ") + id + " shifted by " + opts.uidShift()
                    + " is out of range");
        }
        return shifted;
    }

    /**
     * chattr flags, then FAT attributes, of the regular file or directory {@code fd}; {@code on} is the directory
     * whose file system it is on (the directory itself, or the one holding the file). Returns whether FAT attributes
     * changed (a chattr change is found by {@link #applyMetadata}).
     */
    private boolean chattr(int fd, Node n, Dir on, String where) throws IOException {
        if ((replay & FeatureFlags.WITH_CHATTR) != 0) {
            maskFlags(fd, FeatureFlags.toChattr(n.entryFlags()), FeatureFlags.toChattr(replay), where);
        }
        return (replay & FeatureFlags.WITH_FAT_ATTRS) != 0
                && fsAttributes.restoreFatAttributes(fd, n, magic(on), where);
    }

    /** The file-system magic of directory {@code d} (asked once). */
    private static long magic(Dir d) throws IOException {
        if (d.magic < 0) {
            d.magic = FileMeta.fsMagic(d.fd, Path.of(d.where)) & 0xffffffffL;
        }
        return d.magic;
    }

    /** chattr of an existing regular file kept in place (opened again: the comparison descriptor is read-only). */
    private boolean chattrReopen(Dir dir, byte[] name, Node n, String where) throws IOException {
        if ((replay & (FeatureFlags.WITH_CHATTR | FeatureFlags.WITH_FAT_ATTRS)) == 0) {
            return false;
        }
        int fd = Posix.openAt(dir.fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0, where);
        try {
            return chattr(fd, n, dir, where);
        } finally {
            Posix.close(fd);
        }
    }

    private static void maskFlags(int fd, int value, int mask, String where) throws IOException {
        if (mask == 0) {
            return;
        }
        int have = Posix.getFlags(fd, where);
        int want = (have & ~mask) | (value & mask);
        if (want == have) {
            return;
        }
        int r = Posix.trySetFlags(fd, want);
        if (r < 0 && !(Posix.unsupported(-r) && (value & mask) == 0)) {
            throw Posix.error(where, "FS_IOC_SETFLAGS", -r);
        }
    }

    // ---- install, delete, clean up ----

    /** Renames the finished temporary entry over {@code name}, swapping with a directory in the way. */
    private void install(int dirFd, byte[] tmp, byte[] name, String where) throws IOException {
        int r = Posix.tryRenameAt(dirFd, tmp, name, 0);
        if (r == -Posix.EPERM && opts.undoImmutable()) {
            dropImmutable(dirFd, name);
            r = Posix.tryRenameAt(dirFd, tmp, name, 0);
        }
        if (r == -Posix.EISDIR || r == -Posix.ENOTDIR || r == -Posix.ENOTEMPTY || r == -Posix.EEXIST) {
            r = Posix.tryRenameAt(dirFd, tmp, name, Posix.RENAME_EXCHANGE);
            if (r == 0) {
                // The old entry now has the temporary name.
                removeTree(dirFd, tmp, where);
                return;
            }
        }
        if (r < 0) {
            throw Posix.error(where, "rename", -r);
        }
    }

    /** Removes {@code name} and everything below it without following symlinks. */
    private void removeTree(int dirFd, byte[] name, String where) throws IOException {
        Stat st = Posix.stat(dirFd, name, where);
        if (st == null) {
            return;
        }
        if (st.type() == S_IFDIR) {
            int fd = Posix.openAt(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, where);
            try {
                for (byte[] child : Posix.list(fd, where)) {
                    removeTree(fd, child, where + "/" + display(child));
                }
            } finally {
                Posix.close(fd);
            }
        }
        int flag = st.type() == S_IFDIR ? Posix.AT_REMOVEDIR : 0;
        int r = Posix.tryUnlinkAt(dirFd, name, flag);
        if (r == -Posix.EPERM && opts.undoImmutable()) {
            dropImmutable(dirFd, name);
            r = Posix.tryUnlinkAt(dirFd, name, flag);
        }
        if (r < 0 && r != -Posix.ENOENT) {
            throw Posix.error(where, "remove", -r);
        }
    }

    private static void dropImmutable(int dirFd, byte[] name) {
        int fd = Posix.tryOpenAt(dirFd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
        if (fd < 0) {
            return;
        }
        try {
            int have = Posix.getFlags(fd, "");
            if ((have & (FS_IMMUTABLE_FL | FS_APPEND_FL)) != 0) {
                Posix.trySetFlags(fd, have & ~(FS_IMMUTABLE_FL | FS_APPEND_FL));
            }
        } catch (IOException e) {
            // Leave it; the caller reports the original failure.
        } finally {
            Posix.close(fd);
        }
    }

    /** After a failure: removes the entry being built and temporary directories, closes every descriptor. */
    private void abandon() {
        if (tempName != null && tempDirFd >= 0) {
            try {
                removeTree(tempDirFd, tempName, "");
            } catch (IOException | RuntimeException e) {
                // Best effort; the temporary name starts with ".#" and a later extract deletes it.
            }
        }
        for (Dir d : stack) {
            if (d.tempName != null && d.parent != null && d.parent.fd >= 0) {
                try {
                    removeTree(d.parent.fd, d.tempName, "");
                } catch (IOException | RuntimeException e) {
                    // As above.
                }
            }
        }
        // Descriptors are closed only now: removing a temporary directory needs its parent's descriptor.
        while (!stack.isEmpty()) {
            Dir d = stack.pop();
            Posix.close(d.fd);
            for (int s : d.seedFds) {
                Posix.close(s);
            }
        }
    }

    // ---- names ----

    private static void checkName(Node n, byte[] name) throws ArchiveFormatException {
        boolean bad = name.length == 0 || name.length > 255 || (name.length == 1 && name[0] == '.')
                || (name.length == 2 && name[0] == '.' && name[1] == '.');
        for (byte b : name) {
            bad |= b == '/' || b == 0;
        }
        if (bad) {
            throw new ArchiveFormatException(n.offset(), "invalid file name '" + n.pathString() + "'");
        }
    }

    /** casync's {@code tempfn_random}: ".#" + name + 16 hex digits, the name shortened to fit 255 bytes. */
    private static byte[] tempName(byte[] name) {
        return TempFiles.randomName(name);
    }

    private static boolean stored(byte[] xattrName) {
        return startsWith(xattrName, "user.") || startsWith(xattrName, "trusted.");
    }

    private static boolean startsWith(byte[] b, String prefix) {
        byte[] p = bytes(prefix);
        return b.length >= p.length && Arrays.equals(b, 0, p.length, p, 0, p.length);
    }

    /** A set key for raw name bytes (ISO-8859-1 maps bytes to chars one to one). */
    private static String key(byte[] name) {
        return new String(name, StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String display(byte[] name) {
        return new String(name, StandardCharsets.UTF_8);
    }

    private String where(Node n) {
        return target + "/" + n.pathString();
    }
}
