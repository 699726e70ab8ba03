package org.jcasync.tree;

import org.jcasync.catar.CatarEntry;
import org.jcasync.catar.CatarEntry.Xattr;
import org.jcasync.format.FeatureFlags;
import org.jcasync.internal.fs.FileAttributes;
import org.jcasync.internal.fs.Posix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.format.FileMode.S_IFREG;
import static org.jcasync.tree.TreeParts.FLAGS;
import static org.jcasync.tree.TreeParts.MTIME;
import static org.jcasync.tree.TreeParts.REPLAY;
import static org.jcasync.tree.TreeParts.bytes;

/** {@link MetadataApplier}: only what differs is changed, and the caller learns whether anything did. */
class MetadataApplierTest {
    static final byte[] SELF = new byte[0];

    @TempDir
    Path tmp;
    ExtractDir dir;

    @BeforeEach
    void open() throws IOException {
        dir = TreeParts.open(tmp);
    }

    @AfterEach
    void close() {
        dir.close();
    }

    static MetadataApplier applier(long replay) {
        return new MetadataApplier(replay, TreeParts.root(), new IdMapper(replay, 0, 0),
                new FsSpecificAttributes(replay));
    }

    /** Applies {@code n} to the file of its name through a descriptor; whether anything changed. */
    boolean apply(MetadataApplier m, CatarEntry n) throws IOException {
        int fd = Posix.openAt(dir.fd, n.name(), Posix.O_RDONLY | Posix.O_NOFOLLOW, 0, "test");
        try {
            return m.apply(TreeParts.in(dir, n), fd, n.name(), Posix.stat(fd, SELF, "test"));
        } finally {
            Posix.close(fd);
        }
    }

    static String xattr(Path p, String name) throws IOException {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        if (!v.list().contains(name)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(v.size(name));
        v.read(name, b);
        return new String(b.array(), StandardCharsets.UTF_8);
    }

    @Test
    void setsModeTimeOwnerAndXattrsOnceThenReportsNoChange() throws IOException {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        Files.getFileAttributeView(f, UserDefinedFileAttributeView.class).write("old", ByteBuffer.wrap(bytes("1")));
        CatarEntry n = TreeParts.entry("f", S_IFREG | 0640, 1, 2, MTIME,
                List.of(new Xattr(bytes("user.a"), bytes("v"))), 1, null);
        MetadataApplier m = applier(REPLAY);
        assertThat(apply(m, n)).isTrue();
        assertThat(TreeParts.mode(f) & 07777).isEqualTo(0640);
        Instant t = Files.getLastModifiedTime(f).toInstant();
        assertThat(t.getEpochSecond() * 1_000_000_000L + t.getNano()).isEqualTo(MTIME);
        assertThat(xattr(f, "a")).isEqualTo("v");
        assertThat(xattr(f, "old")).isNull();
        if (TreeParts.root()) {
            assertThat(Files.getAttribute(f, "unix:uid")).isEqualTo(1);
            assertThat(Files.getAttribute(f, "unix:gid")).isEqualTo(2);
        }
        assertThat(apply(m, n)).isFalse();
        int fd = Posix.openAt(dir.fd, bytes("f"), Posix.O_RDONLY, 0, "test");
        try {
            EntryContext e = TreeParts.in(dir, n);
            assertThat(m.equalTo(fd, e, Posix.stat(fd, SELF, "test"))).isTrue();
            assertThat(m.equalTo(fd, TreeParts.in(dir, TreeParts.file("f", 0640, 1)), Posix.stat(fd, SELF, "test")))
                    .as("the archive has no xattr").isFalse();
        } finally {
            Posix.close(fd);
        }
    }

    @Test
    void readOnlyArchivesOnlyToggleTheWriteBits() throws IOException {
        long readOnly = FeatureFlags.replay(FeatureFlags.normalize(FeatureFlags.WITH_READ_ONLY
                | FeatureFlags.WITH_NSEC_TIME | FeatureFlags.SHA512_256), -1);
        Path f = Files.writeString(tmp.resolve("f"), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-r--"));
        MetadataApplier m = applier(readOnly);
        assertThat(apply(m, TreeParts.file("f", 0444, 1))).isTrue();
        assertThat(TreeParts.mode(f) & 07777).isEqualTo(0444);
        assertThat(apply(m, TreeParts.file("f", 0666, 1))).isTrue();
        assertThat(TreeParts.mode(f) & 07777).isEqualTo(0666);
        assertThat(apply(m, TreeParts.file("f", 0666, 1))).isFalse();
    }

    @Test
    void symlinksGetTheirOwnTimeByName() throws IOException {
        Path target = Files.writeString(tmp.resolve("target"), "t");
        Files.setLastModifiedTime(target, FileTime.from(Instant.ofEpochSecond(1000)));
        Path link = Files.createSymbolicLink(tmp.resolve("l"), Path.of("target"));
        CatarEntry n = TreeParts.symlink("l", "target");
        MetadataApplier m = applier(REPLAY);
        EntryContext e = TreeParts.in(dir, n);
        assertThat(m.apply(e, -1, n.name(), Posix.stat(dir.fd, n.name(), "test"))).isTrue();
        Instant t = Files.getLastModifiedTime(link, LinkOption.NOFOLLOW_LINKS).toInstant();
        assertThat(t.getEpochSecond() * 1_000_000_000L + t.getNano()).isEqualTo(MTIME);
        assertThat(Files.getLastModifiedTime(target).toInstant()).isEqualTo(Instant.ofEpochSecond(1000));
        assertThat(m.apply(e, -1, n.name(), Posix.stat(dir.fd, n.name(), "test"))).isFalse();
    }

    @Test
    void chattrFlagsAreSetLastAndTheirDifferenceCounts() throws IOException {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        CatarEntry plain = TreeParts.file("f", 0644, 1);
        CatarEntry noatime = new CatarEntry(bytes("f"), bytes("f"), 2, 0, FLAGS, S_IFREG | 0644,
                0x20000L /* WITH_FLAG_NOATIME */, 0, 0, MTIME, null, null, List.of(), List.of(), null, null, -1, null,
                -1, -1, 1, new byte[0]);
        MetadataApplier m = applier(REPLAY);
        apply(m, plain);
        int fd = Posix.openAt(dir.fd, bytes("f"), Posix.O_RDONLY, 0, "test");
        try {
            assertThat(FileAttributes.chattrFlags(fd, "test") & 0x80).isZero();
            assertThat(m.apply(TreeParts.in(dir, noatime), fd, bytes("f"), Posix.stat(fd, SELF, "test")))
                    .as("a differing chattr flag counts as a change").isTrue();
            m.finish(fd, TreeParts.in(dir, noatime), dir);
            assertThat(FileAttributes.chattrFlags(fd, "test") & 0x80).isEqualTo(0x80); // FS_NOATIME_FL
            assertThat(m.apply(TreeParts.in(dir, noatime), fd, bytes("f"), Posix.stat(fd, SELF, "test"))).isFalse();
        } finally {
            Posix.close(fd);
        }
        assertThat(f).exists();
    }

    @Test
    void nothingIsRestoredThatTheReplayFlagsLeaveOut() throws IOException {
        long none = FeatureFlags.replay(FLAGS, FeatureFlags.decodeMask(0, FeatureFlags.WITH_MASK));
        Path f = Files.writeString(tmp.resolve("f"), "x");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        FileTime before = Files.getLastModifiedTime(f);
        CatarEntry n = TreeParts.entry("f", S_IFREG | 0755, 1, 2, MTIME,
                List.of(new Xattr(bytes("user.a"), bytes("v"))), 1, null);
        assertThat(apply(applier(none), n)).isFalse();
        assertThat(TreeParts.mode(f) & 07777).isEqualTo(0600);
        assertThat(Files.getLastModifiedTime(f)).isEqualTo(before);
        assertThat(xattr(f, "a")).isNull();
    }
}
