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
}
