package org.jcasync.blob;

import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreException;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The stream an index describes: its chunks read in order from a store, each verified by the store's
 * {@link ChunkStore#get}, with a bounded window of chunks fetched ahead on a pool. Memory: the window, whatever the
 * stream's size. Closing cancels the fetches still pending (the store and the pool stay open).
 */
public final class ChunkedInputStream extends InputStream {
    private final Index index;
    private final ChunkStore store;
    private final ExecutorService pool;
    private final int ahead;
    private final ArrayDeque<Future<byte[]>> window = new ArrayDeque<>();
    private int next;
    private int current = -1;
    private byte[] chunk;
    private int pos;
    private boolean closed;

    /** Reads {@code index}'s chunks from {@code store}, fetching up to {@code ahead} chunks ahead on {@code pool}. */
    public ChunkedInputStream(Index index, ChunkStore store, ExecutorService pool, int ahead) {
        this.index = index;
        this.store = store;
        this.pool = pool;
        this.ahead = Math.max(1, ahead);
    }

    private boolean fill() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        while (chunk == null || pos == chunk.length) {
            if (current + 1 >= index.size()) {
                return false;
            }
            while (next < index.size() && next - (current + 1) < ahead) {
                final int p = next++;
                window.add(pool.submit(() -> fetch(p)));
            }
            chunk = Futures.await(window.poll());
            current++;
            pos = 0;
        }
        return true;
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
    public int read() throws IOException {
        return fill() ? chunk[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int k = Math.min(len, chunk.length - pos);
        System.arraycopy(chunk, pos, b, off, k);
        pos += k;
        return k;
    }

    @Override
    public int available() {
        return chunk == null || closed ? 0 : chunk.length - pos;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Future<byte[]> f : window) {
                f.cancel(true);
            }
            window.clear();
            chunk = null;
        }
    }
}
