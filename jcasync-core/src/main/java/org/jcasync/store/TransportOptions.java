package org.jcasync.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How network stores talk to their servers. Local stores ignore these.
 *
 * @param timeout longest wait for one request (connect, and each read of a reply)
 * @param maxInFlight most requests in flight at once per store (adaptive concurrency grows up to this)
 * @param retries times a failed request is repeated (transport errors, 5xx, 429; never a 404)
 * @param retryDelay wait before the first retry, doubled for each further one
 * @param authorization value of the {@code Authorization} header sent with every request, or null
 * @param clientCertificate PEM client certificate for TLS client authentication, or null
 * @param clientKey PEM private key (PKCS#8) of {@code clientCertificate}, or null
 * @param caCertificate PEM certificate(s) trusted in place of the system's CAs, or null
 * @param insecure accept any server certificate (tests only)
 * @param rateLimitBytesPerSecond most bytes per second downloaded in all, or 0 for no limit
 * @param minRateBytesPerSecond least bytes per second a reply must average over every {@code timeout} spent
 *     waiting for it (a trickling server fails the request, which is then retried), or 0 for none: see
 *     {@link TransferWatch}
 */
public record TransportOptions(Duration timeout, int maxInFlight, int retries, Duration retryDelay,
                               String authorization, Path clientCertificate, Path clientKey, Path caCertificate,
                               boolean insecure, long rateLimitBytesPerSecond, long minRateBytesPerSecond) {
    /** The default minimum rate: 1 KiB/s. */
    public static final long DEFAULT_MIN_RATE = 1024;

    /**
     * 60 s timeout, up to 64 requests in flight, 3 retries from 250 ms, no authentication, no limit, replies at
     * least 1 KiB/s.
     */
    public static final TransportOptions DEFAULT = new TransportOptions(Duration.ofSeconds(60), 64, 3,
            Duration.ofMillis(250), null, null, null, null, false, 0);

    public TransportOptions {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("at least one request in flight is needed, not " + maxInFlight);
        }
        if (retries < 0) {
            throw new IllegalArgumentException("retries cannot be negative: " + retries);
        }
        if (rateLimitBytesPerSecond < 0) {
            throw new IllegalArgumentException("the rate limit cannot be negative: " + rateLimitBytesPerSecond);
        }
        if (minRateBytesPerSecond < 0) {
            throw new IllegalArgumentException("the minimum rate cannot be negative: " + minRateBytesPerSecond);
        }
    }

    /** Options with the default minimum rate ({@link #DEFAULT_MIN_RATE}). */
    public TransportOptions(Duration timeout, int maxInFlight, int retries, Duration retryDelay, String authorization,
                            Path clientCertificate, Path clientKey, Path caCertificate, boolean insecure,
                            long rateLimitBytesPerSecond) {
        this(timeout, maxInFlight, retries, retryDelay, authorization, clientCertificate, clientKey, caCertificate,
                insecure, rateLimitBytesPerSecond, DEFAULT_MIN_RATE);
    }

    /** These options with another minimum rate (0: none). */
    public TransportOptions withMinRate(long bytesPerSecond) {
        return new TransportOptions(timeout, maxInFlight, retries, retryDelay, authorization, clientCertificate,
                clientKey, caCertificate, insecure, rateLimitBytesPerSecond, bytesPerSecond);
    }
}
