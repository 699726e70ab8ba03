package org.jcasync.server;

import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Closes connections that hold one of the server's connection slots without using it, which Jetty's idle timeout
 * does not catch:
 * <ul>
 * <li>a request header that takes too long to arrive (slowloris): an HTTP/1.1 header arriving for longer than the
 * header timeout, or a connection still in its TLS handshake or protocol negotiation after that time. Jetty's idle
 * timeout restarts with every byte, so one byte a second would keep a connection for ever. HTTP/2 connections are
 * left to Jetty here (their header blocks are bounded, and a stream exists only once its header is whole);</li>
 * <li>while the connection limit is reached, a connection idle between requests (an HTTP/1.1 connection waiting for
 * its next request, an HTTP/2 connection without streams) for longer than the crowded idle timeout, so that the
 * clients waiting in the kernel's listen queue get in. Jetty's own way (a shorter idle timeout set on every
 * connection when the limit is reached, the longer one set back when one closes) flapped with each close and each
 * accept, and restarted the shorter timeout each time: a queue of idle clients drained one every few seconds.</li>
 * </ul>
 * Every connection is looked at a few times per header timeout (at least once a second) from Jetty's scheduler; a
 * header is timed from the first look that finds it arriving, so it is cut between one and about one and a quarter
 * timeouts after it began.
 */
final class ConnectionWatch extends AbstractLifeCycle implements Runnable {
    private final List<ServerConnector> connectors;
    private final long headerTimeoutNanos;
    private final long crowdedIdleMillis;
    private final int maxConnections;
    private final long periodMillis;
    /** The connections seen receiving a header: which request (by count) and since when. */
    private final Map<EndPoint, Arriving> arriving = new HashMap<>();
    private Scheduler scheduler;
    private volatile Scheduler.Task next;

    private record Arriving(long request, long since) {
    }

    ConnectionWatch(List<ServerConnector> connectors, ServerLimits limits) {
        this.connectors = connectors;
        this.headerTimeoutNanos = limits.headerTimeout().toNanos();
        this.crowdedIdleMillis = limits.crowdedIdleTimeout().toMillis();
        this.maxConnections = limits.maxConnections();
        this.periodMillis = Math.max(50, Math.min(1000, limits.headerTimeout().toMillis() / 4));
    }

    @Override
    protected void doStart() {
        scheduler = connectors.getFirst().getScheduler();
        next = scheduler.schedule(this, periodMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        Scheduler.Task t = next;
        if (t != null) {
            t.cancel();
        }
    }

    @Override
    public synchronized void run() {
        if (!isRunning()) {
            return;
        }
        long now = System.nanoTime();
        int open = 0;
        for (ServerConnector c : connectors) {
            open += c.getConnectedEndPoints().size();
        }
        boolean crowded = open >= maxConnections;
        Map<EndPoint, Arriving> seen = new HashMap<>();
        for (ServerConnector c : connectors) {
            for (EndPoint ep : c.getConnectedEndPoints()) {
                Connection connection = innermost(ep);
                Arriving a = arriving(ep, connection, now);
                if (a != null && now - a.since() > headerTimeoutNanos) {
                    ep.close(new TimeoutException("request header not received within "
                            + TimeUnit.NANOSECONDS.toSeconds(headerTimeoutNanos) + " s"));
                } else if (a != null) {
                    seen.put(ep, a);
                } else if (crowded && betweenRequests(connection) && ep instanceof IdleTimeout t
                        && t.getIdleFor() > crowdedIdleMillis) {
                    ep.close(new TimeoutException("idle while the connection limit is reached"));
                }
            }
        }
        arriving.clear();
        arriving.putAll(seen);
        next = scheduler.schedule(this, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** The HTTP connection of {@code ep}, under TLS when there is TLS (null while there is none yet). */
    private static Connection innermost(EndPoint ep) {
        Connection connection = ep.getConnection();
        while (connection instanceof SslConnection tls) {
            connection = tls.getSslEndPoint().getConnection();
        }
        return connection;
    }

    /** Since when {@code ep} has been saying what it wants, or null when it is not (idle, or being answered). */
    private Arriving arriving(EndPoint ep, Connection connection, long now) {
        if (connection instanceof HTTP2Connection) {
            return null;
        }
        if (connection instanceof HttpConnection http) {
            HttpParser parser = http.getParser();
            if (!parser.inHeaderState() || parser.isStart()) {
                return null;
            }
            Arriving before = arriving.get(ep);
            long request = http.getMessagesIn();
            return before != null && before.request() == request ? before : new Arriving(request, now);
        }
        // A TLS handshake or an ALPN negotiation in progress: timed from the first look.
        Arriving before = arriving.get(ep);
        return before != null ? before : new Arriving(-1, now);
    }

    /** Whether the connection waits for its next request (HTTP/1.1) or has no stream open (HTTP/2). */
    private static boolean betweenRequests(Connection connection) {
        if (connection instanceof HttpConnection http) {
            return http.getParser().isStart();
        }
        return connection instanceof HTTP2Connection h2 && h2.getSession().getStreamCount() == 0;
    }
}
