package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackFormatTest {
    @TempDir
    Path tmp;

    static ChunkId id(int i) {
        byte[] b = {(byte) i, (byte) (i >> 8)};
        return DigestAlgorithm.SHA512_256.digest(b, 0, 2);
    }

    static final PackId PACK = PackId.of(DigestAlgorithm.SHA512_256.digestBytes(new byte[] {1}, 0, 1));

    @Test
    void packTableRoundTripsAndFindsEveryChunk() throws IOException {
        List<PackIndex.Entry> e = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            e.add(new PackIndex.Entry(id(i), i * 1000L, 900 + i));
        }
        byte[] file = PackIndex.of(PACK, e).toBytes();
        PackIndex t = PackIndex.parse(PACK, file, "t");
        assertThat(t.size()).isEqualTo(500);
        for (int i = 0; i < 500; i++) {
            assertThat(t.find(id(i))).isEqualTo(e.get(i));
        }
        assertThat(t.find(id(777))).isNull();
        assertThatThrownBy(() -> PackIndex.of(PACK, List.of(e.get(0), e.get(0))))
                .hasMessageContaining("twice");
    }

    @Test
    void damagedPackTablesAreRefused() {
        byte[] good = PackIndex.of(PACK, List.of(new PackIndex.Entry(id(1), 0, 10),
                new PackIndex.Entry(id(2), 10, 10))).toBytes();
        byte[] flipped = good.clone();
        flipped[20] ^= 1;
        assertThatThrownBy(() -> PackIndex.parse(PACK, flipped, "t.capidx")).hasMessage(
                "t.capidx: pack index checksum mismatch (corrupt file)");
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> PackIndex.parse(PACK, magic, "t")).hasMessageContaining("not a pack index");
        byte[] huge = good.clone();
        huge[12] = (byte) 0xff;
        huge[13] = (byte) 0xff;
        huge[14] = (byte) 0xff;
        huge[15] = (byte) 0x7f;
        assertThatThrownBy(() -> PackIndex.parse(PACK, huge, "t")).hasMessageContaining("cannot hold");
        assertThatThrownBy(() -> PackIndex.parse(PACK, java.util.Arrays.copyOf(good, good.length - 1), "t"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void chunkMapRoundTripsAndKnowsItsIndex() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile a = f.make("a", TestData.random(1, 300_000));
        ChunkMap m = ChunkMap.build(a.bytes(), a.index(),
                i -> i % 3 == 0 ? null : new ChunkMap.Location(PACK, i * 100L, 50 + i));
        ChunkMap back = ChunkMap.parse(m.toBytes(), a.index().size(), "m");
        for (int i = 0; i < a.index().size(); i++) {
            assertThat(back.location(i)).isEqualTo(m.location(i));
        }
        assertThat(back.packs()).containsExactly(PACK);
        assertThat(back.matches(a.bytes())).isTrue();
        byte[] other = a.bytes().clone();
        other[other.length - 1] ^= 1;
        assertThat(back.matches(other)).isFalse();
        assertThatThrownBy(() -> ChunkMap.parse(m.toBytes(), a.index().size() + 1, "x.camap"))
                .hasMessageContaining("stale map");
        byte[] bad = m.toBytes();
        bad[bad.length - 40] ^= 1;
        assertThatThrownBy(() -> ChunkMap.parse(bad, a.index().size(), "x.camap"))
                .hasMessageContaining("checksum mismatch");
    }

    @Test
    void chunkMapNamesItsOwnPackOrNone() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile a = f.make("a", TestData.random(1, 300_000));
        PackId other = new PackId("ab".repeat(32));
        ChunkMap.Locator where = i -> new ChunkMap.Location(i % 2 == 0 ? PACK : other, i * 100L, 50);
        assertThat(ChunkMap.parse(ChunkMap.build(a.bytes(), a.index(), where).toBytes(), a.index().size(), "m")
                .ownPack()).isNull();
        ChunkMap m = ChunkMap.build(a.bytes(), a.index(), where, other);
        assertThat(ChunkMap.parse(m.toBytes(), a.index().size(), "m").ownPack()).isEqualTo(other);
        // A pack the map does not use is not named.
        assertThat(ChunkMap.build(a.bytes(), a.index(), i -> new ChunkMap.Location(PACK, i * 100L, 50), other)
                .ownPack()).isNull();
        // An own pack number beyond the pack list is refused (with a checksum that is otherwise right).
        byte[] bad = m.toBytes();
        bad[20] = 3;
        System.arraycopy(org.jcasync.chunk.DigestAlgorithm.SHA512_256.digestBytes(bad, 0, bad.length - 32), 0, bad,
                bad.length - 32, 32);
        assertThatThrownBy(() -> ChunkMap.parse(bad, a.index().size(), "x.camap"))
                .hasMessageContaining("x.camap").hasMessageContaining("own pack 3 of 2");
    }

    @Test
    void aChunkMapIsReadNoFurtherThanItsHeaderSays() throws IOException {
        PackFixture f = new PackFixture(tmp);
        Packer.IndexFile a = f.make("a", TestData.random(1, 300_000));
        byte[] file = ChunkMap.build(a.bytes(), a.index(), i -> new ChunkMap.Location(PACK, i * 100L, 50)).toBytes();
        int n = a.index().size();
        assertThat(ChunkMap.read(new java.io.ByteArrayInputStream(file), n, "m")).isEqualTo(file);
        // Longer than declared: refused at the first extra byte, of an endless stream too.
        java.io.InputStream endless = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(file),
                new java.io.InputStream() {
                    @Override
                    public int read() {
                        return 7;
                    }
                });
        assertThatThrownBy(() -> ChunkMap.read(endless, n, "x.camap"))
                .hasMessage("x.camap: chunk map is longer than the " + file.length + " bytes its header declares");
        assertThatThrownBy(() -> ChunkMap.read(new java.io.ByteArrayInputStream(java.util.Arrays.copyOf(file,
                file.length - 1)), n, "x.camap")).hasMessageContaining("ends after");
        // A header declaring more chunks than allowed is refused before anything is allocated for them.
        assertThatThrownBy(() -> ChunkMap.read(new java.io.ByteArrayInputStream(file), n - 1, "x.camap"))
                .hasMessageContaining("declares " + n + " chunks");
        byte[] packs = file.clone();
        packs[12] = (byte) 0xff;
        packs[13] = (byte) 0xff;
        assertThatThrownBy(() -> ChunkMap.read(new java.io.ByteArrayInputStream(packs), n, "x.camap"))
                .hasMessageContaining("no more packs than chunks");
    }
}
