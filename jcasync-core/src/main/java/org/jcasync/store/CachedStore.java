package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local cache in front of other stores: chunks are read from the cache when it has them and are verified; a
 * chunk missing from the cache (or corrupt in it) is fetched from the backing stores and kept in the cache.
 */
public final class CachedStore implements ChunkStore {
    private final WritableChunkStore cache;
    private final ChunkStore backing;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final ThreadLocal<Boolean> lastHit = ThreadLocal.withInitial(() -> false);

    /** {@code cache} in front of {@code backing}. */
    public CachedStore(WritableChunkStore cache, ChunkStore backing) {
        this.cache = cache;
        this.backing = backing;
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        try {
            byte[] d = cache.get(id);
            hits.incrementAndGet();
            lastHit.set(true);
            return d;
        } catch (ChunkInvalidException e) {
            // Repair: drop the bad copy so the fresh one below replaces it.
            if (cache instanceof LocalStore l) {
                java.nio.file.Files.deleteIfExists(l.chunkPath(id));
            }
        } catch (StoreException e) {
            // Missing, or a cache directory that does not exist yet: both mean "not cached".
        }
        misses.incrementAndGet();
        lastHit.set(false);
        byte[] d = backing.get(id);
        cache.put(id, d, 0, d.length);
        return d;
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        return cache.has(id) || backing.has(id);
    }

    @Override
    public long bytesRead() {
        return backing.bytesRead();
    }

    /** Whether this thread's last {@link #get} was served by the cache. */
    public boolean lastGetWasHit() {
        return lastHit.get();
    }

    /** Chunks served from the cache. */
    public long hits() {
        return hits.get();
    }

    /** Chunks that had to come from the backing stores. */
    public long misses() {
        return misses.get();
    }

    @Override
    public String location() {
        return backing.location() + " (cache " + cache.location() + ")";
    }

    @Override
    public void close() throws IOException {
        try {
            cache.close();
        } finally {
            backing.close();
        }
    }
}
