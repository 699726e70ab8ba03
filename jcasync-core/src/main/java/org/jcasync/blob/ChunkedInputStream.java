package org.jcasync.blob;

import org.jcasync.io.Futures;
import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreException;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The stream an index describes: its chunks read in order from a store, each verified by the store's
 * {@link ChunkStore#get}, with a bounded window of chunks fetched ahead on a pool. Memory: the window, whatever the
 * stream's size. Closing cancels the fetches still pending (the store and the pool stay open).
 */
public final class ChunkedInputStream extends org.jcasync.io.BlockInputStream {
    /** Chunks per store request: a store verifies a batch with one multi-buffer digest call. */
    private static final int BATCH = 8;
    private final Index index;
    private final ChunkStore store;
    private final ExecutorService pool;
    private final int ahead;
    private final ArrayDeque<Future<byte[][]>> window = new ArrayDeque<>();
    private int next;
    private byte[][] batch;
    private int inBatch;
    private boolean closed;
    private boolean announced;

    /** Reads {@code index}'s chunks from {@code store}, fetching up to {@code ahead} chunks ahead on {@code pool}. */
    public ChunkedInputStream(Index index, ChunkStore store, ExecutorService pool, int ahead) {
        this.index = index;
        this.store = store;
        this.pool = pool;
        this.ahead = Math.max(1, (ahead + BATCH - 1) / BATCH);
    }

    @Override
    protected byte[] nextBlock() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (!announced) {
            // Every chunk will be read, in order: stores that fetch in bulk (packs) can plan for all of them.
            announced = true;
            java.util.List<ChunkId> all = new java.util.ArrayList<>(index.size());
            for (int p = 0; p < index.size(); p++) {
                all.add(index.id(p));
            }
            store.willNeed(all);
        }
        if (batch == null || inBatch == batch.length) {
            while (next < index.size() && window.size() < ahead) {
                final int from = next;
                final int to = Math.min(index.size(), from + BATCH);
                next = to;
                window.add(pool.submit(() -> fetch(from, to)));
            }
            if (window.isEmpty()) {
                return null;
            }
            batch = Futures.await(window.poll());
            inBatch = 0;
        }
        return batch[inBatch++];
    }

    private byte[][] fetch(int from, int to) throws IOException {
        java.util.List<ChunkId> ids = new java.util.ArrayList<>(to - from);
        for (int p = from; p < to; p++) {
            ids.add(index.id(p));
        }
        byte[][] got = store.getAll(ids);
        for (int k = 0; k < got.length; k++) {
            ChunkId id = ids.get(k);
            if (got[k] == null) {
                throw new org.jcasync.store.ChunkMissingException(id, store.location());
            }
            if (got[k].length != index.chunkSize(from + k)) {
                throw new StoreException(id, "chunk " + id + " from " + store.location() + " has " + got[k].length
                        + " bytes, the index says " + index.chunkSize(from + k), null);
            }
        }
        return got;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Future<byte[][]> f : window) {
                f.cancel(true);
            }
            window.clear();
            discard();
        }
    }
}
