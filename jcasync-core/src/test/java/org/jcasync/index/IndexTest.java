package org.jcasync.index;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class IndexTest {

    private static Index build(long flags, ChunkerParams p, int... sizes) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        IndexWriter w = new IndexWriter(bo, flags, p);
        for (int i = 0; i < sizes.length; i++) {
            byte[] b = {(byte) i, (byte) (i >> 8)};
            w.add(DigestAlgorithm.fromFeatureFlags(flags).digest(b, 0, 2), sizes[i]);
        }
        w.finish();
        return IndexReader.read(new ByteArrayInputStream(bo.toByteArray()), "test");
    }

    @Test
    void offsetsAndLookup() throws IOException {
        Index idx = build(0xb000000000000000L, ChunkerParams.parse("64:128:256"), 100, 256, 1, 64);
        assertThat(idx.size()).isEqualTo(4);
        assertThat(idx.length()).isEqualTo(421);
        assertThat(idx.featureFlags()).isEqualTo(0xb000000000000000L);
        assertThat(idx.digest()).isEqualTo(DigestAlgorithm.SHA512_256);
        assertThat(idx.start(0)).isZero();
        assertThat(idx.end(0)).isEqualTo(100);
        assertThat(idx.start(1)).isEqualTo(100);
        assertThat(idx.end(1)).isEqualTo(356);
        assertThat(idx.start(2)).isEqualTo(356);
        assertThat(idx.end(2)).isEqualTo(357);
        assertThat(idx.start(3)).isEqualTo(357);
        assertThat(idx.end(3)).isEqualTo(421);
        assertThat(idx.chunkSize(0)).isEqualTo(100);
        assertThat(idx.chunkSize(1)).isEqualTo(256);
        assertThat(idx.chunkSize(2)).isEqualTo(1);
        assertThat(idx.chunkSize(3)).isEqualTo(64);

        assertThat(idx.chunkAt(0)).isZero();
        assertThat(idx.chunkAt(99)).isZero();
        assertThat(idx.chunkAt(100)).isEqualTo(1);
        assertThat(idx.chunkAt(355)).isEqualTo(1);
        assertThat(idx.chunkAt(356)).isEqualTo(2);
        assertThat(idx.chunkAt(357)).isEqualTo(3);
        assertThat(idx.chunkAt(420)).isEqualTo(3);
        assertThat(idx.chunkAt(421)).isEqualTo(-1);
        assertThat(idx.chunkAt(1_000_000)).isEqualTo(-1);

        ChunkId id1 = DigestAlgorithm.SHA512_256.digest(new byte[] {1, 0}, 0, 2);
        assertThat(idx.id(1)).isEqualTo(id1);
        assertThat(idx.idEquals(1, id1.toBytes())).isTrue();
        assertThat(idx.idEquals(0, id1.toBytes())).isFalse();
    }

    @Test
    void sha256FlagSelectsDigest() throws IOException {
        Index idx = build(0x9000000000000000L, ChunkerParams.DEFAULT, 5);
        assertThat(idx.digest()).isEqualTo(DigestAlgorithm.SHA256);
        assertThat(idx.id(0)).isEqualTo(DigestAlgorithm.SHA256.digest(new byte[2], 0, 2));
    }

    @Test
    void emptyIndex() throws IOException {
        Index idx = build(0xb000000000000000L, ChunkerParams.DEFAULT);
        assertThat(idx.size()).isZero();
        assertThat(idx.length()).isZero();
        assertThat(idx.chunkAt(0)).isEqualTo(-1);
    }

    @Test
    void manyChunksGrowTheTables() throws IOException {
        int n = 5000; // more than the reader's initial 1024 slots
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = 1 + i % 256;
        }
        Index idx = build(0xb000000000000000L, ChunkerParams.parse("1:128:256"), sizes);
        assertThat(idx.size()).isEqualTo(n);
        long off = 0;
        for (int i = 0; i < n; i++) {
            assertThat(idx.start(i)).isEqualTo(off);
            off += sizes[i];
            assertThat(idx.end(i)).isEqualTo(off);
            assertThat(idx.chunkAt(off - 1)).isEqualTo(i);
            assertThat(idx.id(i)).isEqualTo(
                    DigestAlgorithm.SHA512_256.digest(new byte[] {(byte) i, (byte) (i >> 8)}, 0, 2));
        }
        assertThat(idx.length()).isEqualTo(off);
    }
}
