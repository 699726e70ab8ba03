package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.Closeable;
import java.io.IOException;

/** Where chunks are read from. Implementations are safe for concurrent use. */
public interface ChunkStore extends Closeable {
    /**
     * Reads, decompresses and verifies a chunk.
     *
     * @return the uncompressed bytes, whose digest is {@code id}
     * @throws ChunkMissingException when the store does not have it
     * @throws ChunkInvalidException when the stored bytes are not that chunk
     */
    byte[] get(ChunkId id) throws IOException;

    /**
     * Reads several chunks, each verified like {@link #get}; a chunk the store does not have is {@code null} in the
     * result. Stores that can verify a batch together (multi-buffer digests) override this.
     */
    default byte[][] getAll(java.util.List<ChunkId> ids) throws IOException {
        byte[][] out = new byte[ids.size()][];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = get(ids.get(i));
            } catch (ChunkMissingException e) {
                out[i] = null;
            }
        }
        return out;
    }

    /** Whether the store has the chunk (not verified). */
    boolean has(ChunkId id) throws IOException;

    /** Bytes read from where the store keeps its chunks (compressed, as stored), for reports. */
    default long bytesRead() {
        return 0;
    }

    /** Where the store is, for messages. */
    String location();

    @Override
    default void close() throws IOException {
    }
}
