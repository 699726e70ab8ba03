package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

/** The store does not have the chunk. Store routers move on to the next store; nothing else does. */
public class ChunkMissingException extends StoreException {
    private static final long serialVersionUID = 1L;

    /** {@code id} is not in {@code store}. */
    public ChunkMissingException(ChunkId id, String store) {
        super(id, "chunk " + id + " is missing from store " + store, null);
    }
}
