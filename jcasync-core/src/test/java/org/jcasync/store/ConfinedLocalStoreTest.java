package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A local store with {@link StoreOptions#confinedFiles}, as servers open theirs: only regular files reached without a
 * symlink below the root are read, nothing blocks on a FIFO, nothing is written through a symlinked directory. The
 * same store opened as clients open it follows the symlinks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfinedLocalStoreTest {
    @TempDir
    Path tmp;

    private final StoreOptions confined = StoreOptions.DEFAULT.withConfinedFiles();

    private static ChunkId id(byte[] data) {
        return LocalStoreTest.id(data);
    }

    @Test
    void regularChunksAreServedAsUsual() throws Exception {
        LocalStore store = new LocalStore(tmp.resolve("s"), confined);
        byte[] data = TestData.random(1, 20_000);
        assertThat(store.put(id(data), data, 0, data.length)).isTrue();
        assertThat(store.has(id(data))).isTrue();
        assertThat(store.get(id(data))).isEqualTo(data);
        assertThat(store.getStored(id(data))).isEqualTo(Files.readAllBytes(store.chunkPath(id(data))));
        byte[] raw = TestData.random(2, 3000);
        Path rawFile = tmp.resolve("s").resolve(id(raw).prefix()).resolve(id(raw).toHex());
        Files.createDirectories(rawFile.getParent());
        Files.write(rawFile, raw);
        assertThat(store.has(id(raw))).isTrue();
        assertThat(store.get(id(raw))).isEqualTo(raw);
        // casync's marker of a missing chunk is still one.
        byte[] gone = TestData.random(3, 3000);
        Path marker = tmp.resolve("s").resolve(id(gone).prefix()).resolve(id(gone).toHex());
        Files.createDirectories(marker.getParent());
        Files.createSymbolicLink(marker, Path.of("/dev/null"));
        assertThat(store.has(id(gone))).isFalse();
        assertThatThrownBy(() -> store.get(id(gone))).isInstanceOf(ChunkMissingException.class);
        Files.delete(marker);
    }

    @Test
    void aChunkFileThatIsASymlinkIsNotRead() throws Exception {
        // The link points at a good frame of the very chunk it names: still refused, the content is not the point.
        LocalStore elsewhere = new LocalStore(tmp.resolve("elsewhere"), StoreOptions.DEFAULT);
        byte[] data = TestData.random(4, 20_000);
        ChunkId id = id(data);
        elsewhere.put(id, data, 0, data.length);
        Path link = tmp.resolve("s").resolve(id.prefix()).resolve(id.toHex() + LocalStore.SUFFIX);
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, elsewhere.chunkPath(id));
        LocalStore store = new LocalStore(tmp.resolve("s"), confined);
        assertThat(store.has(id)).isFalse();
        assertThatThrownBy(() -> store.getStored(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(link.toString()).hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining("symbolic link");
        // As a client opens it, the link is followed.
        assertThat(new LocalStore(tmp.resolve("s"), StoreOptions.DEFAULT).get(id)).isEqualTo(data);
    }

    @Test
    void aDirectoryOfTheStoreThatIsASymlinkIsNotReadNorWrittenThrough() throws Exception {
        LocalStore elsewhere = new LocalStore(tmp.resolve("elsewhere"), StoreOptions.DEFAULT);
        byte[] data = TestData.random(5, 20_000);
        ChunkId id = id(data);
        elsewhere.put(id, data, 0, data.length);
        Files.createDirectories(tmp.resolve("s"));
        Files.createSymbolicLink(tmp.resolve("s").resolve(id.prefix()), elsewhere.chunkPath(id).getParent());
        LocalStore store = new LocalStore(tmp.resolve("s"), confined);
        assertThat(store.has(id)).isFalse();
        assertThatThrownBy(() -> store.getStored(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining("symbolic link");
        // Another chunk of the same prefix is not written into the other directory.
        byte[] other = sameprefix(id, 6);
        assertThatThrownBy(() -> store.put(id(other), other, 0, other.length)).isInstanceOf(StoreException.class)
                .hasMessageContaining("symbolic link");
        try (var files = Files.list(elsewhere.chunkPath(id).getParent())) {
            assertThat(files.toList()).containsExactly(elsewhere.chunkPath(id));
        }
        assertThat(new LocalStore(tmp.resolve("s"), StoreOptions.DEFAULT).get(id)).isEqualTo(data);
    }

    /** Data whose chunk id starts with the same four hex digits as {@code id}. */
    private static byte[] sameprefix(ChunkId id, long seed) {
        for (long s = seed; ; s++) {
            byte[] d = TestData.random(s, 100);
            if (id(d).prefix().equals(id.prefix())) {
                return d;
            }
        }
    }

    @Test
    void aFifoWhereAChunkShouldBeIsRefusedAtOnce() throws Exception {
        LocalStore store = new LocalStore(tmp.resolve("s"), confined);
        byte[] data = TestData.random(7, 2000);
        ChunkId id = id(data);
        Path fifo = store.chunkPath(id);
        Files.createDirectories(fifo.getParent());
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertThat(store.has(id)).isFalse();
        assertThatThrownBy(() -> store.getStored(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining("FIFO");
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining("FIFO");
    }
}
