package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CachedStoreTest {
    @TempDir
    Path tmp;
    LocalStore backing;
    LocalStore cache;
    CachedStore cached;

    @BeforeEach
    void setUp() {
        backing = new LocalStore(tmp.resolve("remote.castr"), StoreOptions.DEFAULT);
        // The cache directory does not exist yet: the first miss must create it.
        cache = new LocalStore(tmp.resolve("cache/dir.castr"), StoreOptions.DEFAULT);
        cached = new CachedStore(cache, backing);
    }

    private ChunkId putBacking(byte[] d) throws IOException {
        ChunkId id = DigestAlgorithm.SHA512_256.digest(d, 0, d.length);
        backing.put(id, d, 0, d.length);
        return id;
    }

    @Test
    void missFillsTheCacheThenHits() throws IOException {
        byte[] d = TestData.random(1, 5000);
        ChunkId id = putBacking(d);
        assertThat(cache.has(id)).isFalse();
        assertThat(cached.has(id)).isTrue();

        assertThat(cached.get(id)).isEqualTo(d);
        assertThat(cached.lastGetWasHit()).isFalse();
        assertThat(cached.misses()).isEqualTo(1);
        assertThat(cached.hits()).isZero();
        assertThat(cache.has(id)).isTrue();
        assertThat(cache.get(id)).isEqualTo(d);
        long backingRead = backing.bytesRead();

        assertThat(cached.get(id)).isEqualTo(d);
        assertThat(cached.lastGetWasHit()).isTrue();
        assertThat(cached.hits()).isEqualTo(1);
        assertThat(cached.misses()).isEqualTo(1);
        assertThat(backing.bytesRead()).isEqualTo(backingRead);

        // Served from the cache even when the backing store lost it.
        Files.delete(backing.chunkPath(id));
        assertThat(cached.get(id)).isEqualTo(d);
        assertThat(cached.hits()).isEqualTo(2);
    }

    @Test
    void corruptCachedChunkIsRepairedFromBacking() throws IOException {
        byte[] d = TestData.random(2, 5000);
        ChunkId id = putBacking(d);
        cached.get(id);
        Path f = cache.chunkPath(id);
        byte[] other = TestData.random(3, 5000);
        Files.write(f, Compression.ZSTD.compress(other, 0, other.length));
        assertThatThrownBy(() -> cache.get(id)).isInstanceOf(ChunkInvalidException.class);

        assertThat(cached.get(id)).isEqualTo(d);
        assertThat(cached.lastGetWasHit()).isFalse();
        assertThat(cached.misses()).isEqualTo(2);
        // The cache holds the good chunk again.
        assertThat(cache.get(id)).isEqualTo(d);
        assertThat(cached.get(id)).isEqualTo(d);
        assertThat(cached.lastGetWasHit()).isTrue();
    }

    @Test
    void garbageInCacheIsRepairedToo() throws IOException {
        byte[] d = TestData.random(4, 5000);
        ChunkId id = putBacking(d);
        cached.get(id);
        Files.write(cache.chunkPath(id), new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 1});
        assertThat(cached.get(id)).isEqualTo(d);
        assertThat(cache.get(id)).isEqualTo(d);
    }

    @Test
    void missingEverywhereIsMissing() throws IOException {
        Files.createDirectories(backing.root());
        ChunkId id = DigestAlgorithm.SHA512_256.digest(new byte[] {7}, 0, 1);
        assertThatThrownBy(() -> cached.get(id)).isInstanceOf(ChunkMissingException.class)
                .hasMessageContaining(id.toHex());
        assertThat(cached.has(id)).isFalse();
    }

    @Test
    void corruptInBackingIsReported() throws IOException {
        byte[] d = TestData.random(5, 5000);
        ChunkId id = putBacking(d);
        Files.write(backing.chunkPath(id), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> cached.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(backing.location());
        assertThat(cache.has(id)).isFalse();
    }

    @Test
    void locationNamesBoth() {
        assertThat(cached.location()).contains(backing.location()).contains(cache.location());
    }

    @Test
    void storedFrameOfAMissIsKeptAndTheNextOneIsAHit() throws IOException {
        byte[] d = TestData.random(6, 7000);
        ChunkId id = putBacking(d);
        byte[] frame = cached.getStored(id);
        assertThat(Compression.decompress(frame, frame.length, 1 << 20)).isEqualTo(d);
        assertThat(cache.has(id)).isTrue();
        assertThat(cached.misses()).isEqualTo(1);
        assertThat(cached.getStored(id)).isEqualTo(Files.readAllBytes(cache.chunkPath(id)));
        assertThat(cached.hits()).isEqualTo(1);
        assertThatThrownBy(() -> cached.getStored(DigestAlgorithm.SHA512_256.digest(new byte[] {1}, 0, 1)))
                .isInstanceOf(ChunkMissingException.class);
    }
}
