package org.jcasync.server;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkStore;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that counts (and slows down) chunk reads, and the most of them running at once; reads of the chunks in
 * {@link #unreadable} fail.
 */
final class CountingStore implements ChunkStore {
    final ChunkStore inner;
    final long delayMillis;
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();
    /** Chunks whose {@link #getStored} fails with an IOException (after being counted). */
    final Set<ChunkId> unreadable = ConcurrentHashMap.newKeySet();
    private final AtomicInteger running = new AtomicInteger();

    CountingStore(ChunkStore inner, long delayMillis) {
        this.inner = inner;
        this.delayMillis = delayMillis;
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        return inner.get(id);
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        fetches.incrementAndGet();
        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
            Thread.sleep(delayMillis);
        } catch (InterruptedException e) {
            throw new InterruptedIOException();
        } finally {
            running.decrementAndGet();
        }
        if (unreadable.contains(id)) {
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
