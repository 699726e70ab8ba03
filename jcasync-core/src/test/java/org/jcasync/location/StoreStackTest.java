package org.jcasync.location;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.TestData;
import org.jcasync.pack.ChunkMap;
import org.jcasync.pack.PackFixture;
import org.jcasync.pack.PackedStore;
import org.jcasync.pack.Packer;
import org.jcasync.store.CachedStore;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link StoreStack}: the stores an index is read from, in order, with packs and cache, opened by location. */
class StoreStackTest {
    @TempDir
    Path tmp;
    final List<String> warnings = new ArrayList<>();

    private StoreStack stack() {
        return StoreStack.builder().warnings(warnings::add);
    }

    @Test
    void theDefaultStoreIsBesideTheIndexAndExtraStoresFollowInOrder() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile idx = f.make("a", TestData.random(1, 300_000));
        // The chunks are in "s"; "default.castr" beside the index is empty, so the extra store supplies them.
        Files.createDirectories(tmp.resolve("default.castr"));
        StoreStack stores = stack().extraStores(List.of(tmp.resolve("s").toString()));
        IndexInput in = stores.readIndex(idx.path().toString());
        try (ChunkStore s = stores.openFor(in)) {
            ChunkId id = in.index().id(0);
            assertThat(s.get(id)).hasSize(in.index().chunkSize(0));
            assertThat(s.stats()).extracting(StoreStats::location)
                    .containsExactly(tmp.resolve("default.castr").toString(), tmp.resolve("s").toString());
        }
        try (ChunkStore s = stack().openFor(in)) {
            assertThatThrownBy(() -> s.get(in.index().id(0))).isInstanceOf(ChunkMissingException.class);
        }
    }

    @Test
    void aCacheGoesInFrontWithItsRole() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile idx = f.make("a", TestData.random(2, 300_000));
        StoreStack stores = stack().store(tmp.resolve("s").toString()).cache(tmp.resolve("c").toString());
        IndexInput in = stores.readIndex(idx.path().toString());
        try (ChunkStore s = stores.openFor(in)) {
            assertThat(s).isInstanceOf(CachedStore.class);
            s.get(in.index().id(0));
            assertThat(s.stats()).extracting(StoreStats::role).containsExactly(StoreStats.Role.CACHE,
                    StoreStats.Role.STORE);
        }
        assertThat(new LocalStore(tmp.resolve("c"), StoreOptions.DEFAULT).has(in.index().id(0))).isTrue();
    }

    @Test
    void anUpToDateChunkMapReadsThePacksAStaleOneIsAWarning() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile idx = f.make("a", TestData.random(3, 300_000));
        new Packer(f.store()).pack(List.of(idx), false);
        StoreStack stores = stack().store(tmp.resolve("s").toString());
        try (ChunkStore s = stores.openFor(stores.readIndex(idx.path().toString()))) {
            assertThat(s).isInstanceOf(PackedStore.class);
        }
        try (ChunkStore s = stack().store(tmp.resolve("s").toString()).chunkMaps(false)
                .openFor(stores.readIndex(idx.path().toString()))) {
            assertThat(s).isInstanceOf(LocalStore.class);
        }
        // Another version of the index under the same name: its map is stale.
        Path map = tmp.resolve("a.caibx" + ChunkMap.SUFFIX);
        byte[] mapBytes = Files.readAllBytes(map);
        f.make("a", TestData.random(4, 300_000));
        Files.write(map, mapBytes);
        try (ChunkStore s = stores.openFor(stores.readIndex(idx.path().toString()))) {
            assertThat(s).isInstanceOf(LocalStore.class);
        }
        assertThat(warnings).singleElement().asString().contains("stale").endsWith("; reading loose chunks");
    }

    @Test
    void aUrlIsNotALocalPath() {
        assertThatThrownBy(() -> Locations.local("https://host/x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a local path is needed here, not the URL https://host/x");
        assertThat(Locations.defaultStore(null, "https://host/dir/x.caibx"))
                .isEqualTo(System.getenv("CASYNC_STORE") != null && !System.getenv("CASYNC_STORE").isEmpty()
                        ? System.getenv("CASYNC_STORE") : "https://host/dir/default.castr");
    }
}
