package org.jcasync.s3;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.BatchReadStore;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.Compression;
import org.jcasync.store.FetchListener;
import org.jcasync.store.LocalStore;
import org.jcasync.store.PrunableChunkStore;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreStats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A chunk store in an S3 bucket, in casync's layout under the location's prefix:
 * {@code prefix/<first 4 hex>/<id>.cacnk}, one compressed frame per object. Every chunk read is decompressed and
 * verified against its id; a batch is downloaded concurrently (virtual threads, at most
 * {@link org.jcasync.store.TransportOptions#maxInFlight()} requests in flight).
 */
public final class S3Store extends BatchReadStore implements PrunableChunkStore {
    private final S3Bucket bucket;
    private final StoreOptions options;
    private final AtomicLong delivered = new AtomicLong();

    S3Store(S3Bucket bucket, StoreOptions options) {
        this.bucket = bucket;
        this.options = options;
    }

    /** The object key of a chunk. */
    String key(ChunkId id) {
        String hex = id.toHex();
        return bucket.location().child(id.prefix() + "/" + hex + LocalStore.SUFFIX);
    }

    @Override
    public String location() {
        return bucket.location().text();
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        byte[] stored = download(id);
        if (stored == null) {
            throw new ChunkMissingException(id, location());
        }
        byte[] data = decompress(id, stored);
        verify(List.of(id), new byte[][] {data});
        delivered.incrementAndGet();
        return data;
    }

    /** Downloads the batch concurrently, then verifies it in one multi-buffer digest call. */
    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        int n = ids.size();
        byte[][] stored = new byte[n][];
        byte[][] data = new byte[n][];
        if (n == 1) {
            stored[0] = download(ids.getFirst());
            data[0] = stored[0] == null ? null : decompress(ids.getFirst(), stored[0]);
        } else {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> pending = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    int at = i;
                    pending.add(pool.submit(() -> {
                        stored[at] = download(ids.get(at));
                        data[at] = stored[at] == null ? null : decompress(ids.get(at), stored[at]);
                        return null;
                    }));
                }
                awaitAll(pending);
            }
        }
        verify(ids, data);
        for (int i = 0; i < n; i++) {
            if (data[i] != null) {
                delivered.incrementAndGet();
                if (listener != null) {
                    listener.fetched(ids.get(i), data[i], stored[i]);
                }
            }
        }
        return data;
    }

    /** Waits for every download; the first failure (in batch order) is thrown after all have finished. */
    private static void awaitAll(List<Future<?>> pending) throws IOException {
        IOException first = null;
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof IOException io ? io
                            : new IOException(String.valueOf(e.getCause()), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        byte[] stored = download(id);
        if (stored == null) {
            throw new ChunkMissingException(id, location());
        }
        return stored;
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        try {
            return bucket.exists(key(id));
        } catch (StoreException e) {
            throw new StoreException(id, e.getMessage(), e);
        }
    }

    @Override
    public boolean put(ChunkId id, byte[] data, int off, int len) throws IOException {
        if (has(id)) {
            return false;
        }
        upload(id, options.compression().compress(data, off, len));
        return true;
    }

    @Override
    public boolean putStored(ChunkId id, byte[] stored) throws IOException {
        if (Compression.detect(stored, stored.length) == null) {
            return PrunableChunkStore.super.putStored(id, stored);
        }
        if (has(id)) {
            return false;
        }
        upload(id, stored);
        return true;
    }

    /**
     * Lists the chunk objects under the prefix and removes those {@code keep} rejects, up to 1000 per DeleteObjects
     * request. Objects that are not chunks (indexes beside the store, other files) are left alone.
     */
    @Override
    public PruneResult prune(Predicate<ChunkId> keep, boolean dryRun, PruneListener listener) throws IOException {
        String prefix = bucket.location().key().isEmpty() ? "" : bucket.location().key() + "/";
        List<String> doomed = new ArrayList<>(S3Bucket.DELETE_BATCH);
        long[] counts = new long[2];
        IOException[] failed = new IOException[1];
        bucket.list(prefix, key -> {
            if (failed[0] != null) {
                return;
            }
            ChunkId id = chunkOf(key.substring(prefix.length()));
            if (id == null) {
                return;
            }
            counts[0]++;
            if (keep.test(id)) {
                return;
            }
            counts[1]++;
            if (listener != null) {
                listener.removing(id.toHex() + LocalStore.SUFFIX);
            }
            if (!dryRun) {
                doomed.add(key);
                if (doomed.size() == S3Bucket.DELETE_BATCH) {
                    try {
                        bucket.deleteAll(doomed);
                    } catch (IOException e) {
                        failed[0] = e;
                    }
                    doomed.clear();
                }
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        if (!dryRun) {
            bucket.deleteAll(doomed);
        }
        return new PruneResult(counts[1], 0, counts[0] - counts[1]);
    }

    /** The chunk a key below the prefix names ({@code <4hex>/<id>.cacnk}), or null for any other object. */
    private static ChunkId chunkOf(String rest) {
        if (rest.length() != 5 + 64 + LocalStore.SUFFIX.length() || rest.charAt(4) != '/'
                || !rest.endsWith(LocalStore.SUFFIX)) {
            return null;
        }
        String hex = rest.substring(5, 5 + 64);
        if (!rest.startsWith(hex.substring(0, 4))) {
            return null;
        }
        try {
            return ChunkId.parse(hex);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public long bytesRead() {
        return bucket.bytesDownloaded();
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(location(), delivered.get(), bucket.bytesDownloaded(), bucket.requests(),
                bucket.retries(), bucket.errors()));
    }

    @Override
    public void close() {
        bucket.close();
    }

    @Override
    public String toString() {
        return location();
    }

    private byte[] download(ChunkId id) throws IOException {
        try {
            return bucket.get(key(id), Compression.maxStoredSize(options.maxChunkSize()));
        } catch (StoreException e) {
            throw new StoreException(id, e.getMessage(), e);
        }
    }

    private void upload(ChunkId id, byte[] stored) throws IOException {
        try {
            bucket.put(key(id), stored);
        } catch (StoreException e) {
            throw new StoreException(id, e.getMessage(), e);
        }
    }

    private byte[] decompress(ChunkId id, byte[] stored) throws ChunkInvalidException {
        try {
            byte[] data = Compression.decompress(stored, stored.length, options.maxChunkSize());
            if (data.length == 0) {
                throw new ChunkInvalidException(id, location(), "empty chunk", null);
            }
            return data;
        } catch (ChunkInvalidException e) {
            throw e;
        } catch (IOException e) {
            throw new ChunkInvalidException(id, location(), e.getMessage(), e);
        }
    }

    /** Checks every non-null {@code data[i]} against {@code ids[i]} in one multi-buffer digest call. */
    private void verify(List<ChunkId> ids, byte[][] data) throws ChunkInvalidException {
        ChunkId[] actual = options.digest().ids(data);
        for (int i = 0; i < data.length; i++) {
            if (data[i] != null && !actual[i].equals(ids.get(i))) {
                throw new ChunkInvalidException(ids.get(i), location(), "its content has digest " + actual[i], null);
            }
        }
    }
}
