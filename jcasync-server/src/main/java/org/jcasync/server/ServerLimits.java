package org.jcasync.server;

import java.time.Duration;

/**
 * The bounds that keep a server's memory and its capacity for reads safe from slow, idle and too many clients
 * (docs/design.md, "Servers under attack"). A request takes a turn among {@link #maxRequests} only while the server
 * works for it, never while it waits for the client: a request body is received first, within its own memory budget
 * ({@link #bodyMemory}) and deadline, and a reply is written after the turn ends.
 *
 * @param maxRequests requests worked on at once (reading an upstream, checking an upload); more wait for a turn
 * @param maxConnections connections open at once; more wait in the kernel's accept queue
 * @param maxWaiting requests waiting for a turn at once; more are answered 503 at once
 * @param turnWait how long a request waits for a turn (or for body memory) before it is answered 503
 * @param idleTimeout a connection (or HTTP/2 stream) on which nothing is read or written for this long is closed
 * @param crowdedIdleTimeout while {@link #maxConnections} are open, a connection idle between requests for this long
 *     is closed
 * @param headerTimeout a request header must arrive whole within this time from its first byte
 * @param bodyTimeout a request body must arrive within this time plus one second per {@link #minBodyRate} bytes
 * @param minBodyRate bytes per second a request body must arrive at, on average, once {@link #bodyTimeout} has passed
 * @param bodyMemory bytes of request bodies being received at once (each counts its declared length or, when it has
 *     none, its limit); a body that does not fit waits for its turn
 */
public record ServerLimits(int maxRequests, int maxConnections, int maxWaiting, Duration turnWait,
                           Duration idleTimeout, Duration crowdedIdleTimeout, Duration headerTimeout,
                           Duration bodyTimeout, int minBodyRate, long bodyMemory) {
    /** Requests worked on at once by default. */
    public static final int DEFAULT_MAX_REQUESTS = 64;
    /** Connections open at once by default. */
    public static final int DEFAULT_MAX_CONNECTIONS = 2048;

    /**
     * The defaults: 4096 requests waiting for a turn at most, each for 30 s at most; desync's header (30 s) and idle (120 s) timeouts, 5 s of idleness while the connection limit is
     * reached, bodies at 8 KiB/s at least after 30 s, 256 MiB of bodies being received at once.
     */
    public static final ServerLimits DEFAULT = new ServerLimits(DEFAULT_MAX_REQUESTS, DEFAULT_MAX_CONNECTIONS,
            4096, Duration.ofSeconds(30), Duration.ofSeconds(120), Duration.ofSeconds(5),
            Duration.ofSeconds(30), Duration.ofSeconds(30), 8 << 10, 256L << 20);

    public ServerLimits {
        if (maxRequests < 1) {
            throw new IllegalArgumentException("at least one concurrent request is needed, not " + maxRequests);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("at least one connection is needed, not " + maxConnections);
        }
        if (maxWaiting < 0 || minBodyRate < 1 || bodyMemory < 1) {
            throw new IllegalArgumentException("limits out of range: " + maxWaiting + " waiting, " + minBodyRate
                    + " bytes/s, " + bodyMemory + " bytes of bodies");
        }
        for (Duration d : new Duration[] {turnWait, idleTimeout, crowdedIdleTimeout, headerTimeout, bodyTimeout}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("a time limit must be positive, not " + d);
            }
        }
    }

    /** The same with another number of requests worked on at once. */
    public ServerLimits withMaxRequests(int n) {
        return new ServerLimits(n, maxConnections, maxWaiting, turnWait, idleTimeout, crowdedIdleTimeout,
                headerTimeout, bodyTimeout, minBodyRate, bodyMemory);
    }

    /** The same with another number of connections. */
    public ServerLimits withMaxConnections(int n) {
        return new ServerLimits(maxRequests, n, maxWaiting, turnWait, idleTimeout, crowdedIdleTimeout, headerTimeout,
                bodyTimeout, minBodyRate, bodyMemory);
    }

    /** The same with other timeouts for idle connections, request headers and request bodies. */
    public ServerLimits withTimeouts(Duration idle, Duration header, Duration body) {
        return new ServerLimits(maxRequests, maxConnections, maxWaiting, turnWait, idle, crowdedIdleTimeout, header,
                body, minBodyRate, bodyMemory);
    }

    /** The deadline, in nanoseconds from its first wait, of a body of {@code length} bytes. */
    long bodyDeadlineNanos(long length) {
        return bodyTimeout.toNanos() + length * 1_000_000_000L / minBodyRate;
    }
}
