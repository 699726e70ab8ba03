package org.jcasync.tree;

import org.jcasync.internal.fs.Posix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jcasync.tree.TreeParts.bytes;

/** {@link EntryInstaller}: temporary names, renames over files and directories, removals that follow no link. */
class EntryInstallerTest {
    @TempDir
    Path tmp;

    @Test
    void temporaryNamesAreCasyncsAndFit255Bytes() {
        byte[] t = EntryInstaller.tempName(bytes("name"));
        assertThat(new String(t)).matches("\\.#name[0-9a-f]{16}");
        byte[] longName = new byte[255];
        Arrays.fill(longName, (byte) 'x');
        assertThat(EntryInstaller.tempName(longName)).hasSize(255);
        assertThat(EntryInstaller.tempName(bytes("name"))).isNotEqualTo(t);
    }

    @Test
    void installsOverAFileAndSwapsWithADirectory() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        Files.writeString(d.resolve("f"), "old");
        Files.writeString(d.resolve(".#new"), "new");
        Files.createDirectories(d.resolve("g/sub"));
        Files.writeString(d.resolve("g/sub/x"), "x");
        Files.writeString(d.resolve(".#g"), "file instead of a directory");
        EntryInstaller installer = new EntryInstaller(false);
        ExtractDir dir = TreeParts.open(d);
        try {
            installer.install(TreeParts.in(dir, TreeParts.file("f", 0644, 3)), bytes(".#new"));
            installer.install(TreeParts.in(dir, TreeParts.file("g", 0644, 27)), bytes(".#g"));
        } finally {
            dir.close();
        }
        assertThat(Files.readString(d.resolve("f"))).isEqualTo("new");
        assertThat(Files.readString(d.resolve("g"))).isEqualTo("file instead of a directory");
        assertThat(TreeParts.names(d)).containsExactly("f", "g");
    }

    @Test
    void removeTreeDoesNotFollowSymlinks() throws IOException {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "keep");
        Path d = Files.createDirectories(tmp.resolve("d/a/b"));
        Files.createSymbolicLink(d.resolve("link"), outside);
        Files.writeString(d.resolve("f"), "f");
        int fd = Posix.openDirectory(tmp.resolve("d").toString());
        try {
            new EntryInstaller(false).removeTree(fd, bytes("a"), tmp + "/d/a");
        } finally {
            Posix.close(fd);
        }
        assertThat(tmp.resolve("d/a")).doesNotExist();
        assertThat(outside.resolve("keep")).hasContent("keep");
    }

    @Test
    void abandonRemovesTheEntryBeingBuiltOnly() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        Files.createDirectories(d.resolve(".#x1234/sub"));
        Files.writeString(d.resolve("kept"), "k");
        EntryInstaller installer = new EntryInstaller(false);
        int fd = Posix.openDirectory(d.toString());
        try {
            installer.building(fd, bytes(".#x1234"));
            installer.abandon();
        } finally {
            Posix.close(fd);
        }
        assertThat(TreeParts.names(d)).containsExactly("kept");
        // once installed, it is no longer removed
        Files.writeString(d.resolve(".#y"), "y");
        installer = new EntryInstaller(false);
        ExtractDir dir = TreeParts.open(d);
        try {
            installer.building(dir.fd, bytes(".#y"));
            installer.installBuilt(TreeParts.in(dir, TreeParts.file("y", 0644, 1)), bytes(".#y"));
            installer.abandon();
        } finally {
            dir.close();
        }
        assertThat(TreeParts.names(d)).containsExactly("kept", "y");
    }

    @Test
    void immutableEntriesAreRemovedOnlyWhenAsked() throws Exception {
        Assumptions.assumeTrue(TreeParts.root(), "chattr +i needs root");
        Path d = Files.createDirectory(tmp.resolve("d"));
        Path f = Files.writeString(d.resolve("f"), "f");
        Assumptions.assumeTrue(new ProcessBuilder("chattr", "+i", f.toString()).start().waitFor() == 0,
                "file system has chattr +i");
        int fd = Posix.openDirectory(d.toString());
        try {
            assertThatThrownBy(() -> new EntryInstaller(false).removeTree(fd, bytes("f"), d + "/f"))
                    .isInstanceOf(IOException.class).hasMessage(d + "/f: remove: Operation not permitted");
            new EntryInstaller(true).removeTree(fd, bytes("f"), d + "/f");
        } finally {
            Posix.close(fd);
            new ProcessBuilder("chattr", "-i", f.toString()).start().waitFor();
        }
        assertThat(f).doesNotExist();
    }
}
