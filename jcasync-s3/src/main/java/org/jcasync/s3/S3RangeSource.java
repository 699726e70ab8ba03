package org.jcasync.s3;

import org.jcasync.pack.RangeSource;
import org.jcasync.store.StoreStats;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Byte ranges of pack objects under an S3 store prefix. S3 answers one range per GET, so the ranges of a request
 * are fetched in parallel GETs, and packs are planned with a larger merge gap and a few more requests in flight.
 */
final class S3RangeSource implements RangeSource {
    private final S3Bucket bucket;

    S3RangeSource(S3Bucket bucket) {
        this.bucket = bucket;
    }

    @Override
    public void read(String path, List<Range> ranges, Sink sink) throws IOException {
        String key = bucket.location().child(path);
        if (ranges.size() == 1) {
            deliver(key, ranges.getFirst(), 0, sink);
            return;
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> all = new ArrayList<>();
            for (int i = 0; i < ranges.size(); i++) {
                int k = i;
                all.add(pool.submit(() -> {
                    deliver(key, ranges.get(k), k, sink);
                    return null;
                }));
            }
            for (Future<Void> f : all) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException(e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
        }
    }

    private void deliver(String key, Range r, int i, Sink sink) throws IOException {
        byte[] b = bucket.getRange(key, r.start(), r.end());
        if (b == null) {
            throw new NoSuchFileException(bucket.location().text() + "/" + key, null, "pack not found");
        }
        sink.accept(i, b);
    }

    @Override
    public int maxRangesPerRequest() {
        return 1;
    }

    @Override
    public int mergeGap() {
        return 64 << 10;
    }

    /** A few more than for multi-range transports: each request carries one range. */
    @Override
    public int parallelRequests() {
        return 6;
    }

    @Override
    public String location() {
        return bucket.location().text();
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(location() + " (packs)", 0, bucket.bytesDownloaded(), bucket.requests(),
                bucket.retries(), bucket.errors()));
    }

    @Override
    public void close() {
        bucket.close();
    }
}
