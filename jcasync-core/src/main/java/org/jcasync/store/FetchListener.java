package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;

/** Told about each chunk a store delivered, with its bytes as the store keeps them (so a cache can keep those). */
@FunctionalInterface
public interface FetchListener {
    /**
     * @param id the chunk
     * @param data its verified, uncompressed bytes
     * @param stored its bytes as the store keeps them (a compressed frame), or null when the store cannot tell
     */
    void fetched(ChunkId id, byte[] data, byte[] stored) throws IOException;
}
