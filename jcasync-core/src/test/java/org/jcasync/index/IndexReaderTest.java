package org.jcasync.index;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IndexReaderTest {
    private static final long FLAGS = 0xb000000000000000L;
    private static final ChunkerParams P = ChunkerParams.parse("64:128:256");
    /** Chunk sizes of the valid sample index. */
    private static final int[] SIZES = {100, 200, 50};

    @TempDir
    Path tmp;

    /** A valid index: header, three items (end offsets 100, 300, 350), tail. */
    static byte[] valid() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        IndexWriter w = new IndexWriter(bo, FLAGS, P);
        for (int i = 0; i < SIZES.length; i++) {
            w.add(DigestAlgorithm.SHA512_256.digest(new byte[] {(byte) i}, 0, 1), SIZES[i]);
        }
        w.finish();
        return bo.toByteArray();
    }

    private static byte[] with(Consumer<ByteBuffer> change) throws IOException {
        byte[] b = valid();
        change.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        return b;
    }

    private static int item(int i) {
        return 64 + 40 * i;
    }

    private Path file(byte[] content) throws IOException {
        Path p = tmp.resolve("sample-" + Integer.toHexString(Arrays.hashCode(content)) + ".caibx");
        Files.write(p, content);
        return p;
    }

    /** Reads {@code content} from a file and expects an IndexFormatException naming the file and the problem. */
    private void rejects(byte[] content, String reason) throws IOException {
        Path p = file(content);
        assertThatThrownBy(() -> IndexReader.read(p))
                .isInstanceOf(IndexFormatException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining(reason);
        // The stream variant names whatever name it is given.
        assertThatThrownBy(() -> IndexReader.read(new java.io.ByteArrayInputStream(content), "stream-name"))
                .isInstanceOf(IndexFormatException.class)
                .hasMessageContaining("stream-name");
    }

    @Test
    void validSampleIsAccepted() throws IOException {
        Index idx = IndexReader.read(file(valid()));
        assertThat(idx.size()).isEqualTo(3);
        assertThat(idx.length()).isEqualTo(350);
        assertThat(idx.params()).isEqualTo(P);
        assertThat(idx.featureFlags()).isEqualTo(FLAGS);
    }

    @Test
    void emptyHexDumpFromTheReferenceIsAccepted() throws IOException {
        Index idx = IndexReader.read(file(HexFormat.of().parseHex(IndexWriterTest.EMPTY_CAIBX_HEX)));
        assertThat(idx.size()).isZero();
        assertThat(idx.params()).isEqualTo(ChunkerParams.DEFAULT);
        assertThat(idx.digest()).isEqualTo(DigestAlgorithm.SHA512_256);
    }

    @Test
    void missingFileNamesTheFile() {
        Path p = tmp.resolve("nope.caibx");
        assertThatThrownBy(() -> IndexReader.read(p)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(p.toString());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8, 47, 48, 63})
    void truncatedHeader(int len) throws IOException {
        rejects(Arrays.copyOf(valid(), len), "truncated");
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 65, 103, 104, 150, 183, 184, 223})
    void truncatedTableOrTail(int len) throws IOException {
        byte[] v = valid();
        assertThat(len).isLessThan(v.length);
        rejects(Arrays.copyOf(v, len), "truncated");
    }

    @Test
    void oneTrailingByteAfterTheTail() throws IOException {
        byte[] v = valid();
        rejects(Arrays.copyOf(v, v.length + 1), "trailing");
        byte[] e = HexFormat.of().parseHex(IndexWriterTest.EMPTY_CAIBX_HEX);
        rejects(Arrays.copyOf(e, e.length + 1), "trailing");
    }

    @Test
    void wrongMagic() throws IOException {
        rejects(with(b -> b.putLong(8, IndexWriter.TYPE_INDEX ^ 1)), "header");
        rejects(with(b -> b.putLong(0, 49)), "header");
        // A catar ENTRY is not an index.
        rejects(with(b -> b.putLong(8, 0x1396fabcea5bbb51L)), "header");
    }

    @Test
    void wrongTableHeader() throws IOException {
        rejects(with(b -> b.putLong(48, 64)), "table");
        rejects(with(b -> b.putLong(56, IndexWriter.TYPE_TABLE + 1)), "table");
    }

    @Test
    void nonNormalizedFlags() throws IOException {
        // permissions + read-only: permissions implies dropping read-only.
        rejects(with(b -> b.putLong(16, FLAGS | 0x180L)), "normalized");
        // nsec + usec time.
        rejects(with(b -> b.putLong(16, 0x30L)), "normalized");
        // 16-bit and 32-bit uids together.
        rejects(with(b -> b.putLong(16, 0x3L)), "normalized");
        // flag-nodump with EXCLUDE_NODUMP.
        rejects(with(b -> b.putLong(16, FLAGS | 0x100000L)), "normalized");
    }

    @Test
    void unknownFlagBits() throws IOException {
        rejects(with(b -> b.putLong(16, FLAGS | 0x200000000L)), "unsupported");
        rejects(with(b -> b.putLong(16, 0x0800000000000000L)), "unsupported");
        rejects(with(b -> b.putLong(16, -1L)), "unsupported");
    }

    @Test
    void badChunkSizes() throws IOException {
        rejects(with(b -> b.putLong(24, 129)), "chunk sizes");          // min > avg
        rejects(with(b -> b.putLong(40, 127)), "chunk sizes");          // max < avg
        rejects(with(b -> b.putLong(24, 0)), "chunk sizes");            // min 0
        rejects(with(b -> b.putLong(40, (128L << 20) + 1)), "chunk sizes"); // max > 128 MiB
        rejects(with(b -> b.putLong(40, -1L)), "chunk sizes");          // huge (unsigned)
    }

    @Test
    void nonIncreasingOffsets() throws IOException {
        rejects(with(b -> b.putLong(item(1), 100)), "non-increasing");  // equal to the previous
        rejects(with(b -> b.putLong(item(2), 99)), "non-increasing");   // smaller
        rejects(with(b -> b.putLong(item(0), 0)), "non-increasing");    // first chunk empty
        rejects(with(b -> b.putLong(item(1), -5L)), "larger than");     // "negative" = huge unsigned
    }

    @Test
    void chunkLargerThanMax() throws IOException {
        rejects(with(b -> b.putLong(item(0), 257)), "larger than the maximum");
        rejects(with(b -> b.putLong(item(1), 100 + 257)), "larger than the maximum");
        // Exactly max is fine.
        IndexReader.read(file(with(b -> {
            b.putLong(item(1), 100 + 256);
            b.putLong(item(2), 100 + 256 + 50);
        })));
    }

    @Test
    void tailWithWrongSizeOrFieldsIsNotATail() throws IOException {
        int t = item(3);
        // Each broken tail is then read as an item (offset 0 -> non-increasing) or runs into EOF.
        for (int field : new int[] {0, 8, 16, 24}) {
            byte[] b = valid();
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            bb.putLong(t + field, bb.getLong(t + field) + 1);
            Path p = file(b);
            assertThatThrownBy(() -> IndexReader.read(p)).as("field %d", field)
                    .isInstanceOf(IndexFormatException.class).hasMessageContaining(p.toString());
        }
        rejects(with(b -> b.putLong(t + 32, IndexWriter.TAIL_MARKER + 1)), "non-increasing");
    }

    /** A stream of the valid index's header followed by valid items (increasing ends) that never ends. */
    private static java.io.InputStream endlessTable(long[] served) throws IOException {
        byte[] header = Arrays.copyOf(valid(), 64);
        return new java.io.InputStream() {
            private long at;

            @Override
            public int read() {
                long o = at++;
                served[0] = at;
                if (o < header.length) {
                    return header[(int) o] & 0xff;
                }
                long item = (o - header.length) / 40;
                int within = (int) ((o - header.length) % 40);
                return within < 8 ? (int) (((item + 1) * 100) >>> (8 * within)) & 0xff : (int) (item + within) & 0xff;
            }
        };
    }

    @Test
    void anEndlessTableStopsAtTheChunkLimitHavingReadNoMore() throws IOException {
        long[] served = new long[1];
        assertThatThrownBy(() -> IndexReader.read(endlessTable(served), "endless.caibx", 5000))
                .hasMessage("endless.caibx: lists more than 5000 chunks, more than this Java heap holds (at 40 bytes "
                        + "a chunk; raise it with -Xmx in JCASYNC_JAVA_OPTS)");
        assertThat(served[0]).as("bytes read").isLessThan(64 + 5001 * 40 + (1 << 16) + 1);
    }

    @Test
    void theChunkLimitFollowsTheHeap() {
        assertThat(IndexReader.maxChunks()).isEqualTo((int) Math.min(Integer.MAX_VALUE / 32 - 1024,
                Math.max(1024, Runtime.getRuntime().maxMemory() / 8 / 40)));
    }
}
