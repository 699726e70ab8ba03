package org.jcasync.server;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkStore;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream for tests (of this module and of jcasync-http's) that counts (and slows down) chunk reads, and the most
 * of them running at once; reads of the chunks made {@link #unreadable} fail.
 */
public final class CountingStore implements ChunkStore {
    private final ChunkStore inner;
    private final long delayMillis;
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private final Map<ChunkId, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
    private final Map<ChunkId, AtomicInteger> readsOf = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();

    /** Reads {@code inner}, each read taking at least {@code delayMillis}. */
    public CountingStore(ChunkStore inner, long delayMillis) {
        this.inner = inner;
        this.delayMillis = delayMillis;
    }

    /** Makes the next {@code times} reads of {@code id} fail with an IOException (after being counted). */
    public CountingStore unreadable(ChunkId id, int times) {
        failuresLeft.put(id, new AtomicInteger(times));
        return this;
    }

    /** Makes every read of {@code id} fail. */
    public CountingStore unreadable(ChunkId id) {
        return unreadable(id, Integer.MAX_VALUE);
    }

    /** Reads of stored frames so far. */
    public int fetches() {
        return fetches.get();
    }

    /** Reads of the stored frame of {@code id} so far. */
    public int fetchesOf(ChunkId id) {
        AtomicInteger n = readsOf.get(id);
        return n == null ? 0 : n.get();
    }

    /** The most reads that ran at once. */
    public int mostAtOnce() {
        return mostAtOnce.get();
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        return inner.get(id);
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        fetches.incrementAndGet();
        readsOf.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
            Thread.sleep(delayMillis);
        } catch (InterruptedException e) {
            throw new InterruptedIOException();
        } finally {
            running.decrementAndGet();
        }
        AtomicInteger left = failuresLeft.get(id);
        if (left != null && left.getAndDecrement() > 0) {
            throw new IOException("chunk " + id + " is unreadable");
        }
        return inner.getStored(id);
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        return inner.has(id);
    }

    @Override
    public String location() {
        return "counting " + inner.location();
    }
}
