package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.TestData;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PackerTest {
    @TempDir
    Path tmp;

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void eachVersionsNewChunksGoIntoANewPackInIndexOrder() throws IOException {
        PackFixture f = new PackFixture(tmp);
        byte[] v1 = TestData.random(1, 400_000);
        byte[] v2 = concat(v1, TestData.random(2, 100_000));
        Packer.IndexFile a = f.make("a", v1);
        Packer.IndexFile b = f.make("b", v2);
        Packer.PackResult r1 = new Packer(f.store).pack(List.of(a), false);
        assertThat(r1.chunks()).isEqualTo(new HashSet<>(ids(a)).size());
        Packer p2 = new Packer(f.store);
        assertThat(p2.packs()).hasSize(1);
        Packer.PackResult r2 = p2.pack(List.of(b), false);
        Set<ChunkId> added = new HashSet<>(ids(b));
        added.removeAll(ids(a));
        assertThat(r2.chunks()).isEqualTo(added.size()).isPositive();
        // The new pack holds exactly b's new chunks, laid out in b's order.
        PackIndex t = r2.pack();
        long last = -1;
        for (ChunkId id : ids(b)) {
            PackIndex.Entry e = t.find(id);
            if (added.contains(id)) {
                assertThat(e.offset()).isGreaterThan(last);
                last = e.offset();
            } else {
                assertThat(e).isNull();
            }
        }
        // b's map places every chunk in one of the two packs; loose chunks are kept.
        ChunkMap m = ChunkMap.parse(Files.readAllBytes(b.mapPath()), b.index().size(), "m");
        assertThat(m.matches(b.bytes())).isTrue();
        assertThat(m.packedCount()).isEqualTo(b.index().size());
        assertThat(m.packs()).hasSize(2);
        assertThat(f.store.has(ids(b).getFirst())).isTrue();
        // Packing again adds nothing.
        assertThat(new Packer(f.store).pack(List.of(a, b), false).pack()).isNull();
    }

    @Test
    void packedOnlyRemovesLooseCopies() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile a = f.make("a", TestData.random(3, 200_000));
        Packer.PackResult r = new Packer(f.store).pack(List.of(a), true);
        assertThat(r.looseRemoved()).isEqualTo(r.chunks());
        for (ChunkId id : ids(a)) {
            assertThat(f.store.has(id)).isFalse();
        }
    }

    @Test
    void pruneRemovesDeadPacksAndRewritesMostlyDeadOnes() throws IOException {
        PackFixture f = new PackFixture(tmp);
        byte[] base = TestData.random(4, 400_000);
        Packer.IndexFile a = f.make("a", base);
        new Packer(f.store).pack(List.of(a), false);
        Packer.IndexFile b = f.make("b", TestData.random(5, 300_000));
        new Packer(f.store).pack(List.of(b), false);
        // c keeps a small part of a: a's pack becomes mostly garbage; b's pack all garbage.
        Packer.IndexFile c = f.make("c", java.util.Arrays.copyOf(base, 60_000));
        Packer packer = new Packer(f.store);
        packer.pack(List.of(c), false);
        int before = packer.packs().size();
        Set<ChunkId> used = new HashSet<>(ids(c));
        Packer.PackPruneResult dry = new Packer(f.store).prune(used::contains, List.of(c), 0.5, null, true);
        assertThat(new Packer(f.store).packs()).hasSize(before);
        Packer.PackPruneResult r = new Packer(f.store).prune(used::contains, List.of(c), 0.5, null, false);
        assertThat(r).isEqualTo(dry);
        assertThat(r.removed()).isGreaterThanOrEqualTo(1);
        assertThat(r.rewritten()).isEqualTo(1);
        Packer after = new Packer(f.store);
        for (ChunkId id : ids(c)) {
            assertThat(after.packed(id)).isTrue();
        }
        for (ChunkId id : ids(b)) {
            assertThat(after.packed(id)).isFalse();
        }
        // c's map was rewritten and still places every chunk.
        ChunkMap m = ChunkMap.parse(Files.readAllBytes(c.mapPath()), c.index().size(), "m");
        assertThat(m.packedCount()).isEqualTo(c.index().size());
        for (PackId p : m.packs()) {
            assertThat(after.packs()).containsKey(p);
        }
    }

    @Test
    void eachMapNamesThePackItsIndexAddedAsItsOwn() throws IOException {
        PackFixture f = new PackFixture(tmp);
        byte[] v1 = TestData.random(11, 300_000);
        Packer.IndexFile a = f.make("a", v1);
        Packer.IndexFile b = f.make("b", concat(v1, TestData.random(12, 100_000)));
        PackId packA = new Packer(f.store).pack(List.of(a), false).pack().pack();
        PackId packB = new Packer(f.store).pack(List.of(b), false).pack().pack();
        assertThat(map(a).ownPack()).isEqualTo(packA);
        assertThat(map(b).ownPack()).isEqualTo(packB);
        assertThat(map(b).packs()).containsExactlyInAnyOrder(packA, packB);
        // Packing again adds nothing and keeps what each map names.
        assertThat(new Packer(f.store).pack(List.of(a, b), false).pack()).isNull();
        assertThat(map(a).ownPack()).isEqualTo(packA);
        assertThat(map(b).ownPack()).isEqualTo(packB);
    }

    @Test
    void theOwnPackFollowsItsRewriteByPrune() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile c = f.make("c", TestData.random(13, 100_000));
        Packer.IndexFile d = f.make("d", TestData.random(14, 400_000));
        PackId both = new Packer(f.store).pack(List.of(c, d), false).pack().pack();
        assertThat(map(c).ownPack()).isEqualTo(both);
        // d is gone: the shared pack is mostly garbage and rewritten with c's chunks only.
        Set<ChunkId> used = new HashSet<>(ids(c));
        assertThat(new Packer(f.store).prune(used::contains, List.of(c), 0.5, null, false).rewritten()).isEqualTo(1);
        PackId own = map(c).ownPack();
        assertThat(own).isNotNull().isNotEqualTo(both);
        assertThat(new Packer(f.store).packs()).containsOnlyKeys(own);
    }

    static void age(LocalStore store, PackId pack, Duration ago) throws IOException {
        FileTime t = FileTime.from(Instant.now().minus(ago));
        Files.setLastModifiedTime(store.root().resolve(pack.packPath()), t);
        Files.setLastModifiedTime(store.root().resolve(pack.indexPath()), t);
    }

    static Instant timeOf(LocalStore store, PackId pack) throws IOException {
        return Files.getLastModifiedTime(store.root().resolve(pack.packPath())).toInstant();
    }

    /**
     * A packed-only store where an old pack P1 holds only garbage for the indexes a gc is given; a new version that
     * reuses P1's chunks is packed meanwhile. Its map names P1, which packing freshened: gc (grace period) keeps P1
     * whole, and the new version reads. Without the freshening, gc removed P1 and the new version had no copy of
     * those chunks left.
     */
    @Test
    void packingFreshensThePacksItsMapsNameSoGcKeepsThem() throws IOException {
        PackFixture f = new PackFixture(tmp);
        byte[] old = TestData.random(21, 300_000);
        Packer.IndexFile v1 = f.make("v1", old);
        PackId p1 = new Packer(f.store).pack(List.of(v1), true).pack().pack();
        age(f.store, p1, Duration.ofHours(3));
        Packer.IndexFile other = f.make("other", TestData.random(22, 100_000));
        new Packer(f.store).pack(List.of(other), true);
        Instant before = Instant.now().minusSeconds(60);

        Packer.IndexFile v2 = f.make("v2", concat(old, TestData.random(23, 50_000)));
        new Packer(f.store).pack(List.of(v2), true);
        assertThat(timeOf(f.store, p1)).isAfter(before);
        assertThat(map(v2).packs()).contains(p1);

        // gc is given "other" only (v2 is not known to it yet), with an hour's grace.
        Set<ChunkId> used = new HashSet<>(ids(other));
        Instant keepSince = Instant.now().minus(Duration.ofHours(1));
        Packer.PackPruneResult r = new Packer(f.store).prune(used::contains, List.of(other), 0.5, keepSince, false);
        assertThat(r.young()).isEqualTo(3);
        assertThat(new Packer(f.store).packs()).containsKey(p1);
        try (PackedStore read = new PackedStore(v2.index(), map(v2), new LocalRangeSource(f.store.root()), f.store,
                StoreOptions.DEFAULT)) {
            for (ChunkId id : ids(v2)) {
                assertThat(read.get(id)).isNotNull();
            }
        }
    }

    @Test
    void pruneLeavesPacksYoungerThanTheGracePeriodAlone() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile a = f.make("a", TestData.random(24, 200_000));
        PackId pa = new Packer(f.store).pack(List.of(a), false).pack().pack();
        Packer.IndexFile b = f.make("b", TestData.random(25, 200_000));
        PackId pb = new Packer(f.store).pack(List.of(b), false).pack().pack();
        age(f.store, pa, Duration.ofHours(2));
        Instant keepSince = Instant.now().minus(Duration.ofHours(1));
        Packer.PackPruneResult dry = new Packer(f.store).prune(x -> false, List.of(), 0.5, keepSince, true);
        assertThat(dry.removed()).isEqualTo(1);
        assertThat(dry.young()).isEqualTo(1);
        Packer.PackPruneResult r = new Packer(f.store).prune(x -> false, List.of(), 0.5, keepSince, false);
        assertThat(r).isEqualTo(dry);
        assertThat(new Packer(f.store).packs()).containsOnlyKeys(pb);
    }

    static ChunkMap map(Packer.IndexFile f) throws IOException {
        return ChunkMap.parse(Files.readAllBytes(f.mapPath()), f.index().size(), f.mapPath().toString());
    }

    static List<ChunkId> ids(Packer.IndexFile f) {
        List<ChunkId> l = new java.util.ArrayList<>();
        for (int i = 0; i < f.index().size(); i++) {
            l.add(f.index().id(i));
        }
        return l;
    }
}
