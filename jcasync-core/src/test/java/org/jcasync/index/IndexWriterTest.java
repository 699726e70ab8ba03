package org.jcasync.index;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IndexWriterTest {
    /** The 104-byte index casync writes for an empty blob (reference §4). */
    static final String EMPTY_CAIBX_HEX = ""
            + "3000000000000000" + "f99f127b9c4d8296" + "000000000000" + "00b0" + "0040000000000000"
            + "0000010000000000" + "0000040000000000" + "ffffffffffffffff" + "7d41172f119e5be7"
            + "0000000000000000" + "0000000000000000" + "3000000000000000" + "3800000000000000" + "d1ec49550e054f4b";

    @Test
    void emptyIndexIsByteExact() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (IndexWriter w = new IndexWriter(bo, 0xb000000000000000L, ChunkerParams.DEFAULT)) {
            assertThat(w.length()).isZero();
        }
        assertThat(bo.size()).isEqualTo(104);
        assertThat(HexFormat.of().formatHex(bo.toByteArray())).isEqualTo(EMPTY_CAIBX_HEX);
    }

    @Test
    void layoutOfItemsAndTail() throws IOException {
        ChunkerParams p = ChunkerParams.parse("64:128:256");
        ChunkId a = DigestAlgorithm.SHA512_256.digest(new byte[] {1}, 0, 1);
        ChunkId b = DigestAlgorithm.SHA512_256.digest(new byte[] {2}, 0, 1);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        IndexWriter w = new IndexWriter(bo, 0x2000000000000000L, p);
        w.add(a, 100);
        w.add(b, 256);
        assertThat(w.length()).isEqualTo(356);
        w.finish();
        w.finish(); // idempotent: no second tail
        w.close();
        byte[] f = bo.toByteArray();
        assertThat(f).hasSize(104 + 2 * 40);
        ByteBuffer bb = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bb.getLong(0)).isEqualTo(48);
        assertThat(bb.getLong(8)).isEqualTo(IndexWriter.TYPE_INDEX);
        assertThat(bb.getLong(16)).isEqualTo(0x2000000000000000L);
        assertThat(bb.getLong(24)).isEqualTo(64);
        assertThat(bb.getLong(32)).isEqualTo(128);
        assertThat(bb.getLong(40)).isEqualTo(256);
        assertThat(bb.getLong(48)).isEqualTo(-1L);
        assertThat(bb.getLong(56)).isEqualTo(IndexWriter.TYPE_TABLE);
        assertThat(bb.getLong(64)).isEqualTo(100);
        assertThat(ChunkId.of(f, 72)).isEqualTo(a);
        assertThat(bb.getLong(104)).isEqualTo(356);
        assertThat(ChunkId.of(f, 112)).isEqualTo(b);
        int t = 64 + 2 * 40;
        assertThat(bb.getLong(t)).isZero();
        assertThat(bb.getLong(t + 8)).isZero();
        assertThat(bb.getLong(t + 16)).isEqualTo(48);
        assertThat(bb.getLong(t + 24)).isEqualTo(f.length - 48);
        assertThat(bb.getLong(t + 32)).isEqualTo(IndexWriter.TAIL_MARKER);
    }

    @Test
    void rejectsEmptyAndOversizedChunks() throws IOException {
        ChunkerParams p = ChunkerParams.parse("64:128:256");
        ChunkId id = DigestAlgorithm.SHA256.digest(new byte[1], 0, 1);
        IndexWriter w = new IndexWriter(new ByteArrayOutputStream(), 0x9000000000000000L, p);
        assertThatThrownBy(() -> w.add(id, 0)).isInstanceOf(IOException.class).hasMessageContaining("64:128:256");
        assertThatThrownBy(() -> w.add(id, 257)).isInstanceOf(IOException.class);
        w.add(id, 256);
        assertThat(w.length()).isEqualTo(256);
        // max < 48 without fixed-size chunking can never work; the message says why.
        IndexWriter tiny = new IndexWriter(new ByteArrayOutputStream(), 0, ChunkerParams.parse("10:20:40"));
        assertThatThrownBy(() -> tiny.add(id, 48)).hasMessageContaining("at least 48");
    }

    @Test
    void roundTripThroughReader() throws Exception {
        ChunkerParams p = ChunkerParams.parse("1K");
        byte[] data = TestData.random(11, 200_000);
        long[] cuts = TestData.referenceCuts(data, p);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        IndexWriter w = new IndexWriter(bo, 0xb000000000000000L, p);
        ChunkId[] ids = new ChunkId[cuts.length];
        long prev = 0;
        for (int i = 0; i < cuts.length; i++) {
            ids[i] = DigestAlgorithm.SHA512_256.digest(data, (int) prev, (int) (cuts[i] - prev));
            w.add(ids[i], (int) (cuts[i] - prev));
            prev = cuts[i];
        }
        w.finish();
        assertThat(bo.size()).isEqualTo(104 + 40 * cuts.length);
        Index idx = IndexReader.read(new java.io.ByteArrayInputStream(bo.toByteArray()), "mem");
        assertThat(idx.size()).isEqualTo(cuts.length);
        assertThat(idx.params()).isEqualTo(p);
        for (int i = 0; i < cuts.length; i++) {
            assertThat(idx.end(i)).isEqualTo(cuts[i]);
            assertThat(idx.id(i)).isEqualTo(ids[i]);
        }
    }
}
