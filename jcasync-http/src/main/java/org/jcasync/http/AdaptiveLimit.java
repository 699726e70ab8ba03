package org.jcasync.http;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How many requests a store may have in flight, adapted to what the server bears (additive increase,
 * multiplicative decrease, as TCP's congestion window). The limit starts small, grows by one per request that
 * succeeds while the limit is in use (doubling per round trip) until the first sign of overload, then by one per
 * full window; a request that failed in a way that hints at overload (a timeout, a transport error, 429, 5xx)
 * halves it, once per window: requests that were already in flight when it was halved do not halve it again. It
 * never exceeds the configured maximum nor falls below one.
 *
 * <p>Permits are handed out asynchronously: {@link #acquire} never blocks, so a caller can put a whole batch of
 * requests in flight and let them start as permits free up.
 */
public final class AdaptiveLimit {
    /** The limit a new store starts with (or the maximum, when lower). */
    public static final int INITIAL = 8;

    private final int max;
    private final ArrayDeque<CompletableFuture<Permit>> waiting = new ArrayDeque<>();
    private double limit;
    private int inFlight;
    private boolean slowStart = true;
    /** Counts decreases; a permit taken before the latest one does not decrease the limit again. */
    private long window;

    /** A limit from {@link #INITIAL} growing up to {@code max}. */
    public AdaptiveLimit(int max) {
        this(Math.min(INITIAL, max), max);
    }

    /** A limit from {@code initial} growing up to {@code max}. */
    public AdaptiveLimit(int initial, int max) {
        if (max < 1 || initial < 1 || initial > max) {
            throw new IllegalArgumentException("bad limit " + initial + " of at most " + max);
        }
        this.max = max;
        this.limit = initial;
    }

    /** The right to have one request in flight; give it back once with {@link #succeeded} or {@link #dropped}. */
    public final class Permit {
        private final long takenInWindow;
        private boolean released;

        private Permit(long window) {
            this.takenInWindow = window;
        }

        /** The request got an answer that shows the server coping (any reply but 429 and 5xx). */
        public void succeeded() {
            release(this, 1);
        }

        /** The request timed out, failed in transport or was refused for load (429, 5xx). */
        public void dropped() {
            release(this, -1);
        }
    }

    /** A permit, now when fewer than the limit are in flight, else once enough are released. */
    public CompletableFuture<Permit> acquire() {
        synchronized (this) {
            if (inFlight < (int) limit && waiting.isEmpty()) {
                inFlight++;
                return CompletableFuture.completedFuture(new Permit(window));
            }
            CompletableFuture<Permit> f = new CompletableFuture<>();
            waiting.add(f);
            return f;
        }
    }

    /** @param outcome 1: succeeded, -1: dropped, 0: not used (its waiter was cancelled) */
    private void release(Permit p, int outcome) {
        List<CompletableFuture<Permit>> start = new ArrayList<>();
        List<Permit> permits = new ArrayList<>();
        synchronized (this) {
            if (p.released) {
                throw new IllegalStateException("permit released twice");
            }
            p.released = true;
            boolean saturated = inFlight >= (int) limit || !waiting.isEmpty();
            inFlight--;
            if (outcome > 0) {
                if (saturated) {
                    limit = Math.min(max, limit + (slowStart ? 1 : 1 / limit));
                }
            } else if (outcome < 0 && p.takenInWindow == window) {
                limit = Math.max(1, Math.floor(limit / 2));
                slowStart = false;
                window++;
            }
            while (inFlight < (int) limit && !waiting.isEmpty()) {
                CompletableFuture<Permit> w = waiting.poll();
                if (!w.isDone()) {
                    inFlight++;
                    start.add(w);
                    permits.add(new Permit(window));
                }
            }
        }
        // Outside the lock: completing starts the waiting requests on this thread.
        for (int i = 0; i < start.size(); i++) {
            if (!start.get(i).complete(permits.get(i))) {
                release(permits.get(i), 0);
            }
        }
    }

    /** The current limit (whole requests). */
    public synchronized int limit() {
        return (int) limit;
    }

    /** Requests holding a permit now. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /** Requests waiting for a permit. */
    public synchronized int waiting() {
        return waiting.size();
    }

    /** The most the limit can grow to. */
    public int max() {
        return max;
    }
}
