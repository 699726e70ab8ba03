package org.jcasync.server;

import org.jcasync.io.Futures;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Concurrent requests for the same key share one load: the first caller loads, the others wait for its result
 * (or its failure). Nothing is kept once the load is done; the map only holds loads in progress, so it is as
 * large as the number of concurrent callers at most.
 *
 * @param <K> what is loaded
 * @param <V> the result
 */
public final class SingleFlight<K, V> {
    /** Loads the value of a key. */
    @FunctionalInterface
    public interface Loader<V> {
        /** The value, or a failure that every waiting caller gets too. */
        V load() throws IOException;
    }

    private final ConcurrentHashMap<K, CompletableFuture<V>> inProgress = new ConcurrentHashMap<>();

    /** The value of {@code key}: loaded by {@code loader} unless a load of the same key is already under way. */
    public V get(K key, Loader<V> loader) throws IOException {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = inProgress.putIfAbsent(key, mine);
        if (running != null) {
            return Futures.await(running);
        }
        try {
            V v = loader.load();
            mine.complete(v);
            return v;
        } catch (IOException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inProgress.remove(key, mine);
        }
    }

    /** Loads under way now. */
    public int inProgress() {
        return inProgress.size();
    }
}
