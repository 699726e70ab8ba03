package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;
import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.FileIo;
import org.jcasync.internal.fs.FileSystems;
import org.jcasync.internal.fs.Posix;
import org.jcasync.internal.fs.Posix.Stat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

import static org.jcasync.format.FileMode.S_IFBLK;
import static org.jcasync.format.FileMode.S_IFCHR;
import static org.jcasync.format.FileMode.S_IFIFO;
import static org.jcasync.format.FileMode.S_IFLNK;
import static org.jcasync.format.FileMode.S_IFMT;
import static org.jcasync.format.FileMode.S_IFREG;
import static org.jcasync.internal.fs.Posix.O_CREAT;
import static org.jcasync.internal.fs.Posix.O_EXCL;
import static org.jcasync.internal.fs.Posix.O_NOCTTY;
import static org.jcasync.internal.fs.Posix.O_NOFOLLOW;
import static org.jcasync.internal.fs.Posix.O_NONBLOCK;
import static org.jcasync.internal.fs.Posix.O_RDONLY;
import static org.jcasync.internal.fs.Posix.O_WRONLY;

/**
 * Writes the non-directory entries of an extraction, touching only what changed:
 *
 * <ul>
 *   <li>A regular file already in the target with the payload's size is compared with the payload as it streams
 *       past; if equal it is kept (metadata corrected in place); otherwise a new file is built under a temporary
 *       name from the equal prefix ({@code copy_file_range}, which shares extents where the file system can) and
 *       the rest of the payload (4 KiB blocks of zeros left as holes with {@code --punch-holes}), given its metadata
 *       and renamed over the old one. A seed's file at the same path is used the same way when it can be cloned or
 *       hard-linked; one equal in content and metadata is hard-linked with {@code --hardlink}.
 *   <li>Symlinks, devices, fifos and sockets are kept if equal, else created under a temporary name and renamed
 *       over.
 * </ul>
 */
final class ContentWriter {
    private static final byte[] SELF = new byte[0];

    private final TreeExtractOptions opts;
    private final TreeExtractStats stats;
    private final long replay;
    private final boolean root;
    private final MetadataApplier metadata;
    private final EntryInstaller installer;
    /**
     * Per seed: whether its files are compared with the archive's at the same path. Only worth it when an equal file
     * can be hard-linked or cloned; otherwise writing the payload costs the same as copying from the seed.
     */
    private final boolean[] seedFiles;
    private final PayloadIo io = new PayloadIo();

    ContentWriter(TreeExtractOptions opts, TreeExtractStats stats, long replay, boolean root, MetadataApplier metadata,
                  EntryInstaller installer, boolean[] seedFiles) {
        this.opts = opts;
        this.stats = stats;
        this.replay = replay;
        this.root = root;
        this.metadata = metadata;
        this.installer = installer;
        this.seedFiles = seedFiles.clone();
    }

    /** True when files of the seed and the target can share extents: one btrfs or XFS file system. */
    static boolean mayClone(int seedFd, int targetFd, String where) throws IOException {
        Stat a = Posix.stat(seedFd, SELF, where);
        Stat b = Posix.stat(targetFd, SELF, where);
        if (a.devMajor() != b.devMajor() || a.devMinor() != b.devMinor()) {
            return false;
        }
        return FileSystems.canClone(FileSystems.magic(targetFd, where));
    }

    /** The regular file {@code e}, whose payload {@code payload} streams. */
    void regularFile(EntryContext e, InputStream payload) throws IOException {
        ExtractDir dir = e.dir();
        byte[] name = e.name();
        String where = e.where();
        long size = e.entry().payloadSize();
        Stat existing = opts.seedOutput() ? Posix.stat(dir.fd, name, where) : null;
        int sourceFd = -1;
        boolean inPlace = false;
        int seedIndex = -1;
        if (existing != null && existing.type() == S_IFREG && existing.size() == size) {
            sourceFd = Posix.tryOpenAt(dir.fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
            inPlace = true;
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
            boolean pending = false;
            if (sourceFd >= 0) {
                // Compare while the payload streams past; stop at the first block that differs.
                while (pos < size) {
                    int want = (int) Math.min(PayloadIo.BUF, size - pos);
                    io.readPayload(payload, want, e);
                    if (!io.equalsAt(sourceFd, pos, want, e)) {
                        pending = true;
                        break;
                    }
                    pos += want;
                }
                if (pos == size) {
                    if (inPlace) {
                        keep(e, existing, sourceFd, size);
                    } else {
                        linkOrCopy(e, sourceFd, seedIndex, size);
                    }
                    return;
                }
            }
            long same = pos;
            byte[] tmp = EntryInstaller.tempName(name);
            out = Posix.openAt(dir.fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600, where);
            installer.building(dir.fd, tmp);
            metadata.early(out, e);
            if (same > 0) {
                io.copyPrefix(sourceFd, out, same, e);
                if (seedIndex >= 0) {
                    stats.bytesFromSeeds += same;
                    stats.fromSeed++;
                } else {
                    stats.bytesKept += same;
                }
            }
            if (pending) {
                // The buffer holds the block at pos that differed (already read from the payload).
                int len = (int) Math.min(PayloadIo.BUF, size - pos);
                io.writeBlock(out, len, opts.punchHoles(), e);
                pos += len;
            }
            while (pos < size) {
                int want = (int) Math.min(PayloadIo.BUF, size - pos);
                io.readPayload(payload, want, e);
                io.writeBlock(out, want, opts.punchHoles(), e);
                pos += want;
            }
            stats.bytesWritten += size - same;
            FileIo.ftruncate(out, size, where);
            installFile(e, tmp, out);
        } finally {
            Posix.close(out);
            Posix.close(sourceFd);
        }
    }

    /** Gives the finished temporary file {@code out} its metadata and renames it over the entry's name. */
    private void installFile(EntryContext e, byte[] tmp, int out) throws IOException {
        Stat st = Posix.stat(out, SELF, e.where());
        metadata.apply(e, out, tmp, st);
        installer.installBuilt(e, tmp);
        // chattr last: an immutable file could not have been renamed over.
        metadata.finish(out, e, e.dir());
        stats.written++;
    }

    /** The target's file {@code sourceFd} (status {@code existing}) has the archive's content: keep it. */
    private void keep(EntryContext e, Stat existing, int sourceFd, long size) throws IOException {
        if (existing.nlink() > 1 && !metadata.equalTo(sourceFd, e, existing)) {
            // Fixing metadata in place would change the other hard links too: write a copy instead (as casync,
            // whose files are always new).
            replaceWithCopy(e, sourceFd, size);
            stats.bytesKept += size;
            return;
        }
        boolean changed = metadata.apply(e, sourceFd, e.name(), existing);
        changed |= metadata.finishInPlace(e);
        stats.bytesKept += size;
        if (changed) {
            stats.metadataUpdated++;
        } else {
            stats.unchanged++;
        }
    }

    /** Seed {@code seedIndex}'s file {@code sourceFd} has the archive's content: link it, or copy it. */
    private void linkOrCopy(EntryContext e, int sourceFd, int seedIndex, long size) throws IOException {
        int dirFd = e.dirFd();
        Stat seedStat = Posix.stat(sourceFd, SELF, e.where());
        byte[] tmp = EntryInstaller.tempName(e.name());
        if (opts.hardlink() && metadata.equalTo(sourceFd, e, seedStat)
                && Posix.tryLinkAt(e.dir().seedFds[seedIndex], e.name(), dirFd, tmp) == 0) {
            installer.building(dirFd, tmp);
            installer.installBuilt(e, tmp);
            stats.hardlinked++;
            stats.written++;
        } else {
            replaceWithCopy(e, sourceFd, size);
        }
        stats.fromSeed++;
        stats.bytesFromSeeds += size;
    }

    /** Installs a copy (a clone where possible) of {@code sourceFd} with the archive's metadata. */
    private void replaceWithCopy(EntryContext e, int sourceFd, long size) throws IOException {
        byte[] tmp = EntryInstaller.tempName(e.name());
        int out = Posix.openAt(e.dirFd(), tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600, e.where());
        try {
            installer.building(e.dirFd(), tmp);
            metadata.early(out, e);
            if (!(opts.reflink() && FileIo.tryClone(out, sourceFd) == 0)) {
                io.copyPrefix(sourceFd, out, size, e);
            }
            installFile(e, tmp, out);
        } finally {
            Posix.close(out);
        }
    }

    /** A symlink, device, fifo or socket (skipped where the replay flags or missing privileges exclude it). */
    void special(EntryContext e) throws IOException {
        CatarEntry n = e.entry();
        byte[] name = e.name();
        String where = e.where();
        int type = n.type();
        long need = switch (type) {
            case S_IFLNK -> FeatureFlags.WITH_SYMLINKS;
            case S_IFCHR, S_IFBLK -> FeatureFlags.WITH_DEVICE_NODES;
            case S_IFIFO -> FeatureFlags.WITH_FIFOS;
            default -> FeatureFlags.WITH_SOCKETS;
        };
        if ((replay & need) == 0 || (n.isDevice() && !root)) {
            stats.skipped++;
            return;
        }
        Stat existing = opts.seedOutput() ? Posix.stat(e.dirFd(), name, where) : null;
        if (existing != null && existing.type() == type && sameNode(e, existing)) {
            if (metadata.apply(e, -1, name, existing)) {
                stats.metadataUpdated++;
            } else {
                stats.unchanged++;
            }
            return;
        }
        byte[] tmp = EntryInstaller.tempName(name);
        if (type == S_IFLNK) {
            Posix.symlinkAt(n.symlinkTarget(), e.dirFd(), tmp, where);
        } else {
            Posix.mknodAt(e.dirFd(), tmp, (int) (n.mode() & (S_IFMT | 0777)), n.isDevice() ? n.rdevMajor() : 0,
                    n.isDevice() ? n.rdevMinor() : 0, where);
        }
        installer.building(e.dirFd(), tmp);
        metadata.apply(e, -1, tmp, Posix.stat(e.dirFd(), tmp, where));
        installer.installBuilt(e, tmp);
        stats.written++;
    }

    /** Whether the existing special file (status {@code st}) is what the archive has: same target or device. */
    private static boolean sameNode(EntryContext e, Stat st) throws IOException {
        CatarEntry n = e.entry();
        if (n.isSymlink()) {
            return Arrays.equals(Posix.readlinkAt(e.dirFd(), e.name(), e.where()), n.symlinkTarget());
        }
        if (n.isDevice()) {
            return st.rdevMajor() == n.rdevMajor() && st.rdevMinor() == n.rdevMinor();
        }
        return true;
    }
}
