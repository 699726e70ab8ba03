package org.jcasync.tree;

import org.jcasync.catar.ArchiveFormatException;
import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarDecoder.Event;
import org.jcasync.catar.CatarDecoder.Kind;
import org.jcasync.catar.CatarEntry;
import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.Posix;
import org.jcasync.internal.fs.Posix.Stat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;

import static org.jcasync.format.FileMode.S_IFDIR;
import static org.jcasync.format.FileMode.S_IFREG;
import static org.jcasync.internal.fs.Posix.O_DIRECTORY;
import static org.jcasync.internal.fs.Posix.O_NOCTTY;
import static org.jcasync.internal.fs.Posix.O_NOFOLLOW;
import static org.jcasync.internal.fs.Posix.O_RDONLY;

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
 * <p>This class walks the decoded stream and keeps the directories on the current path open; the other parts share
 * an {@link EntryContext} per entry: {@link ContentWriter} (files, symlinks, devices), {@link MetadataApplier} (with
 * {@link IdMapper} for owners), {@link EntryInstaller} (temporary names, renames, removals).
 *
 * <p>Safety: names are single components checked again here (no '/', ".", "..", NUL, empty); everything is done
 * relative to directory descriptors opened with {@code O_NOFOLLOW}, so neither a symlink in the archive nor one
 * already in the target can redirect a write outside the target.
 */
public final class TreeExtractor {
    private static final byte[] SELF = new byte[0];

    private final TreeExtractOptions opts;
    private final boolean root = Posix.geteuid() == 0;
    private final TreeExtractStats stats = new TreeExtractStats();
    private final ArrayDeque<ExtractDir> stack = new ArrayDeque<>();
    private final EntryInstaller installer;
    private Path target;
    // Made once the archive's feature flags are known (they decide what is restored).
    private FsSpecificAttributes fsAttributes;
    private MetadataApplier metadata;
    private ContentWriter content;

    /** An extractor with the options {@code opts}; it extracts one archive. */
    public TreeExtractor(TreeExtractOptions opts) {
        this.opts = opts;
        this.installer = new EntryInstaller(opts.undoImmutable());
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
                CatarEntry n = e.entry();
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
                    if (stack.size() == 1 && stack.peek().self.entry() == null) {
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
                        : "archive ends inside directory '" + stack.peek().self.entry().pathString() + "'");
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
     * Opens (creating if needed) the target directory, and makes the parts that depend on the archive's feature
     * flags. {@code holder}: it only holds the extracted sub-tree and gets no metadata of its own and nothing deleted.
     */
    private void openRoot(CatarDecoder decoder, CatarEntry n, boolean holder) throws IOException {
        if (!holder && !n.isDirectory()) {
            throw new ArchiveFormatException(n.offset(), "the archive's root is not a directory");
        }
        long replay = FeatureFlags.replay(decoder.featureFlags(), opts.featureMask());
        fsAttributes = new FsSpecificAttributes(replay);
        metadata = new MetadataApplier(replay, root, new IdMapper(replay, opts.uidShift(), opts.uidRange()),
                fsAttributes);
        String path = target.toString();
        int r = Posix.tryMkdirAt(Posix.AT_FDCWD, path.getBytes(Posix.pathCharset()), 0777);
        ExtractDir d = new ExtractDir(new EntryContext(null, SELF, holder ? null : n, path), opts.seeds().size());
        boolean[] seedFiles = new boolean[opts.seeds().size()];
        if (r == 0) {
            stats.directoriesCreated++;
            d.created = true;
        } else if (r != -Posix.EEXIST) {
            throw Posix.error(path, "mkdir", -r);
        }
        d.fd = Posix.openDirectory(path);
        stack.push(d);
        for (int i = 0; i < opts.seeds().size(); i++) {
            String s = opts.seeds().get(i).toString();
            int fd = Posix.tryOpenAt(Posix.AT_FDCWD, s.getBytes(Posix.pathCharset()), O_RDONLY | O_DIRECTORY, 0);
            if (fd < 0) {
                throw Posix.error(s, "open seed directory", -fd);
            }
            d.seedFds[i] = fd;
            seedFiles[i] = opts.hardlink() || opts.reflink() && ContentWriter.mayClone(fd, d.fd, s);
        }
        content = new ContentWriter(opts, stats, replay, root, metadata, installer, seedFiles);
    }

    private void entry(CatarDecoder decoder, CatarEntry n) throws IOException {
        ExtractDir dir = stack.peek();
        byte[] name = n.name();
        checkName(n, name);
        dir.listed.add(ExtractDir.key(name));
        EntryContext e = new EntryContext(dir, name, n, target + "/" + n.pathString());
        switch (n.type()) {
            case S_IFDIR -> enterDirectory(e);
            case S_IFREG -> content.regularFile(e, decoder.payload());
            default -> content.special(e);
        }
    }

    private void enterDirectory(EntryContext e) throws IOException {
        ExtractDir parent = e.dir();
        CatarEntry n = e.entry();
        byte[] name = e.name();
        ExtractDir d = new ExtractDir(e, parent.seedFds.length);
        stack.push(d);
        int r = fsAttributes.tryMakeDirectory(parent.fd, name, n);
        if (r == 0) {
            stats.directoriesCreated++;
            d.created = true;
        } else if (r != -Posix.EEXIST) {
            throw Posix.error(e.where(), fsAttributes.makeDirectoryCall(n), -r);
        }
        int fd = Posix.tryOpenAt(parent.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY, 0);
        if (fd == -Posix.ENOTDIR || fd == -Posix.ELOOP) {
            // Something else (a file, a symlink) has the name: build the directory aside and swap it in at the end.
            d.tempName = EntryInstaller.tempName(name);
            r = fsAttributes.tryMakeDirectory(parent.fd, d.tempName, n);
            if (r != 0) {
                throw Posix.error(e.where(), fsAttributes.makeDirectoryCall(n), -r);
            }
            stats.directoriesCreated++;
            d.created = true;
            fd = Posix.tryOpenAt(parent.fd, d.tempName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        }
        if (fd < 0) {
            throw Posix.error(e.where(), "open", -fd);
        }
        d.fd = fd;
        for (int i = 0; i < d.seedFds.length; i++) {
            if (parent.seedFds[i] >= 0) {
                int s = Posix.tryOpenAt(parent.seedFds[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
                d.seedFds[i] = Math.max(s, -1);
            }
        }
        metadata.early(d.fd, e);
    }

    /** Once a directory's GOODBYE came: removes what the archive did not list, then gives it its metadata. */
    private void finishDirectory(ExtractDir d) throws IOException {
        try {
            if (d.self.entry() == null) {
                return;
            }
            if (opts.delete() && d.tempName == null) {
                for (byte[] name : Posix.list(d.fd, d.where())) {
                    if (!d.listed.contains(ExtractDir.key(name))) {
                        installer.removeTree(d.fd, name, d.where() + "/" + new String(name, StandardCharsets.UTF_8));
                        stats.deleted++;
                    }
                }
            }
            Stat st = Posix.stat(d.fd, SELF, d.where());
            boolean changed = metadata.apply(d.self, d.fd, SELF, st);
            boolean swapped = d.parent() != null && d.tempName != null;
            if (swapped) {
                installer.install(d.self, d.tempName);
            }
            changed |= metadata.finishDirectory(d, st.ino());
            if (swapped || d.created) {
                // Counted in directoriesCreated.
            } else if (changed) {
                stats.metadataUpdated++;
            } else {
                stats.unchanged++;
            }
        } finally {
            d.close();
        }
    }

    /** After a failure: removes the entry being built and temporary directories, closes every descriptor. */
    private void abandon() {
        installer.abandon();
        for (ExtractDir d : stack) {
            if (d.tempName != null && d.parent() != null && d.parent().fd >= 0) {
                installer.removeQuietly(d.parent().fd, d.tempName);
            }
        }
        // Descriptors are closed only now: removing a temporary directory needs its parent's descriptor.
        while (!stack.isEmpty()) {
            stack.pop().close();
        }
    }

    private static void checkName(CatarEntry n, byte[] name) throws ArchiveFormatException {
        boolean bad = name.length == 0 || name.length > 255 || (name.length == 1 && name[0] == '.')
                || (name.length == 2 && name[0] == '.' && name[1] == '.');
        for (byte b : name) {
            bad |= b == '/' || b == 0;
        }
        if (bad) {
            throw new ArchiveFormatException(n.offset(), "invalid file name '" + n.pathString() + "'");
        }
    }
}
