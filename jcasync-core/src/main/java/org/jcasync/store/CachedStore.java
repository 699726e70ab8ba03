package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.StoreStats.Role;
import org.jcasync.io.Failures;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local cache in front of other stores: chunks are read from the cache when it has them and are verified; a
 * chunk missing from the cache (or corrupt in it) is fetched from the backing stores and kept in the cache. Its
 * stats list the cache first, as a {@link Role#CACHE}, then the backing stores. The cache only saves downloads:
 * when it cannot keep a chunk (its file system is full or read-only), that is said once and the rest goes on
 * without keeping chunks, rather than failing what the cache was meant to speed up.
 */
public final class CachedStore implements ChunkStore {
    private final WritableChunkStore cache;
    private final ChunkStore backing;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicBoolean keeping = new AtomicBoolean(true);
    private PrintStream warnings = System.err;

    /** {@code cache} in front of {@code backing}. */
    public CachedStore(WritableChunkStore cache, ChunkStore backing) {
        this.cache = cache;
        this.backing = backing;
    }

    /** Where the one warning about a cache that cannot keep chunks goes (default standard error). */
    public CachedStore warnings(PrintStream w) {
        this.warnings = w;
        return this;
    }

    /** Whether chunks are still being kept (false once the cache could not take one). */
    public boolean keeping() {
        return keeping.get();
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        return getWithRole(id, new Role[1]);
    }

    /** {@link #get}; {@code servedBy[0]} is {@link Role#CACHE} for a hit, {@link Role#STORE} otherwise. */
    @Override
    public byte[] getWithRole(ChunkId id, Role[] servedBy) throws IOException {
        try {
            byte[] d = cache.get(id);
            hits.incrementAndGet();
            servedBy[0] = Role.CACHE;
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
        servedBy[0] = Role.STORE;
        byte[] d = backing.getAll(java.util.List.of(id), this::keep)[0];
        if (d == null) {
            throw new ChunkMissingException(id, backing.location());
        }
        return d;
    }

    @Override
    public byte[][] getAll(java.util.List<ChunkId> ids) throws IOException {
        return getAllWithRoles(ids, new Role[ids.size()]);
    }

    /** {@link #getAll(java.util.List)}, telling which chunks the cache served ({@link Role#CACHE}). */
    @Override
    public byte[][] getAllWithRoles(java.util.List<ChunkId> ids, Role[] servedBy) throws IOException {
        byte[][] out;
        try {
            out = cache.getAll(ids);
        } catch (StoreException e) {
            // A bad copy in the cache, or no cache directory yet: take them one by one (get() repairs).
            out = new byte[ids.size()][];
            Role[] one = new Role[1];
            for (int i = 0; i < out.length; i++) {
                out[i] = getWithRole(ids.get(i), one);
                servedBy[i] = one[0];
            }
            return out;
        }
        java.util.List<ChunkId> missing = new java.util.ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            servedBy[i] = out[i] != null ? Role.CACHE : Role.STORE;
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
        all.add(new StoreStats(c.location(), hits.get(), c.bytes(), c.requests(), 0, 0, Role.CACHE));
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
