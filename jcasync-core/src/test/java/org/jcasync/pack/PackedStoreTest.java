package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.TestData;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackedStoreTest {
    @TempDir
    Path tmp;

    record Setup(PackFixture f, Packer.IndexFile idx, ChunkMap map, PackFixture.CountingSource src) {
        PackedStore open() {
            return new PackedStore(idx.index(), map, src, f.store, StoreOptions.DEFAULT);
        }

        List<ChunkId> ids() {
            return PackerTest.ids(idx);
        }
    }

    Setup setup(boolean packedOnly, int maxRanges) throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile idx = f.make("x", TestData.random(9, 2_000_000));
        new Packer(f.store).pack(List.of(idx), packedOnly);
        ChunkMap map = ChunkMap.parse(Files.readAllBytes(idx.mapPath()), idx.index().size(), "m");
        return new Setup(f, idx, map, new PackFixture.CountingSource(f.store.root(), maxRanges));
    }

    @Test
    void announcedChunksComeInAFewCoalescedReads() throws IOException {
        Setup s = setup(true, 1000);
        List<ChunkId> ids = s.ids();
        List<ChunkId> every3rd = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += 3) {
            every3rd.add(ids.get(i));
        }
        try (PackedStore p = s.open()) {
            p.willNeed(every3rd);
            for (int i = 0; i < every3rd.size(); i += 7) {
                List<ChunkId> batch = every3rd.subList(i, Math.min(every3rd.size(), i + 7));
                byte[][] got = p.getAll(batch);
                for (int k = 0; k < got.length; k++) {
                    assertThat(got[k]).isNotNull();
                }
            }
            assertThat(p.chunksFromPacks()).isEqualTo(every3rd.size());
        }
        // 2 MB of chunks are well under one request's size: a single read with one range per gap.
        assertThat(s.src().calls.get()).isEqualTo(1);
        assertThat(s.src().ranges.get()).isEqualTo(every3rd.size());
    }

    @Test
    void rangeLimitsSplitRequests() throws IOException {
        Setup s = setup(true, 10);
        List<ChunkId> every2nd = new ArrayList<>();
        for (int i = 0; i < s.ids().size(); i += 2) {
            every2nd.add(s.ids().get(i));
        }
        try (PackedStore p = s.open()) {
            p.willNeed(every2nd);
            p.getAll(every2nd);
        }
        assertThat(s.src().calls.get()).isEqualTo((every2nd.size() + 9) / 10);
    }

    @Test
    @Timeout(30)
    void readersNeverWaitForChunksQueuedBehindOthers() throws IOException {
        Setup s = setup(true, 1);
        List<ChunkId> ids = new ArrayList<>(s.ids());
        try (PackedStore p = s.open()) {
            p.willNeed(ids);
            // Taken in the reverse order of the plan: each is fetched on demand rather than waited for.
            Collections.reverse(ids);
            for (ChunkId id : ids) {
                assertThat(p.get(id)).isNotNull();
            }
        }
    }

    @Test
    void wrongBytesInAPackAreRefusedAndLooseCopiesUsed() throws IOException {
        Setup s = setup(false, 1000);
        corruptPack(s);
        try (PackedStore p = s.open()) {
            p.willNeed(s.ids());
            byte[][] got = p.getAll(s.ids());
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).isEqualTo(s.f().store.get(s.ids().get(i)));
            }
            assertThat(p.stats().getFirst().errors()).isPositive();
        }
    }

    @Test
    void wrongBytesInAPackWithoutLooseCopiesAreAnError() throws IOException {
        Setup s = setup(true, 1000);
        corruptPack(s);
        try (PackedStore p = s.open()) {
            p.willNeed(s.ids());
            assertThatThrownBy(() -> p.getAll(s.ids())).isInstanceOf(ChunkInvalidException.class)
                    .hasMessageContaining("pack");
        }
    }

    @Test
    void aMissingPackFallsBackToLooseChunks() throws IOException {
        Setup s = setup(false, 1000);
        for (PackId id : s.map().packs()) {
            Files.delete(s.f().store.root().resolve(id.packPath()));
        }
        try (PackedStore p = s.open()) {
            p.willNeed(s.ids());
            assertThat(java.util.Arrays.asList(p.getAll(s.ids()))).doesNotContainNull();
            assertThat(p.chunksFromPacks()).isZero();
        }
    }

    /** Version b of a 1 MB image (a) with 5 MB appended, each packed in turn; b's store reads. */
    record Update(PackFixture f, Packer.IndexFile b, PackId ownOfB, PackFixture.CountingSource src, PackedStore store) {
        List<ChunkId> ids() {
            return PackerTest.ids(b);
        }

        /** b's chunks in its own pack (what a has not). */
        List<ChunkId> added() throws IOException {
            ChunkMap m = PackerTest.map(b);
            List<ChunkId> l = new ArrayList<>();
            for (int i = 0; i < b.index().size(); i++) {
                if (m.location(i).pack().equals(ownOfB) && !l.contains(b.index().id(i))) {
                    l.add(b.index().id(i));
                }
            }
            return l;
        }
    }

    Update update() throws IOException {
        PackFixture f = new PackFixture(tmp);
        byte[] v1 = TestData.random(21, 1_000_000);
        Packer.IndexFile a = f.make("a", v1);
        Packer.IndexFile b = f.make("b", PackerTest.concat(v1, TestData.random(22, 5_000_000)));
        new Packer(f.store).pack(List.of(a), false);
        PackId own = new Packer(f.store).pack(List.of(b), false).pack().pack();
        PackFixture.CountingSource src = new PackFixture.CountingSource(f.store.root(), 1000);
        return new Update(f, b, own, src, new PackedStore(b.index(), PackerTest.map(b), src, f.store,
                StoreOptions.DEFAULT));
    }

    @Test
    @Timeout(30)
    void aGuessFetchesTheOwnPacksChunksBeforeTheRealListArrives() throws Exception {
        Update u = update();
        try (PackedStore p = u.store()) {
            p.mayNeed(u.ids());
            // The guess starts on its own: the own pack is read before anything else is asked.
            while (u.src().calls.get() == 0) {
                Thread.sleep(5);
            }
            assertThat(u.src().paths).allMatch(x -> x.equals(u.ownOfB().packPath()));
            List<ChunkId> added = u.added();
            p.willNeed(added);
            byte[][] got = p.getAll(added);
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).isEqualTo(u.f().store.get(added.get(i)));
            }
            assertThat(p.chunksFromPacks()).isEqualTo(added.size());
        }
        // Only b's own pack was read, and each of its chunks once.
        assertThat(u.src().paths).containsOnly(u.ownOfB().packPath());
        assertThat(u.src().ranges.get()).isLessThanOrEqualTo(u.src().calls.get());
    }

    @Test
    @Timeout(30)
    void wrongGuessesNotStartedAreDroppedAndOthersStillFetched() throws Exception {
        Update u = update();
        java.util.concurrent.Semaphore gate = new java.util.concurrent.Semaphore(0);
        u.src().gate = gate;
        List<ChunkId> added = u.added();
        try (PackedStore p = u.store()) {
            p.mayNeed(u.ids());
            // The first guessed request (of two: they are at most 4 MB) has started and waits at the gate.
            while (!gate.hasQueuedThreads()) {
                Thread.sleep(5);
            }
            // The seeds turned out to hold all but the first two new chunks, and two of a's.
            List<ChunkId> real = new ArrayList<>(added.subList(0, 2));
            List<ChunkId> old = u.ids().stream().filter(id -> !added.contains(id)).limit(2).toList();
            real.addAll(old);
            p.willNeed(real);
            gate.release(1000);
            byte[][] got = p.getAll(real);
            for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).isEqualTo(u.f().store.get(real.get(i)));
            }
            Thread.sleep(500); // time for a guessed request that was not dropped to be made
        }
        // The guessed request that had started (it brought the two new chunks) and one for a's two chunks; the
        // second guessed request was dropped.
        assertThat(u.src().paths).hasSize(2).containsOnlyOnce(u.ownOfB().packPath());
    }

    @Test
    void withoutAnOwnPackNothingIsGuessed() throws Exception {
        Setup s = setup(false, 1000);
        ChunkMap noOwn = ChunkMap.build(s.idx().bytes(), s.idx().index(), s.map()::location);
        try (PackedStore p = new PackedStore(s.idx().index(), noOwn, s.src(), s.f().store, StoreOptions.DEFAULT)) {
            p.mayNeed(s.ids());
            Thread.sleep(200);
            assertThat(s.src().calls.get()).isZero();
            p.willNeed(s.ids());
            assertThat(java.util.Arrays.asList(p.getAll(s.ids()))).doesNotContainNull();
        }
    }

    /** Flips a byte every 50,000 of every pack file. */
    static void corruptPack(Setup s) throws IOException {
        for (PackId id : s.map().packs()) {
            TestData.flipBytes(s.f().store.root().resolve(id.packPath()), 100, 50_000);
        }
    }
}
