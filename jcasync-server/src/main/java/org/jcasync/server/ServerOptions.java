package org.jcasync.server;

import java.util.List;

/**
 * What the chunk and index servers share: where they listen, whether they accept uploads, TLS, the
 * {@code Authorization} value every request must carry, the request log and the limits on clients and work.
 *
 * @param listen addresses to listen on (at least one)
 * @param writable whether {@code PUT} is accepted
 * @param authorization the exact {@code Authorization} header value every request must carry, or null for none
 * @param tls certificate and key for HTTPS (and the client CA for mutual TLS), or null for plain HTTP
 * @param requestLog where each request is logged, or null for nowhere
 * @param limits the bounds on concurrent work, connections and slow clients
 */
public record ServerOptions(List<ListenAddress> listen, boolean writable, String authorization, TlsFiles tls,
                            RequestLogger requestLog, ServerLimits limits) {
    public ServerOptions {
        listen = List.copyOf(listen);
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("no listen address");
        }
        if (authorization != null && authorization.isEmpty()) {
            authorization = null;
        }
        if (limits == null) {
            throw new IllegalArgumentException("no limits");
        }
    }

    /** Read-only plain HTTP on {@code listen}, no authorization, no log, default limits. */
    public static ServerOptions of(ListenAddress... listen) {
        return new ServerOptions(List.of(listen), false, null, null, null, ServerLimits.DEFAULT);
    }

    /** Read-only plain HTTP on 127.0.0.1 at a free port. */
    public static ServerOptions loopback() {
        return of(new ListenAddress("127.0.0.1", 0));
    }

    /** The same with uploads accepted or not. */
    public ServerOptions withWritable(boolean w) {
        return new ServerOptions(listen, w, authorization, tls, requestLog, limits);
    }

    /** The same with another required {@code Authorization} value (null: none). */
    public ServerOptions withAuthorization(String a) {
        return new ServerOptions(listen, writable, a, tls, requestLog, limits);
    }

    /** The same over TLS (null: plain HTTP). */
    public ServerOptions withTls(TlsFiles t) {
        return new ServerOptions(listen, writable, authorization, t, requestLog, limits);
    }

    /** The same with a request log (null: none). */
    public ServerOptions withRequestLog(RequestLogger l) {
        return new ServerOptions(listen, writable, authorization, tls, l, limits);
    }

    /** The same with other limits. */
    public ServerOptions withLimits(ServerLimits l) {
        return new ServerOptions(listen, writable, authorization, tls, requestLog, l);
    }
}
