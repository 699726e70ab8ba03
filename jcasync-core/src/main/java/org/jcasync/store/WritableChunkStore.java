package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;

/** A store chunks can be added to. */
public interface WritableChunkStore extends ChunkStore {
    /**
     * Stores {@code data[off, off+len)}, whose digest is {@code id}, compressed; atomic (a crash never leaves a
     * partial chunk under its real name).
     *
     * @return false when the store already had the chunk (nothing was compressed or written)
     */
    boolean put(ChunkId id, byte[] data, int off, int len) throws IOException;

    /**
     * Stores a chunk given as the bytes a store keeps ({@code stored}: a compressed frame, already verified by the
     * caller to decompress to the chunk {@code id}) without compressing it again. Default: decompress and
     * {@link #put}.
     *
     * @return false when the store already had the chunk
     */
    default boolean putStored(ChunkId id, byte[] stored) throws IOException {
        byte[] data = Compression.decompress(stored, stored.length, Integer.MAX_VALUE - 16);
        return put(id, data, 0, data.length);
    }
}
