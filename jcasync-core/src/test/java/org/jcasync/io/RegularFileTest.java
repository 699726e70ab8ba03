package org.jcasync.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Opening files below a directory as a server must: regular files only, no symlink on the way, never blocking. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegularFileTest {
    @TempDir
    Path dir;

    private Path store() throws Exception {
        Path store = Files.createDirectories(dir.resolve("store/ab12"));
        Files.write(store.resolve("chunk"), "content".getBytes());
        return store.getParent();
    }

    @Test
    void regularFilesAreRead() throws Exception {
        Path store = store();
        try (RegularFile f = RegularFile.openBelow(store, "ab12/chunk")) {
            assertThat(f.size()).isEqualTo(7);
            assertThat(f.readAll(100)).isEqualTo("content".getBytes());
            assertThat(f.readAll(6)).isNull();
            byte[] b = new byte[3];
            assertThat(f.readFully(b, 0, 3, 4)).isTrue();
            assertThat(new String(b)).isEqualTo("ent");
            assertThat(f.readFully(b, 0, 3, 5)).isFalse();
        }
        assertThat(RegularFile.isRegularBelow(store, "ab12/chunk")).isTrue();
        // The directory itself may be reached through a symlink: the caller named it.
        Path link = Files.createSymbolicLink(dir.resolve("link"), store);
        assertThat(RegularFile.isRegularBelow(link, "ab12/chunk")).isTrue();
    }

    @Test
    void missingFilesAndDirectories() throws Exception {
        Path store = store();
        assertThatThrownBy(() -> RegularFile.openBelow(store, "ab12/none")).isInstanceOf(NoSuchFileException.class)
                .hasMessage(store.resolve("ab12/none").toString());
        assertThatThrownBy(() -> RegularFile.openBelow(store, "cd34/chunk")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> RegularFile.openBelow(dir.resolve("nowhere"), "ab12/chunk"))
                .isInstanceOf(NoSuchFileException.class);
        assertThat(RegularFile.isRegularBelow(store, "ab12/none")).isFalse();
    }

    @Test
    void symlinksBelowTheDirectoryAreRefused() throws Exception {
        Path store = store();
        Path secret = Files.writeString(dir.resolve("secret"), "secret");
        Files.createSymbolicLink(store.resolve("ab12/link"), secret);
        assertThatThrownBy(() -> RegularFile.openBelow(store, "ab12/link"))
                .isInstanceOf(RegularFile.NotRegularException.class).hasMessageContaining("symbolic link");
        // A directory on the way that is a symlink (to a directory holding a regular file of that name).
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("chunk"), "secret");
        Files.createSymbolicLink(store.resolve("cd34"), elsewhere);
        assertThatThrownBy(() -> RegularFile.openBelow(store, "cd34/chunk"))
                .isInstanceOf(RegularFile.NotRegularException.class).hasMessageContaining("symbolic link");
        assertThat(RegularFile.isRegularBelow(store, "cd34/chunk")).isFalse();
        // A symlink to a regular file inside the directory is refused too: only the file itself is served.
        Files.createSymbolicLink(store.resolve("ab12/inside"), store.resolve("ab12/chunk"));
        assertThat(RegularFile.isRegularBelow(store, "ab12/inside")).isFalse();
    }

    @Test
    void fifosDevicesAndDirectoriesAreRefusedWithoutBlocking() throws Exception {
        Path store = store();
        Process mkfifo = new ProcessBuilder("mkfifo", store.resolve("ab12/fifo").toString()).start();
        assertThat(mkfifo.waitFor()).isZero();
        // Without O_NONBLOCK this open would wait for a writer for ever.
        assertThatThrownBy(() -> RegularFile.openBelow(store, "ab12/fifo"))
                .isInstanceOf(RegularFile.NotRegularException.class)
                .hasMessageEndingWith("is a FIFO, not a regular file");
        assertThatThrownBy(() -> RegularFile.openBelow(store, "ab12"))
                .isInstanceOf(RegularFile.NotRegularException.class).hasMessageContaining("a directory");
        assertThatThrownBy(() -> RegularFile.openBelow(Path.of("/dev"), "null"))
                .isInstanceOf(RegularFile.NotRegularException.class).hasMessageContaining("character device");
        // A file where a directory should be.
        assertThatThrownBy(() -> RegularFile.openBelow(store, "ab12/chunk/x"))
                .isInstanceOf(RegularFile.NotRegularException.class);
    }

    @Test
    void pathsLeavingTheDirectoryAreNotAccepted() throws Exception {
        Path store = store();
        for (String bad : new String[] {"../secret", "ab12/../ab12/chunk", "/etc/passwd", "ab12//chunk", "./ab12",
                ""}) {
            assertThatThrownBy(() -> RegularFile.openBelow(store, bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
