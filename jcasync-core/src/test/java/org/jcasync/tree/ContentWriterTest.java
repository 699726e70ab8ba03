package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jcasync.format.FileMode.S_IFCHR;
import static org.jcasync.format.FileMode.S_IFIFO;
import static org.jcasync.tree.TreeParts.MTIME;
import static org.jcasync.tree.TreeParts.REPLAY;

/**
 * {@link ContentWriter}: files kept when equal, rewritten from their equal prefix when not, holes for zero blocks,
 * seed files linked or copied, special files kept or replaced, and never a half-written file under the real name.
 */
class ContentWriterTest {
    static final FileTime TIME = FileTime.from(Instant.ofEpochSecond(MTIME / 1_000_000_000L, MTIME % 1_000_000_000L));

    @TempDir
    Path tmp;
    Path target;
    Path seed;
    ExtractDir dir;
    TreeExtractStats stats;
    EntryInstaller installer;

    @BeforeEach
    void setUp() throws IOException {
        target = Files.createDirectory(tmp.resolve("target"));
        seed = Files.createDirectory(tmp.resolve("seed"));
        dir = TreeParts.open(target, seed);
        stats = new TreeExtractStats();
        installer = new EntryInstaller(false);
    }

    @AfterEach
    void tearDown() {
        dir.close();
    }

    ContentWriter writer(boolean hardlink) {
        MetadataApplier m = new MetadataApplier(REPLAY, TreeParts.root(), new IdMapper(REPLAY, 0, 0),
                new FsSpecificAttributes(REPLAY));
        return new ContentWriter(TreeParts.options(hardlink, seed), stats, REPLAY, TreeParts.root(), m, installer,
                new boolean[] {true});
    }

    void write(CatarEntry n, byte[] payload) throws IOException {
        writer(false).regularFile(TreeParts.in(dir, n), new ByteArrayInputStream(payload));
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** A file with what the archive entry {@code file(name, perm, ...)} says, as root owns it. */
    static Path existing(Path p, byte[] content, String perm) throws IOException {
        Files.write(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perm));
        Files.setLastModifiedTime(p, TIME);
        return p;
    }

    @Test
    void writesANewFileThenKeepsIt() throws IOException {
        byte[] b = random(3000);
        write(TreeParts.file("f", 0640, b.length), b);
        Path f = target.resolve("f");
        assertThat(f).hasBinaryContent(b);
        assertThat(TreeParts.mode(f) & 07777).isEqualTo(0640);
        assertThat(Files.getLastModifiedTime(f)).isEqualTo(TIME);
        assertThat(stats.written).isOne();
        assertThat(stats.bytesWritten).isEqualTo(b.length);
        long ino = TreeParts.inode(f);
        write(TreeParts.file("f", 0640, b.length), b);
        assertThat(stats.unchanged).isOne();
        assertThat(stats.bytesKept).isEqualTo(b.length);
        write(TreeParts.file("f", 0600, b.length), b);
        assertThat(stats.metadataUpdated).isOne();
        assertThat(TreeParts.inode(f)).isEqualTo(ino);
        assertThat(TreeParts.names(target)).containsExactly("f");
    }

    @Test
    void rewritesADifferingFileFromItsEqualPrefix() throws IOException {
        byte[] old = random(3 << 20);
        Path f = existing(target.resolve("f"), old, "rw-r--r--");
        long ino = TreeParts.inode(f);
        byte[] b = old.clone();
        b[b.length - 1] ^= 1;
        write(TreeParts.file("f", 0644, b.length), b);
        assertThat(f).hasBinaryContent(b);
        assertThat(TreeParts.inode(f)).isNotEqualTo(ino);
        assertThat(stats.bytesKept).isEqualTo(2 << 20);
        assertThat(stats.bytesWritten).isEqualTo(1 << 20);
        assertThat(TreeParts.names(target)).containsExactly("f");
    }

    @Test
    void leavesZeroBlocksAsHoles() throws Exception {
        byte[] b = new byte[8 << 20];
        b[b.length - 1] = 1;
        write(TreeParts.file("sparse", 0644, b.length), b);
        Path f = target.resolve("sparse");
        assertThat(f).hasBinaryContent(b);
        Process p = new ProcessBuilder("stat", "-c", "%b", f.toString()).start();
        long blocks = Long.parseLong(new String(p.getInputStream().readAllBytes()).strip());
        assertThat(blocks * 512).isLessThan(1 << 20);
    }

    @Test
    void aFileWithOtherHardLinksIsReplacedNotChangedInPlace() throws IOException {
        byte[] b = random(1000);
        Path f = existing(target.resolve("f"), b, "rw-r--r--");
        Path other = Files.createLink(target.resolve("other"), f);
        write(TreeParts.file("f", 0600, b.length), b);
        assertThat(TreeParts.mode(f) & 07777).isEqualTo(0600);
        assertThat(TreeParts.mode(other) & 07777).isEqualTo(0644);
        assertThat(TreeParts.inode(f)).isNotEqualTo(TreeParts.inode(other));
        assertThat(stats.bytesKept).isEqualTo(b.length);
    }

    @Test
    void seedFilesAreHardLinkedWhenEqualElseCopied() throws IOException {
        Assumptions.assumeTrue(TreeParts.root(), "the entries are owned by root");
        byte[] b = random(5000);
        Path s = existing(seed.resolve("f"), b, "rw-r--r--");
        Path g = existing(seed.resolve("g"), b, "rw-------");
        writer(true).regularFile(TreeParts.in(dir, TreeParts.file("f", 0644, b.length)), new ByteArrayInputStream(b));
        writer(true).regularFile(TreeParts.in(dir, TreeParts.file("g", 0644, b.length)), new ByteArrayInputStream(b));
        assertThat(TreeParts.inode(target.resolve("f"))).isEqualTo(TreeParts.inode(s));
        assertThat(TreeParts.inode(target.resolve("g"))).isNotEqualTo(TreeParts.inode(g));
        assertThat(target.resolve("g")).hasBinaryContent(b);
        assertThat(TreeParts.mode(target.resolve("g")) & 07777).isEqualTo(0644);
        assertThat(TreeParts.mode(g) & 07777).isEqualTo(0600);
        assertThat(stats.hardlinked).isOne();
        assertThat(stats.fromSeed).isEqualTo(2);
        assertThat(stats.bytesFromSeeds).isEqualTo(2L * b.length);
    }

    @Test
    void aTruncatedPayloadLeavesTheOldFileAndNoTemporaryOne() throws IOException {
        byte[] old = random(100);
        Path f = existing(target.resolve("f"), old, "rw-r--r--");
        byte[] b = random(2 << 20);
        assertThatThrownBy(() -> write(TreeParts.file("f", 0644, b.length), Arrays.copyOf(b, 1 << 20)))
                .isInstanceOf(IOException.class).hasMessage(target + "/f: archive ends inside the file's payload");
        installer.abandon();
        assertThat(f).hasBinaryContent(old);
        assertThat(TreeParts.names(target)).containsExactly("f");
    }

    @Test
    void specialFilesAreKeptWhenEqualElseReplaced() throws IOException {
        ContentWriter w = writer(false);
        w.special(TreeParts.in(dir, TreeParts.symlink("l", "a")));
        assertThat(Files.readSymbolicLink(target.resolve("l"))).isEqualTo(Path.of("a"));
        w.special(TreeParts.in(dir, TreeParts.symlink("l", "a")));
        assertThat(stats.unchanged).isOne();
        w.special(TreeParts.in(dir, TreeParts.symlink("l", "b")));
        assertThat(Files.readSymbolicLink(target.resolve("l"))).isEqualTo(Path.of("b"));
        w.special(TreeParts.in(dir, TreeParts.entry("p", S_IFIFO | 0600, 0, 0, MTIME, List.of(), -1, null)));
        assertThat(TreeParts.mode(target.resolve("p"))).isEqualTo(S_IFIFO | 0600);
        assertThat(stats.written).isEqualTo(3);
        if (TreeParts.root()) {
            CatarEntry dev = new CatarEntry(TreeParts.bytes("null"), TreeParts.bytes("null"), 2, 0, TreeParts.FLAGS,
                    S_IFCHR | 0666, 0, 0, 0, MTIME, null, null, List.of(), List.of(), null, null, -1, null, 1, 3, -1,
                    new byte[0]);
            w.special(TreeParts.in(dir, dev));
            assertThat(Files.getAttribute(target.resolve("null"), "unix:rdev")).isEqualTo(0x103L);
            assertThat(TreeParts.names(target)).containsExactly("l", "null", "p");
        } else {
            assertThat(TreeParts.names(target)).containsExactly("l", "p");
        }
    }
}
