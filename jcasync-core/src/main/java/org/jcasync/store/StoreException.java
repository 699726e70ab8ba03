package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;

/** A chunk store failed for one chunk; the message names the chunk and the store. */
public class StoreException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient ChunkId id;

    /** A failure for {@code id} (may be null) described by {@code message}. */
    public StoreException(ChunkId id, String message, Throwable cause) {
        super(message, cause);
        this.id = id;
    }

    /** The chunk concerned, or null. */
    public ChunkId chunkId() {
        return id;
    }
}
