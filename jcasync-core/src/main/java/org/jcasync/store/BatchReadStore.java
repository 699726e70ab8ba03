package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.util.List;

/**
 * A store that reads in batches (network and pack stores): {@link #get} and {@link #getAll(List)} are a batch of
 * one and a batch without a listener; subclasses implement only {@link #getAll(List, FetchListener)}, which must
 * accept a null listener.
 */
public abstract class BatchReadStore implements ChunkStore {
    @Override
    public byte[] get(ChunkId id) throws IOException {
        byte[] d = getAll(List.of(id), null)[0];
        if (d == null) {
            throw new ChunkMissingException(id, location());
        }
        return d;
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids) throws IOException {
        return getAll(ids, null);
    }

    @Override
    public abstract byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException;
}
