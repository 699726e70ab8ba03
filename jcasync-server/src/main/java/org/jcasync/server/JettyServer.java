package org.jcasync.server;

import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.AbstractHTTP2ServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Jetty 12 server running one {@link StoreProtocol}: it listens on the {@link ServerOptions}' addresses (HTTPS when
 * TLS files are given, with client certificates for mutual TLS), speaks HTTP/1.1 and HTTP/2 (h2 offered by ALPN
 * over TLS; h2c on plain http for clients that ask for it by prior knowledge or {@code Upgrade}), refuses requests
 * without the configured {@code Authorization} value (401, compared in constant time), answers {@code GET /} with a
 * health line and logs each request. It keeps memory bounded and reads available whatever clients do
 * ({@link ServerLimits}): requests that cannot succeed are refused from their header, bodies are received before a
 * request takes a turn among those worked on at once, replies are written after, and slow, idle and half-sent
 * requests are cut off after fixed bounds.
 */
final class JettyServer implements Closeable {
    private final String name;
    private final ServerOptions options;
    private final Server server;
    private final List<ServerConnector> connectors = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * A server (not started yet) named {@code name} (for the health line, e.g. "chunk-server") running
     * {@code protocol}.
     */
    JettyServer(String name, ServerOptions options, StoreProtocol protocol) throws IOException {
        this.name = name;
        this.options = options;
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("jcasync-" + name);
        threads.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("jcasync-" + name + "-"));
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        // Jetty reuses header fields of earlier requests on a connection when they match ignoring case: an
        // Authorization value differing only in case would then be taken for the earlier one.
        http.setHeaderCacheCaseSensitive(true);
        http.setRequestHeaderSize(MAX_HEADER_SIZE);
        SslContextFactory.Server ssl = options.tls() == null ? null : sslContextFactory(options.tls());
        ServerLimits limits = options.limits();
        for (ListenAddress a : options.listen()) {
            ServerConnector c = new ServerConnector(server, 1, 1, protocols(http, ssl, limits));
            c.setHost(a.host().isEmpty() ? null : a.host());
            c.setPort(a.port());
            c.setIdleTimeout(limits.idleTimeout().toMillis());
            // The kernel's queue of connections not accepted yet (capped by net.core.somaxconn): Java's default of
            // 50 reset some of 1,000 clients connecting at once, and held few while the connection limit is reached.
            c.setAcceptQueueSize(limits.maxConnections());
            server.addConnector(c);
            connectors.add(c);
        }
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), server));
        // Slow request headers, and idle connections while the limit is reached, are closed by this watch.
        server.addBean(new ConnectionWatch(connectors, limits));
        if (options.requestLog() != null) {
            server.setRequestLog(options.requestLog());
        }
        server.setHandler(new GracefulHandler(new ProtocolHandler(protocol)));
    }

    /** Most of a refused body read and dropped after the refusal (see {@code sendThenDiscardBody}). */
    private static final long LINGER_BYTES = 1 << 20;
    /** Longest time spent reading and dropping a refused body. */
    private static final long LINGER_NANOS = 5_000_000_000L;

    /** Largest request header (HTTP/1.1 header, HTTP/2 header list): Jetty's default, 8 KiB; more is 431. */
    private static final int MAX_HEADER_SIZE = 8 << 10;
    /** Streams of one HTTP/2 connection open at once (Jetty's default); each is a request as any other. */
    private static final int MAX_STREAMS = 128;

    /** HTTP/1.1's ALPN protocol id (RFC 7301); the connector finds its factory by name, ignoring case. */
    private static final String ALPN_HTTP_1_1 = "http/1.1";

    /**
     * The protocols of one connector. Over TLS: ALPN offers h2, then http/1.1 (also taken when the client names no
     * protocol; a client offering only others is refused in the handshake). Plain: HTTP/1.1, which hands a
     * connection over to h2c when it opens with the HTTP/2 preface or a request asks for {@code Upgrade: h2c}; other
     * HTTP/1.1 clients see no difference. HTTP/2 gets the stream limits ({@link #limited}).
     */
    private static ConnectionFactory[] protocols(HttpConfiguration http, SslContextFactory.Server ssl,
                                                 ServerLimits limits) {
        HttpConnectionFactory http1 = new HttpConnectionFactory(http);
        if (ssl == null) {
            return new ConnectionFactory[] {http1, limited(new HTTP2CServerConnectionFactory(http), limits)};
        }
        HTTP2ServerConnectionFactory h2 = limited(new HTTP2ServerConnectionFactory(http), limits);
        // ALPN ids, matched exactly against the client's (HttpConnectionFactory's name is "HTTP/1.1": a client
        // offering only "http/1.1", as curl --http1.1 does, would find no protocol and be dropped).
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(h2.getProtocol(), ALPN_HTTP_1_1);
        alpn.setDefaultProtocol(ALPN_HTTP_1_1);
        return new ConnectionFactory[] {new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, h2, http1};
    }

    /** HTTP/2 with the stream limits: so many streams per connection, each closed when idle as a connection is. */
    private static <F extends AbstractHTTP2ServerConnectionFactory> F limited(F h2, ServerLimits limits) {
        h2.setMaxConcurrentStreams(MAX_STREAMS);
        h2.setStreamIdleTimeout(limits.idleTimeout().toMillis());
        return h2;
    }

    private static SslContextFactory.Server sslContextFactory(TlsFiles tls) throws IOException {
        SslContextFactory.Server f = new SslContextFactory.Server();
        // Cipher suites HTTP/2 accepts first (RFC 9113 forbids the others for h2).
        f.setCipherComparator(HTTP2Cipher.COMPARATOR);
        f.setKeyStore(PemKeys.keyStore(tls.certificate(), tls.key()));
        f.setKeyStorePassword(new String(PemKeys.PASSWORD));
        if (tls.mutual()) {
            f.setTrustStore(PemKeys.trustStore(tls.clientCa()));
            f.setNeedClientAuth(true);
        }
        return f;
    }

    /** Binds every listen address and starts serving; a failure names the address. */
    public void start() throws IOException {
        try {
            for (int i = 0; i < connectors.size(); i++) {
                try {
                    connectors.get(i).open();
                } catch (IOException | RuntimeException e) {
                    throw new IOException("cannot listen on " + options.listen().get(i) + ": " + reason(e), e);
                }
            }
            server.start();
        } catch (IOException e) {
            close();
            throw e;
        } catch (Exception e) {
            close();
            throw new IOException("cannot start the " + name + ": " + e.getMessage(), e);
        }
    }

    /** Why binding failed, in a few words. */
    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException) {
                return "unknown host";
            }
            if (t.getCause() == null) {
                return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            }
        }
        return e.toString();
    }

    /** The base URL of each listen address (with the real port when 0 was asked for), once started. */
    public List<URI> uris() {
        List<URI> out = new ArrayList<>();
        String scheme = options.tls() == null ? "http" : "https";
        for (ServerConnector c : connectors) {
            String host = c.getHost() == null ? "0.0.0.0" : c.getHost();
            if (host.indexOf(':') >= 0) {
                host = "[" + host + "]";
            }
            out.add(URI.create(scheme + "://" + host + ":" + c.getLocalPort() + "/"));
        }
        return out;
    }

    /** Waits until the server has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops serving: requests in progress get up to 5 s to finish. */
    @Override
    public void close() {
        // Jetty's graceful stop polls: wait only when there is something to wait for.
        server.setStopTimeout(inFlight.get() > 0 ? 5_000 : 0);
        try {
            server.stop();
        } catch (Exception e) {
            // Stopping failed half-way: nothing more to do with this server.
        }
    }

    /**
     * Authorization, the health line and the protocol's refusals, from the header alone; then the body, received
     * within its share of the body memory and its deadline; then a turn among the requests worked on at once, in
     * which the protocol serves the request; then the reply, written after the turn.
     */
    private final class ProtocolHandler extends Handler.Abstract {
        private final StoreProtocol protocol;
        private final ServerLimits limits = options.limits();
        private final Turns work = new Turns("the " + name + " is busy", limits.maxRequests(), limits.maxWaiting(),
                limits.turnWait());
        /** Shares of the body memory, in KiB. */
        private final Turns bodyMemory = new Turns("the " + name + " is receiving too many request bodies",
                (int) Math.min(Integer.MAX_VALUE, limits.bodyMemory() >> 10), limits.maxWaiting(), limits.turnWait());
        private final byte[] expected = options.authorization() == null ? null
                : options.authorization().getBytes(StandardCharsets.UTF_8);

        ProtocolHandler(StoreProtocol protocol) {
            super(InvocationType.BLOCKING);
            this.protocol = protocol;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            inFlight.incrementAndGet();
            Callback done = Callback.from(callback, inFlight::decrementAndGet);
            JettyCall call = new JettyCall(request, work);
            try {
                Reply reply = refusal(call);
                if (reply != null && call.bodyUntouched()) {
                    sendThenDiscardBody(request, call, response, done, reply);
                } else {
                    send(request, call, response, done, reply != null ? reply : answer(call));
                }
            } catch (Throwable t) {
                if (response.isCommitted()) {
                    done.failed(t);
                } else {
                    send(request, call, response, done, Reply.text(500, "internal error: " + t));
                }
            }
            return true;
        }

        /** The reply to a request refused from its header alone, or to the health check; else null. */
        private Reply refusal(JettyCall call) {
            if (expected != null) {
                String got = call.header(HttpHeader.AUTHORIZATION.asString());
                if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
                    return Reply.text(401, got == null ? "authorization required" : "authorization refused");
                }
            }
            String method = call.method();
            if (call.rawPath().equals("/") && (method.equals("GET") || method.equals("HEAD"))) {
                StringBuilder health = new StringBuilder("jcasync " + name);
                for (String c : protocol.capabilities()) {
                    health.append('\n').append(c);
                }
                return Reply.text(200, health.toString());
            }
            try {
                protocol.admit(call);
                long limit = protocol.bodyLimit(call);
                if (limit > 0 && call.declaredLength() > limit) {
                    return Reply.text(413, "body of " + call.declaredLength() + " bytes is larger than the limit of "
                            + limit + " bytes");
                }
            } catch (HttpStatusException e) {
                return Reply.text(e.status(), e.getMessage());
            }
            return null;
        }

        /** Receives the body (if the protocol reads it), then serves the request in a turn. */
        private Reply answer(JettyCall call) {
            try {
                long limit = protocol.bodyLimit(call);
                if (limit > 0 && call.hasBody()) {
                    long share = call.declaredLength() >= 0 ? call.declaredLength() : limit;
                    long deadline = System.nanoTime() + limits.bodyDeadlineNanos(share);
                    int kib = (int) Math.min(Integer.MAX_VALUE, (share + 1023) >> 10);
                    try (Turns.Turn ignored = bodyMemory.take(kib)) {
                        call.receiveBody(limit, deadline);
                        return serve(call);
                    }
                }
                return serve(call);
            } catch (HttpStatusException e) {
                Reply r = Reply.text(e.status(), e.getMessage());
                return e.status() == 503 ? r.withHeader("Retry-After", "1") : r;
            } catch (IOException | RuntimeException e) {
                return Reply.text(500, String.valueOf(e.getMessage()).replace('\n', ' '));
            }
        }

        private Reply serve(JettyCall call) throws IOException {
            try (Turns.Turn ignored = work.take(1)) {
                return protocol.serve(call);
            }
        }

        /**
         * Sends the refusal of a request whose body was not read, then reads and drops what the client still sends
         * of it for a short while ({@link #LINGER_BYTES}, {@link #LINGER_NANOS}; no turn is held), as a web server's
         * lingering close: an honest client that sends its whole body before it reads the reply gets the reply, not
         * a reset connection. A body that ends meanwhile leaves the connection usable; otherwise Jetty closes it
         * (HTTP/1.1) or resets the stream (HTTP/2) once the request ends with its body unread.
         */
        private void sendThenDiscardBody(Request request, JettyCall call, Response response, Callback callback,
                                         Reply reply) {
            Callback.Completable written = new Callback.Completable();
            send(request, call, response, written, reply, false);
            try {
                written.get();
            } catch (Exception e) {
                callback.failed(e);
                return;
            }
            call.discardBody(LINGER_BYTES, System.nanoTime() + LINGER_NANOS);
            callback.succeeded();
        }

        /**
         * Sends the reply; a streamed body is written here, on the request's thread, before it returns. A request
         * whose body was left unread ends its HTTP/1.1 connection after the reply (and says so); on HTTP/2 Jetty
         * resets its stream.
         */
        private void send(Request request, JettyCall call, Response response, Callback callback, Reply reply) {
            send(request, call, response, callback, reply, true);
        }

        /** {@link #send}; {@code closing}: say that an HTTP/1.1 connection ends after a reply whose body was unread. */
        private void send(Request request, JettyCall call, Response response, Callback callback, Reply reply,
                          boolean closing) {
            response.setStatus(reply.status());
            reply.headers().forEach((k, v) -> response.getHeaders().put(k, v));
            if (reply.status() == 405) {
                response.getHeaders().put(HttpHeader.ALLOW, protocol.allowedMethods(call.rawPath(),
                        options.writable()));
            }
            if (closing && call.bodyLeftUnread() && call.http1()) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            if (reply.body() == null && reply.stream() == null) {
                response.write(true, ByteBuffer.allocate(0), callback);
                return;
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
            long length = reply.body() != null ? reply.body().length : reply.length();
            if (length >= 0) {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
            }
            boolean head = request.getMethod().equals("HEAD");
            if (head || reply.body() != null) {
                response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(reply.body()), callback);
                return;
            }
            OutputStream out = Content.Sink.asOutputStream(response);
            try {
                reply.stream().writeTo(out);
                out.close();
            } catch (IOException | RuntimeException e) {
                if (!response.isCommitted()) {
                    // Nothing sent yet: the failure can still be told properly.
                    response.reset();
                    send(request, call, response, callback, Reply.text(500, String.valueOf(e.getMessage())
                            .replace('\n', ' ')));
                    return;
                }
                // Not closed: a close would end the reply as if it were complete. Failing the request aborts the
                // connection, so the client sees the reply truncated.
                callback.failed(e);
                return;
            }
            callback.succeeded();
        }
    }
}
