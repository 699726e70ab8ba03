package org.jcasync.blob;

import org.jcasync.io.Futures;
import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreStats.Role;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * A blob written in order to a stream: a bounded window of chunks is fetched ahead on the pool; zero chunks come
 * from memory. Memory: the window (8 chunks per thread), whatever the blob size.
 */
final class StreamExtractor {
    private final Index index;
    private final ChunkStore store;
    private final ExecutorService pool;
    private final int threads;
    private final ExtractStats stats;
    private final int zeroChunkSize;
    private final Map<Integer, ChunkId> zeroIds = new ConcurrentHashMap<>();

    StreamExtractor(Index index, ChunkStore store, ExecutorService pool, int threads, ExtractStats stats,
            int zeroChunkSize) {
        this.index = index;
        this.store = store;
        this.pool = pool;
        this.threads = Math.max(1, threads);
        this.stats = stats;
        this.zeroChunkSize = zeroChunkSize;
    }

    void run(OutputStream out, LongConsumer progress) throws IOException {
        int n = index.size();
        ArrayDeque<Future<byte[]>> window = new ArrayDeque<>();
        int ahead = 8 * threads;
        int next = 0;
        long written = 0;
        try {
            for (int i = 0; i < n; i++) {
                while (next < n && next - i < ahead) {
                    final int p = next++;
                    window.add(pool.submit(() -> chunk(p)));
                }
                byte[] data = Futures.await(window.poll());
                out.write(data, 0, index.chunkSize(i));
                written += index.chunkSize(i);
                progress.accept(written);
            }
            out.flush();
        } finally {
            for (Future<byte[]> f : window) {
                f.cancel(true);
            }
        }
    }

    private byte[] chunk(int p) throws IOException {
        int size = index.chunkSize(p);
        ChunkId id = index.id(p);
        // Only chunks of a zero run's size (or the last chunk) can be all zeros: one digest per such size.
        if ((size == zeroChunkSize || p == index.size() - 1)
                && id.equals(zeroIds.computeIfAbsent(size, s -> index.digest().digest(new byte[s], 0, s)))) {
            stats.zero.add(size);
            return new byte[size];
        }
        Role[] servedBy = new Role[1];
        byte[] d = store.getWithRole(id, servedBy);
        if (d.length != size) {
            throw new StoreException(id, "chunk " + id + " from " + store.location() + " has " + d.length
                    + " bytes, the index says " + size, null);
        }
        (servedBy[0] == Role.CACHE ? stats.cache : stats.store).add(size);
        return d;
    }
}
