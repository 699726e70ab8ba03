package org.jcasync.tree;

import org.jcasync.catar.ArchiveFormatException;
import org.jcasync.catar.ArchiveMutator;
import org.jcasync.catar.CatarDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jcasync.tree.TreeParts.archive;
import static org.jcasync.tree.TreeParts.extract;
import static org.jcasync.tree.TreeParts.names;

/**
 * {@link TreeExtractor}, the walk over the decoded stream: a tree comes out as it went in (the extracted tree
 * serializes to the same bytes), is updated in place, entries of other types are replaced, the rest deleted, a
 * sub-tree can be extracted alone, symlinks in the target redirect nothing, and a failure leaves no temporary entry.
 */
class TreeExtractorTest {
    static final TreeExtractOptions DEFAULTS = TreeExtractOptions.defaults();

    @TempDir
    Path tmp;

    Path source() throws IOException {
        Path s = Files.createDirectory(tmp.resolve("src"));
        Files.writeString(s.resolve("small"), "hello\n");
        byte[] big = new byte[3 << 20];
        new Random(1).nextBytes(big);
        Files.write(s.resolve("big"), big);
        Files.createDirectories(s.resolve("a/b/c"));
        Files.writeString(s.resolve("a/b/c/f"), "deep");
        Files.setPosixFilePermissions(s.resolve("a/b/c/f"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createDirectories(s.resolve("empty"));
        Files.createSymbolicLink(s.resolve("link"), Path.of("small"));
        Files.getFileAttributeView(s.resolve("small"), UserDefinedFileAttributeView.class)
                .write("x", ByteBuffer.wrap("y".getBytes(StandardCharsets.UTF_8)));
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(s.resolve("sock")));
        }
        new ProcessBuilder("mkfifo", s.resolve("fifo").toString()).start().onExit().join();
        for (String p : List.of("small", "big", "a/b/c/f", "a/b/c", "a", "empty", ".")) {
            Files.setLastModifiedTime(s.resolve(p), FileTime.from(Instant.ofEpochSecond(1_500_000_000L, 123)));
        }
        return s;
    }

    @Test
    void treeComesOutAsItWentInAndASecondRunChangesNothing() throws IOException {
        byte[] a = archive(source());
        Path t = tmp.resolve("t");
        TreeExtractStats first = extract(a, t, DEFAULTS);
        assertThat(archive(t)).isEqualTo(a);
        assertThat(first.entries()).isEqualTo(11);
        assertThat(first.directoriesCreated()).isEqualTo(5);
        assertThat(first.written()).isEqualTo(6);
        assertThat(first.bytesWritten()).isEqualTo((3 << 20) + 6 + 4);
        TreeExtractStats second = extract(a, t, DEFAULTS);
        assertThat(second.unchanged()).isEqualTo(11);
        assertThat(second.bytesKept()).isEqualTo((3 << 20) + 6 + 4);
        assertThat(archive(t)).isEqualTo(a);
    }

    @Test
    void replacesEntriesOfAnotherTypeAndDeletesWhatIsNotListed() throws IOException {
        byte[] a = archive(source());
        Path t = Files.createDirectory(tmp.resolve("t"));
        Files.createDirectories(t.resolve("small/sub"));       // a directory where the archive has a file
        Files.writeString(t.resolve("a"), "a file where the archive has a directory");
        Files.createSymbolicLink(t.resolve("empty"), Path.of("a"));
        Files.createDirectories(t.resolve("old/x"));
        Files.writeString(t.resolve("junk"), "junk");
        TreeExtractStats s = extract(a, t, DEFAULTS);
        assertThat(archive(t)).isEqualTo(a);
        assertThat(s.deleted()).isEqualTo(2);
        assertThat(names(t)).noneMatch(n -> n.contains(".#"));
    }

    @Test
    void keepsWhatIsNotListedWithoutDelete() throws IOException {
        byte[] a = archive(source());
        Path t = Files.createDirectory(tmp.resolve("t"));
        Files.writeString(t.resolve("junk"), "junk");
        TreeExtractOptions keep = new TreeExtractOptions(-1L, false, false, false, true, true, 0, 0, List.of(),
                true);
        assertThat(extract(a, t, keep).deleted()).isZero();
        assertThat(t.resolve("junk")).hasContent("junk");
    }

    @Test
    void aSymlinkInTheTargetRedirectsNothing() throws IOException {
        byte[] a = archive(source());
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path t = Files.createDirectory(tmp.resolve("t"));
        Files.createSymbolicLink(t.resolve("a"), outside);
        extract(a, t, DEFAULTS);
        assertThat(names(outside)).isEmpty();
        assertThat(Files.isSymbolicLink(t.resolve("a"))).isFalse();
        assertThat(t.resolve("a/b/c/f")).hasContent("deep");
    }

    @Test
    void extractsOneSubtreeUnderItsOwnName() throws IOException {
        byte[] a = archive(source());
        Path t = Files.createDirectory(tmp.resolve("t"));
        Files.writeString(t.resolve("other"), "untouched");
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(a))) {
            new TreeExtractor(DEFAULTS).extract(d, t, "a/b".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(names(t)).containsExactly("b", "b/c", "b/c/f", "other");
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(a))) {
            new TreeExtractor(DEFAULTS).extract(d, t, "small".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(t.resolve("small")).hasContent("hello\n");
        assertThatThrownBy(() -> {
            try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(a))) {
                new TreeExtractor(DEFAULTS).extract(d, t, "nope".getBytes(StandardCharsets.UTF_8));
            }
        }).isInstanceOf(IOException.class).hasMessage("'nope' is not in the archive");
    }

    @Test
    void aTruncatedArchiveLeavesNoTemporaryEntry() throws IOException {
        Path s = source();
        byte[] a = archive(s);
        Path t = tmp.resolve("t");
        extract(a, t, DEFAULTS);
        // the new version has a changed big file and a directory where "small" was a file
        byte[] oldBig = Files.readAllBytes(s.resolve("big"));
        byte[] big = oldBig.clone();
        big[big.length - 1] ^= 1;
        Files.write(s.resolve("big"), big);
        Files.delete(s.resolve("small"));
        Files.createDirectories(s.resolve("small/deeper"));
        byte[] changed = archive(s);
        for (int cut : new int[] {changed.length / 2, changed.length - 100}) {
            assertThatThrownBy(() -> extract(Arrays.copyOf(changed, cut), t, DEFAULTS))
                    .isInstanceOf(ArchiveFormatException.class);
            // each entry is old or new, none half-written
            assertThat(names(t)).noneMatch(n -> n.contains(".#"));
            assertThat(Files.readAllBytes(t.resolve("big"))).satisfiesAnyOf(b -> assertThat(b).isEqualTo(oldBig),
                    b -> assertThat(b).isEqualTo(big));
        }
        extract(changed, t, DEFAULTS);
        assertThat(archive(t)).isEqualTo(changed);
    }

    @Test
    void aRootThatIsNoDirectoryOrAnEmptyArchiveIsRefused() throws IOException {
        Path t = tmp.resolve("t");
        assertThatThrownBy(() -> extract(new byte[0], t, DEFAULTS)).isInstanceOf(ArchiveFormatException.class)
                .hasMessageContaining("archive truncated: missing record");
        assertThat(t).doesNotExist();
    }

    @Test
    void hostileArchivesFailCleanlyAndLeaveNoTemporaryEntry() throws IOException {
        byte[] a = archive(source());
        Path t = tmp.resolve("t");
        extract(a, t, DEFAULTS);
        Random r = new Random(3);
        int failed = 0;
        for (int i = 0; i < 150; i++) {
            byte[] hostile = ArchiveMutator.mutate(a, r);
            try {
                extract(hostile, t, DEFAULTS);
            } catch (IOException e) {
                assertThat(e.getMessage()).doesNotContain("\n");
                failed++;
            }
            assertThat(names(t)).noneMatch(n -> n.contains(".#"));
        }
        assertThat(failed).isGreaterThan(100);
        assertThat(names(tmp)).allMatch(n -> n.startsWith("src") || n.startsWith("t"));
    }
}
