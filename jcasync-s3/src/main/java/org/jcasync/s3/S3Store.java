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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

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
        return lastModified(id) != null;
    }

    /**
     * HEAD tells the object's time; one older than {@link #FRESH_FOR} is copied onto itself for a new one (S3's only
     * way to change it), which costs one request per reused chunk at most every {@link #FRESH_FOR}.
     */
    @Override
    public boolean freshen(ChunkId id) throws IOException {
        Instant t = lastModified(id);
        if (t == null) {
            return false;
        }
        if (t.isAfter(Instant.now().minus(FRESH_FOR))) {
            return true;
        }
        try {
            return bucket.touch(key(id)); // false: removed meanwhile (a gc), so it is to be uploaded
        } catch (StoreException e) {
            throw new StoreException(id, e.getMessage(), e);
        }
    }

    private Instant lastModified(ChunkId id) throws IOException {
        try {
            return bucket.lastModified(key(id));
        } catch (StoreException e) {
            throw new StoreException(id, e.getMessage(), e);
        }
    }

    @Override
    public boolean put(ChunkId id, byte[] data, int off, int len) throws IOException {
        if (freshen(id)) {
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
        if (freshen(id)) {
            return false;
        }
        upload(id, stored);
        return true;
    }

    /**
     * Lists the chunk objects under the prefix with their times (ListObjectsV2, 1000 a page); objects that are not
     * chunks (indexes beside the store, other files) are not listed.
     */
    @Override
    public void listChunks(ChunkSink sink) throws IOException {
        String prefix = prefix();
        bucket.list(prefix, (key, time) -> {
            String rest = key.substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                return;
            }
            String dir = rest.substring(0, slash);
            String name = rest.substring(slash + 1);
            ChunkId id = LocalStore.chunkOfFileName(name);
            if (id != null && LocalStore.isChunkDirectory(dir) && id.toHex().startsWith(dir)) {
                sink.chunk(new ChunkFile(id, dir, name, time));
            }
        });
    }

    /** Removes up to 1000 chunk objects with one DeleteObjects request. */
    @Override
    public void remove(List<ChunkFile> files) throws IOException {
        List<String> keys = new ArrayList<>(files.size());
        for (ChunkFile f : files) {
            keys.add(prefix() + f.directory() + "/" + f.name());
        }
        bucket.deleteAll(keys);
    }

    @Override
    public int removeBatch() {
        return S3Bucket.DELETE_BATCH;
    }

    private String prefix() {
        return bucket.location().key().isEmpty() ? "" : bucket.location().key() + "/";
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
