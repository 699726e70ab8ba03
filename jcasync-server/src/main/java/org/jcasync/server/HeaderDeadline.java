package org.jcasync.server;

import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
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
 * Closes connections that take too long to say what they want (slowloris): an HTTP/1.1 request header that has been
 * arriving for longer than the header timeout, or a connection still in its TLS handshake or protocol negotiation
 * after that time. Jetty has no such deadline of its own: its idle timeout restarts with every byte, so one byte a
 * second keeps a connection forever. HTTP/2 connections are left to Jetty (their header blocks are bounded, a stream
 * exists only once its header is whole, and the idle timeout applies to each stream).
 * <p>
 * Every connection is looked at a few times per timeout, from Jetty's scheduler; a header is timed from the first
 * look that finds it arriving, so it is cut between one and about one and a quarter timeouts after it began.
 */
final class HeaderDeadline extends AbstractLifeCycle implements Runnable {
    private final List<ServerConnector> connectors;
    private final long timeoutNanos;
    private final long periodMillis;
    /** The connections seen receiving a header: which request (by count) and since when. */
    private final Map<EndPoint, Arriving> arriving = new HashMap<>();
    private Scheduler scheduler;
    private volatile Scheduler.Task next;

    private record Arriving(long request, long since) {
    }

    HeaderDeadline(List<ServerConnector> connectors, Duration timeout) {
        this.connectors = connectors;
        this.timeoutNanos = timeout.toNanos();
        this.periodMillis = Math.max(50, Math.min(1000, timeout.toMillis() / 4));
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
        Map<EndPoint, Arriving> seen = new HashMap<>();
        for (ServerConnector c : connectors) {
            for (EndPoint ep : c.getConnectedEndPoints()) {
                Arriving a = look(ep, now);
                if (a == null) {
                    continue;
                }
                if (now - a.since() > timeoutNanos) {
                    ep.close(new TimeoutException("request header not received within "
                            + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s"));
                } else {
                    seen.put(ep, a);
                }
            }
        }
        arriving.clear();
        arriving.putAll(seen);
        next = scheduler.schedule(this, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Since when {@code ep} has been saying what it wants, or null when it is not (idle, or being answered). */
    private Arriving look(EndPoint ep, long now) {
        Connection connection = ep.getConnection();
        while (connection instanceof SslConnection tls) {
            connection = tls.getSslEndPoint().getConnection();
        }
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
        // A TLS handshake or an ALPN negotiation in progress: timed from when the connection was opened.
        Arriving before = arriving.get(ep);
        return before != null ? before : new Arriving(-1, now);
    }
}
