package org.jcasync.http;

/**
 * A download rate limit shared by all requests of all stores with the same transport options: each received piece of a body takes its size in tokens,
 * which refill at the configured rate; a piece that overdraws the bucket makes its reader wait until the debt is
 * paid. The bucket holds at most an eighth of a second's worth (at least 16 KiB), so bursts stay short.
 */
final class TokenBucket {
    /** One bucket per transport setting, so the limit holds for all stores and index reads of a run together. */
    private static final java.util.Map<org.jcasync.store.TransportOptions, TokenBucket> SHARED =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final long bytesPerSecond;
    private final double capacity;
    private double tokens;
    private long last;

    /** A bucket filled at {@code bytesPerSecond} (&gt; 0), full at the start. */
    TokenBucket(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive: " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.capacity = Math.max(16 * 1024, bytesPerSecond / 8.0);
        this.tokens = capacity;
        this.last = System.nanoTime();
    }

    /** The bucket of every transport with these options, or null when they set no limit. */
    static TokenBucket shared(org.jcasync.store.TransportOptions t) {
        return t.rateLimitBytesPerSecond() <= 0 ? null
                : SHARED.computeIfAbsent(t, k -> new TokenBucket(k.rateLimitBytesPerSecond()));
    }

    /** Takes {@code bytes} tokens; returns how many nanoseconds the caller should wait before reading more. */
    synchronized long take(long bytes) {
        long now = System.nanoTime();
        tokens = Math.min(capacity, tokens + (now - last) * (bytesPerSecond / 1e9));
        last = now;
        tokens -= bytes;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens * 1e9 / bytesPerSecond);
    }

    /** The configured rate. */
    long bytesPerSecond() {
        return bytesPerSecond;
    }
}
