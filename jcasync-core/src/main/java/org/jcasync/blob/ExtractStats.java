package org.jcasync.blob;

import org.jcasync.io.ByteSizes;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.TransferReport;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** Where every chunk of an extract came from, and what it cost. Thread-safe counters. */
public final class ExtractStats {
    /** Chunks already correct in the output, left alone. */
    public final Counter inPlace = new Counter();
    /** Chunks copied or cloned from seeds. */
    public final Counter seeds = new Counter();
    /** Zero chunks left as holes (or zero-filled). */
    public final Counter zero = new Counter();
    /** Chunks served by the local cache. */
    public final Counter cache = new Counter();
    /** Chunks fetched from the stores. */
    public final Counter store = new Counter();
    /** Bytes cloned through reflinks (part of seeds). */
    public final AtomicLong reflinked = new AtomicLong();
    /** Bytes read from the stores (compressed, as stored). */
    public final AtomicLong storeBytesRead = new AtomicLong();
    private long totalChunks;
    private long totalBytes;
    private double seconds;

    /** A chunk count with its uncompressed bytes. */
    public static final class Counter {
        private final AtomicLong chunks = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();

        /** Adds one chunk of {@code size} bytes. */
        public void add(long size) {
            chunks.incrementAndGet();
            bytes.addAndGet(size);
        }

        /** Chunks counted. */
        public long chunks() {
            return chunks.get();
        }

        /** Bytes counted. */
        public long bytes() {
            return bytes.get();
        }
    }

    /** Records the totals at the end. */
    public void finish(long chunks, long bytes, double secs) {
        this.totalChunks = chunks;
        this.totalBytes = bytes;
        this.seconds = secs;
    }

    /** Chunks in the index. */
    public long totalChunks() {
        return totalChunks;
    }

    /** Wall time of the extract in seconds. */
    public double seconds() {
        return seconds;
    }

    /** Blob length. */
    public long totalBytes() {
        return totalBytes;
    }

    /** One human-readable line. */
    public String summary() {
        return String.format(Locale.ROOT, "%s in %d chunks: %d in place (%s), %d from seeds (%s%s), %d zero (%s), "
                        + "%d from cache (%s), %d from store (%s)",
                bytes(totalBytes), totalChunks, inPlace.chunks(), bytes(inPlace.bytes()), seeds.chunks(),
                bytes(seeds.bytes()), reflinked.get() > 0 ? ", " + bytes(reflinked.get()) + " reflinked" : "",
                zero.chunks(), bytes(zero.bytes()), cache.chunks(), bytes(cache.bytes()), store.chunks(),
                bytes(store.bytes()));
    }

    /** What the stores of {@code store} (the stack the extract read from) did, with this extract's totals. */
    public TransferReport transfer(ChunkStore store) {
        return new TransferReport(store.stats(), totalBytes, this.store.bytes(), seconds);
    }

    /** The same as JSON. */
    public String toJson() {
        return String.format(Locale.ROOT, "{\"bytes-total\":%d,\"chunks-total\":%d,\"chunks-in-place\":%d,"
                        + "\"bytes-in-place\":%d,\"chunks-from-seeds\":%d,\"bytes-from-seeds\":%d,"
                        + "\"bytes-reflinked\":%d,\"chunks-zero\":%d,\"bytes-zero\":%d,\"chunks-from-cache\":%d,"
                        + "\"bytes-from-cache\":%d,\"chunks-from-store\":%d,\"bytes-from-store\":%d,"
                        + "\"bytes-read-from-store\":%d,\"seconds\":%.3f}",
                totalBytes, totalChunks, inPlace.chunks(), inPlace.bytes(), seeds.chunks(), seeds.bytes(),
                reflinked.get(), zero.chunks(), zero.bytes(), cache.chunks(), cache.bytes(), store.chunks(),
                store.bytes(), storeBytesRead.get(), seconds);
    }

    private static String bytes(long b) {
        return ByteSizes.format(b);
    }
}
