package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

/** The store has the chunk but its bytes are not the chunk: bad compression, wrong size or wrong digest. */
public class ChunkInvalidException extends StoreException {
    private static final long serialVersionUID = 1L;

    /** {@code id} in {@code store} is broken because of {@code reason}. */
    public ChunkInvalidException(ChunkId id, String store, String reason, Throwable cause) {
        super(id, "chunk " + id + " in store " + store + " is corrupt: " + reason, cause);
    }
}
