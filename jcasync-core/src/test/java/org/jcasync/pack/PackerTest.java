package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
