package org.jcasync.index;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Streams a .caibx/.caidx: header, one 40-byte item per chunk (cumulative end offset + id), tail. Byte-identical
 * to casync's writer. The caller owns the stream (and the temp-file-and-rename around it).
 */
public final class IndexWriter implements AutoCloseable {
    /** Header type {@code CA_FORMAT_INDEX}. */
    public static final long TYPE_INDEX = 0x96824d9c7b129ff9L;
    /** Table type {@code CA_FORMAT_TABLE}. */
    public static final long TYPE_TABLE = 0xe75b9e112f17417dL;
    /** Tail marker {@code CA_FORMAT_TABLE_TAIL_MARKER}. */
    public static final long TAIL_MARKER = 0x4b4f050e5549ecd1L;
    /** Size of the index header. */
    public static final int HEADER_SIZE = 48;
    /** Size of a table item and of the tail. */
    public static final int ITEM_SIZE = 40;

    private final OutputStream out;
    private final ChunkerParams params;
    private final ByteBuffer item = ByteBuffer.allocate(ITEM_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private long offset;
    private long items;
    private boolean finished;

    /** Writes the header and table header. */
    public IndexWriter(OutputStream out, long featureFlags, ChunkerParams params) throws IOException {
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.params = params;
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE + 16).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(HEADER_SIZE).putLong(TYPE_INDEX).putLong(featureFlags)
                .putLong(params.min()).putLong(params.avg()).putLong(params.max())
                .putLong(-1L).putLong(TYPE_TABLE);
        this.out.write(h.array());
    }

    /**
     * Appends a chunk of {@code size} bytes.
     *
     * @throws IOException when the chunk is empty or larger than the maximum chunk size
     */
    public void add(ChunkId id, int size) throws IOException {
        if (size <= 0 || size > params.max()) {
            throw new IOException("chunk of " + size + " bytes does not fit the chunk sizes " + params
                    + (size > params.max() && params.max() < ChunkerParams.WINDOW
                    ? " (without fixed-size chunking the maximum must be at least 48 bytes)" : ""));
        }
        offset += size;
        item.clear();
        item.putLong(offset);
        id.copyTo(item.array(), 8);
        out.write(item.array(), 0, ITEM_SIZE);
        items++;
    }

    /** Total bytes indexed so far. */
    public long length() {
        return offset;
    }

    /** Writes the tail and flushes (does not close the underlying stream). */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        ByteBuffer t = ByteBuffer.allocate(ITEM_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        t.putLong(0).putLong(0).putLong(HEADER_SIZE).putLong(16 + items * ITEM_SIZE + ITEM_SIZE).putLong(TAIL_MARKER);
        out.write(t.array());
        out.flush();
        finished = true;
    }

    /** Same as {@link #finish()}: the caller closes the underlying stream. */
    @Override
    public void close() throws IOException {
        finish();
    }
}
