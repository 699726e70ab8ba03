package org.jcasync.tree;

import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarEncoder;
import org.jcasync.catar.CatarEntry;
import org.jcasync.catar.CatarEntry.Xattr;
import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.Posix;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.jcasync.format.FileMode.S_IFLNK;
import static org.jcasync.format.FileMode.S_IFREG;

/** Fixtures for the tests of the tree extraction parts: entries made by hand, open target directories, archives. */
final class TreeParts {
    /** casync's default flags for {@code make X.catar DIR}. */
    static final long FLAGS = 0xb0000001ffeffe26L;
    /** What an extraction with all features restores from such an archive. */
    static final long REPLAY = FeatureFlags.replay(FLAGS, -1);
    static final long MTIME = 1_600_000_000_123_456_789L;

    private TreeParts() {
    }

    static boolean root() {
        return Posix.geteuid() == 0;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** An archive entry at depth 2 with everything given; the rest empty. */
    static CatarEntry entry(String name, long mode, long uid, long gid, long mtime, List<Xattr> xattrs, long size,
                            String symlink) {
        return new CatarEntry(bytes(name), bytes(name), 2, 0, FLAGS, mode, 0, uid, gid, mtime, null, null, xattrs,
                List.of(), null, null, -1, symlink == null ? null : bytes(symlink), -1, -1, size, new byte[0]);
    }

    /** A regular file entry of {@code size} bytes, mode {@code perm}, owned by root, with {@link #MTIME}. */
    static CatarEntry file(String name, int perm, long size) {
        return entry(name, S_IFREG | perm, 0, 0, MTIME, List.of(), size, null);
    }

    /** A symlink entry. */
    static CatarEntry symlink(String name, String target) {
        return entry(name, S_IFLNK | 0777, 0, 0, MTIME, List.of(), -1, target);
    }

    /** The directory {@code dir} opened as an extraction holds its target (no seeds). */
    static ExtractDir open(Path dir) throws IOException {
        return open(dir, new Path[0]);
    }

    /** The directory {@code dir} opened as an extraction holds a directory, with seed directories. */
    static ExtractDir open(Path dir, Path... seeds) throws IOException {
        ExtractDir d = new ExtractDir(new EntryContext(null, new byte[0], null, dir.toString()), seeds.length);
        d.fd = Posix.openDirectory(dir.toString());
        for (int i = 0; i < seeds.length; i++) {
            d.seedFds[i] = Posix.openDirectory(seeds[i].toString());
        }
        return d;
    }

    /** The context of entry {@code n} in {@code dir}. */
    static EntryContext in(ExtractDir dir, CatarEntry n) {
        return new EntryContext(dir, n.name(), n, dir.where() + "/" + n.pathString());
    }

    /** The catar stream of {@code dir} with {@link #FLAGS}. */
    static byte[] archive(Path dir) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new CatarEncoder(FLAGS).encode(dir, out);
        return out.toByteArray();
    }

    /** Extracts {@code archive} into {@code target}. */
    static TreeExtractStats extract(byte[] archive, Path target, TreeExtractOptions opts) throws IOException {
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(archive))) {
            return new TreeExtractor(opts).extract(d, target);
        }
    }

    /** The names below {@code dir}, relative, sorted. */
    static TreeSet<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            TreeSet<String> r = new TreeSet<>();
            s.filter(p -> !p.equals(dir)).forEach(p -> r.add(dir.relativize(p).toString()));
            return r;
        }
    }

    /** unix:ino of {@code p} (not following a symlink). */
    static long inode(Path p) throws IOException {
        return (Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }

    /** unix:mode of {@code p}. */
    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    /** Options with everything off but what casync does by default, and the given seeds. */
    static TreeExtractOptions options(boolean hardlink, Path... seeds) {
        return new TreeExtractOptions(-1L, true, false, hardlink, true, true, 0, 0, List.of(seeds), true);
    }
}
