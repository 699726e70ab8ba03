package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.jcasync.store.StoreStats.Role;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CachedStoreTest {
    @TempDir
    Path tmp;
    LocalStore backing;
    LocalStore cache;
    CachedStore cached;
    final Role[] servedBy = new Role[1];

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

        assertThat(cached.getWithRole(id, servedBy)).isEqualTo(d);
        assertThat(servedBy[0]).isEqualTo(Role.STORE);
        assertThat(cached.misses()).isEqualTo(1);
        assertThat(cached.hits()).isZero();
        assertThat(cache.has(id)).isTrue();
        assertThat(cache.get(id)).isEqualTo(d);
        long backingRead = backing.bytesRead();

        assertThat(cached.getWithRole(id, servedBy)).isEqualTo(d);
        assertThat(servedBy[0]).isEqualTo(Role.CACHE);
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

        assertThat(cached.getWithRole(id, servedBy)).isEqualTo(d);
        assertThat(servedBy[0]).isEqualTo(Role.STORE);
        assertThat(cached.misses()).isEqualTo(2);
        // The cache holds the good chunk again.
        assertThat(cache.get(id)).isEqualTo(d);
        assertThat(cached.getWithRole(id, servedBy)).isEqualTo(d);
        assertThat(servedBy[0]).isEqualTo(Role.CACHE);
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
    void rolesOfABatchThroughARouterTellCacheHitsApart() throws IOException {
        byte[] a = TestData.random(5, 5000);
        byte[] b = TestData.random(6, 5000);
        ChunkId ida = putBacking(a);
        ChunkId idb = putBacking(b);
        LocalStore extra = new LocalStore(tmp.resolve("extra.castr"), StoreOptions.DEFAULT);
        byte[] c = TestData.random(7, 5000);
        ChunkId idc = DigestAlgorithm.SHA512_256.digest(c, 0, c.length);
        extra.put(idc, c, 0, c.length);
        cached.get(ida);
        StoreRouter router = new StoreRouter(List.of(cached, extra));
        Role[] roles = new Role[3];
        byte[][] got = router.getAllWithRoles(List.of(ida, idb, idc), roles);
        assertThat(got).isDeepEqualTo(new byte[][] {a, b, c});
        assertThat(roles).containsExactly(Role.CACHE, Role.STORE, Role.STORE);
        assertThat(router.getWithRole(ida, servedBy)).isEqualTo(a);
        assertThat(servedBy[0]).isEqualTo(Role.CACHE);
        assertThat(router.getWithRole(idc, servedBy)).isEqualTo(c);
        assertThat(servedBy[0]).isEqualTo(Role.STORE);
        // The stats name the cache's role, not a "cache " prefix of its location.
        StoreStats first = router.stats().getFirst();
        assertThat(first.role()).isEqualTo(Role.CACHE);
        assertThat(first.location()).isEqualTo(cache.location());
        assertThat(first.label()).isEqualTo("cache " + cache.location());
        assertThat(router.stats().subList(1, 3)).extracting(StoreStats::role).containsOnly(Role.STORE);
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
