package org.jcasync.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Marked temporaries: names, locks, and the removal of those no live process holds. */
class TempFilesTest {
    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aTemporaryIsNamedAsCasyncDoesWithAMarkAndFitsInAName(@TempDir Path dir) throws IOException {
        AtomicFile a = AtomicFile.create(dir.resolve("image.bin"));
        assertThat(a.temp().getFileName().toString()).matches("\\.#image\\.bin\\.jcasync-[0-9a-f]{16}");
        a.close();
        String longName = "é".repeat(120) + ".img";
        try (AtomicFile b = AtomicFile.create(dir.resolve(longName))) {
            String t = b.temp().getFileName().toString();
            assertThat(t.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
            assertThat(t).startsWith(".#éé").matches(".*\\.jcasync-[0-9a-f]{16}");
            b.channel().write(java.nio.ByteBuffer.wrap(new byte[] {1}));
            b.commit();
        }
        assertThat(Files.readAllBytes(dir.resolve(longName))).containsExactly(1);
        assertThat(TempFiles.randomName("x".repeat(300).getBytes(StandardCharsets.UTF_8))).hasSize(255);
    }

    @Test
    void staleTemporariesOfTheSameTargetAreRemovedAndNothingElse(@TempDir Path dir) throws Exception {
        Path stale = dir.resolve(".#out.bin.jcasync-00112233445566ff");
        Files.write(stale, new byte[100]);
        List<String> others = List.of(".#out.bin0011223344556677", ".#other.bin.jcasync-0011223344556677",
                ".#out.bin.jcasync-xyz", "out.bin");
        for (String o : others) {
            Files.write(dir.resolve(o), new byte[1]);
        }
        Files.createDirectory(dir.resolve(".#out.bin.jcasync-0123456789abcdef"));
        // One held by a live process (flock(1) holds the lock while its command runs; -o: the command does not).
        Path held = dir.resolve(".#out.bin.jcasync-aaaaaaaaaaaaaaaa");
        Files.write(held, new byte[1]);
        Process locker = new ProcessBuilder("flock", "-o", "-x", held.toString(), "sleep", "60").start();
        try {
            Thread.sleep(300);
            assertThat(locker.isAlive()).isTrue();
            assertThat(TempFiles.removeStale(dir, "out.bin")).isEqualTo(1);
            assertThat(names(dir)).doesNotContain(stale.getFileName().toString())
                    .contains(held.getFileName().toString(), ".#out.bin.jcasync-0123456789abcdef")
                    .containsAll(others);
        } finally {
            locker.descendants().forEach(ProcessHandle::destroyForcibly);
            locker.destroyForcibly();
            locker.waitFor(10, TimeUnit.SECONDS);
        }
        // Once its holder is gone, it is stale too.
        assertThat(TempFiles.removeStale(dir, "out.bin")).isEqualTo(1);
        assertThat(held).doesNotExist();
    }

    @Test
    void ownTemporariesInUseAreNotTakenForStale(@TempDir Path dir) throws IOException {
        try (AtomicFile a = AtomicFile.create(dir.resolve("x.caibx"));
             AtomicFile b = AtomicFile.create(dir.resolve("x.caibx"))) {
            assertThat(a.temp()).exists();
            assertThat(b.temp()).exists();
            assertThat(TempFiles.removeStale(dir, "x.caibx")).isZero();
        }
        assertThat(names(dir)).isEmpty();
    }

    @Test
    void aMissingDirectoryIsNamedInTheError(@TempDir Path dir) {
        Path target = dir.resolve("no/such/out.bin");
        assertThatThrownBy(() -> AtomicFile.create(target)).isInstanceOf(FileSystemException.class)
                .hasMessage(target + ": cannot create a temporary file beside it: its directory " + target.getParent()
                        + " does not exist");
    }
}
