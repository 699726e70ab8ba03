package org.jcasync.blob;

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
    private final Index index;
    private final ChunkStore store;
    private final ExecutorService pool;
    private final int ahead;
    private final ArrayDeque<Future<byte[]>> window = new ArrayDeque<>();
    private int next;
    private int current = -1;
    private boolean closed;

    /** Reads {@code index}'s chunks from {@code store}, fetching up to {@code ahead} chunks ahead on {@code pool}. */
    public ChunkedInputStream(Index index, ChunkStore store, ExecutorService pool, int ahead) {
        this.index = index;
        this.store = store;
        this.pool = pool;
        this.ahead = Math.max(1, ahead);
    }

    @Override
    protected byte[] nextBlock() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (current + 1 >= index.size()) {
            return null;
        }
        while (next < index.size() && next - (current + 1) < ahead) {
            final int p = next++;
            window.add(pool.submit(() -> fetch(p)));
        }
        byte[] chunk = Futures.await(window.poll());
        current++;
        return chunk;
    }

    private byte[] fetch(int p) throws IOException {
        ChunkId id = index.id(p);
        byte[] d = store.get(id);
        if (d.length != index.chunkSize(p)) {
            throw new StoreException(id, "chunk " + id + " from " + store.location() + " has " + d.length
                    + " bytes, the index says " + index.chunkSize(p), null);
        }
        return d;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Future<byte[]> f : window) {
                f.cancel(true);
            }
            window.clear();
            discard();
        }
    }
}
