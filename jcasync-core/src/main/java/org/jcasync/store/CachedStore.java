package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.io.Failures;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local cache in front of other stores: chunks are read from the cache when it has them and are verified; a
 * chunk missing from the cache (or corrupt in it) is fetched from the backing stores and kept in the cache. The
 * cache only saves downloads: when it cannot keep a chunk (its file system is full or read-only), that is said once
 * and the rest goes on without keeping chunks, rather than failing what the cache was meant to speed up.
 */
public final class CachedStore implements ChunkStore {
    private final WritableChunkStore cache;
    private final ChunkStore backing;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final ThreadLocal<Boolean> lastHit = ThreadLocal.withInitial(() -> false);
    private final java.util.concurrent.atomic.AtomicBoolean keeping = new java.util.concurrent.atomic.AtomicBoolean(
            true);
    private java.io.PrintStream warnings = System.err;

    /** {@code cache} in front of {@code backing}. */
    public CachedStore(WritableChunkStore cache, ChunkStore backing) {
        this.cache = cache;
        this.backing = backing;
    }

    /** Where the one warning about a cache that cannot keep chunks goes (default standard error). */
    public CachedStore warnings(java.io.PrintStream w) {
        this.warnings = w;
        return this;
    }

    /** Whether chunks are still being kept (false once the cache could not take one). */
    public boolean keeping() {
        return keeping.get();
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
        byte[] d = backing.getAll(java.util.List.of(id), this::keep)[0];
        if (d == null) {
            throw new ChunkMissingException(id, backing.location());
        }
        return d;
    }

    @Override
    public byte[][] getAll(java.util.List<ChunkId> ids) throws IOException {
        return getAll(ids, new boolean[ids.size()]);
    }

    /** {@link #getAll(java.util.List)}, also telling which chunks the cache served ({@code hit[i]}). */
    public byte[][] getAll(java.util.List<ChunkId> ids, boolean[] hit) throws IOException {
        byte[][] out;
        try {
            out = cache.getAll(ids);
        } catch (StoreException e) {
            // A bad copy in the cache, or no cache directory yet: take them one by one (get() repairs).
            out = new byte[ids.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = get(ids.get(i));
                hit[i] = lastHit.get();
            }
            return out;
        }
        java.util.List<ChunkId> missing = new java.util.ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            hit[i] = out[i] != null;
            if (out[i] == null) {
                missing.add(ids.get(i));
            }
        }
        hits.addAndGet(out.length - missing.size());
        if (!missing.isEmpty()) {
            misses.addAndGet(missing.size());
            byte[][] fetched = backing.getAll(missing, this::keep);
            int k = 0;
            for (int i = 0; i < out.length; i++) {
                if (out[i] == null) {
                    out[i] = fetched[k++];
                }
            }
        }
        return out;
    }

    /** Only what the cache lacks is passed on to the backing stores. */
    @Override
    public void willNeed(java.util.List<ChunkId> ids) {
        backing.willNeed(cache.lacking(ids));
    }

    @Override
    public void mayNeed(java.util.List<ChunkId> ids) {
        backing.mayNeed(cache.lacking(ids));
    }

    /**
     * The chunk's frame from the cache (as stored, not verified) or, on a miss, fetched from the backing stores
     * (verified there), kept in the cache and answered as the cache now keeps it: a server passes frames on
     * without compressing them again.
     */
    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        if (cache.has(id)) {
            try {
                byte[] s = cache.getStored(id);
                hits.incrementAndGet();
                return s;
            } catch (StoreException e) {
                // Removed since, or unreadable: fetch it again below.
            }
        }
        misses.incrementAndGet();
        byte[][] frame = new byte[1][];
        byte[] d = backing.getAll(java.util.List.of(id), (fid, data, stored) -> {
            keep(fid, data, stored);
            frame[0] = stored;
        })[0];
        if (d == null) {
            throw new ChunkMissingException(id, backing.location());
        }
        if (frame[0] != null) {
            return frame[0];
        }
        return keeping.get() ? cache.getStored(id) : Compression.ZSTD.compress(d, 0, d.length);
    }

    /** Keeps a chunk the backing stores delivered: their compressed frame when they give it, else compressed here. */
    private void keep(ChunkId id, byte[] data, byte[] stored) {
        if (!keeping.get()) {
            return;
        }
        try {
            if (stored != null) {
                cache.putStored(id, stored);
            } else {
                cache.put(id, data, 0, data.length);
            }
        } catch (IOException e) {
            if (keeping.getAndSet(false)) {
                String why = e.getCause() instanceof IOException cause ? Failures.reason(cause) : e.getMessage();
                warnings.println("jcasync: warning: cache " + cache.location() + " cannot keep chunks (" + why
                        + "); going on without caching");
            }
        }
    }

    @Override
    public java.util.List<StoreStats> stats() {
        java.util.List<StoreStats> all = new java.util.ArrayList<>();
        StoreStats c = cache.stats().getFirst();
        all.add(new StoreStats("cache " + c.location(), hits.get(), c.bytes(), c.requests(), 0, 0));
        all.addAll(backing.stats());
        return all;
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
