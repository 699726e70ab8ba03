package org.jcasync.server;

import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.HTTP2Cipher;
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
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * A Jetty 12 server running one {@link StoreProtocol}: it listens on the {@link ServerOptions}' addresses (HTTPS when
 * TLS files are given, with client certificates for mutual TLS), speaks HTTP/1.1 and HTTP/2 (h2 offered by ALPN
 * over TLS; h2c on plain http for clients that ask for it by prior knowledge or {@code Upgrade}), refuses requests
 * without the configured {@code Authorization} value (401, compared in constant time), answers {@code GET /} with a health line, logs
 * each request, and keeps memory bounded: each request runs on a virtual thread, at most
 * {@link ServerOptions#maxConcurrentRequests()} of them work at once, at most
 * {@link ServerOptions#maxConnections()} connections are accepted, and protocols read bodies with a size limit.
 */
final class JettyServer implements Closeable {
    private final String name;
    private final ServerOptions options;
    private final Server server;
    private final List<ServerConnector> connectors = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

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
        SslContextFactory.Server ssl = options.tls() == null ? null : sslContextFactory(options.tls());
        for (ListenAddress a : options.listen()) {
            ServerConnector c = new ServerConnector(server, 1, 1, protocols(http, ssl));
            c.setHost(a.host().isEmpty() ? null : a.host());
            c.setPort(a.port());
            c.setIdleTimeout(120_000);
            server.addConnector(c);
            connectors.add(c);
        }
        server.addBean(new NetworkConnectionLimit(options.maxConnections(), server));
        if (options.requestLog() != null) {
            server.setRequestLog(options.requestLog());
        }
        server.setHandler(new GracefulHandler(new ProtocolHandler(protocol)));
    }

    /** HTTP/1.1's ALPN protocol id (RFC 7301); the connector finds its factory by name, ignoring case. */
    private static final String ALPN_HTTP_1_1 = "http/1.1";

    /**
     * The protocols of one connector. Over TLS: ALPN offers h2, then http/1.1 (also taken when the client names no
     * protocol; a client offering only others is refused in the handshake). Plain: HTTP/1.1, which hands a connection over to h2c when it opens with the HTTP/2 preface or a
     * request asks for {@code Upgrade: h2c}; other HTTP/1.1 clients see no difference.
     */
    private static ConnectionFactory[] protocols(HttpConfiguration http, SslContextFactory.Server ssl) {
        HttpConnectionFactory http1 = new HttpConnectionFactory(http);
        if (ssl == null) {
            return new ConnectionFactory[] {http1, new HTTP2CServerConnectionFactory(http)};
        }
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
        // ALPN ids, matched exactly against the client's (HttpConnectionFactory's name is "HTTP/1.1": a client
        // offering only "http/1.1", as curl --http1.1 does, would find no protocol and be dropped).
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(h2.getProtocol(), ALPN_HTTP_1_1);
        alpn.setDefaultProtocol(ALPN_HTTP_1_1);
        return new ConnectionFactory[] {new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, h2, http1};
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
            if (t instanceof java.nio.channels.UnresolvedAddressException) {
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

    /** Authorization, the health line, the concurrency limit, then the protocol. */
    private final class ProtocolHandler extends Handler.Abstract {
        private final StoreProtocol protocol;
        private final Semaphore working = new Semaphore(options.maxConcurrentRequests(), true);
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
            boolean permit = false;
            try {
                Reply reply = refusal(request);
                if (reply == null) {
                    try {
                        working.acquire();
                        permit = true;
                        reply = answer(request);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        reply = Reply.text(503, "the " + name + " is stopping");
                    }
                }
                send(request, response, done, reply);
            } catch (Throwable t) {
                if (response.isCommitted()) {
                    done.failed(t);
                } else {
                    send(request, response, done, Reply.text(500, "internal error: " + t));
                }
            } finally {
                if (permit) {
                    working.release();
                }
            }
            return true;
        }

        /** The reply to an unauthorized request or to the health check, else null. */
        private Reply refusal(Request request) {
            if (expected != null) {
                String got = request.getHeaders().get(HttpHeader.AUTHORIZATION);
                if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
                    return Reply.text(401, got == null ? "authorization required" : "authorization refused");
                }
            }
            String method = request.getMethod();
            if (request.getHttpURI().getPath().equals("/") && (method.equals("GET") || method.equals("HEAD"))) {
                StringBuilder health = new StringBuilder("jcasync " + name);
                for (String c : protocol.capabilities()) {
                    health.append('\n').append(c);
                }
                return Reply.text(200, health.toString());
            }
            return null;
        }

        private Reply answer(Request request) {
            try {
                return protocol.serve(new JettyCall(request));
            } catch (HttpStatusException e) {
                return Reply.text(e.status(), e.getMessage());
            } catch (IOException | RuntimeException e) {
                return Reply.text(500, String.valueOf(e.getMessage()).replace('\n', ' '));
            }
        }

        /** Sends the reply; a streamed body is written here, on the request's thread, before it returns. */
        private void send(Request request, Response response, Callback callback, Reply reply) {
            response.setStatus(reply.status());
            reply.headers().forEach((k, v) -> response.getHeaders().put(k, v));
            if (reply.status() == 405) {
                response.getHeaders().put(HttpHeader.ALLOW, protocol.allowedMethods(request.getHttpURI().getPath(), options.writable()));
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
            if (!drained(request) && http1(request)) {
                // HTTP/2 has no such header: there the unread rest ends with the request's own stream.
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
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
                    send(request, response, callback, Reply.text(500, String.valueOf(e.getMessage())
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

    /** Largest unread request body skipped so that the connection can serve the next request. */
    private static final int DRAIN_LIMIT = 1 << 20;

    /** Whether the request came over HTTP/1.0 or 1.1 (not HTTP/2). */
    private static boolean http1(Request request) {
        return request.getConnectionMetaData().getHttpVersion().getVersion() < HttpVersion.HTTP_2.getVersion();
    }

    /**
     * Reads what is left of a body the protocol did not read (a refused upload), up to {@link #DRAIN_LIMIT}: the
     * client is still sending it and expects the connection (HTTP/1.1) or the stream (HTTP/2) to end normally.
     * False when more is left (an HTTP/1.1 connection is then closed after the reply, and says so; an HTTP/2 stream
     * is reset).
     */
    private static boolean drained(Request request) {
        // HTTP/2 has no Transfer-Encoding: a body of unknown length may follow any request without Content-Length.
        boolean hasBody = request.getLength() > 0 || request.getLength() < 0
                && (!http1(request) || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
        if (!hasBody || request.getLength() >= 0 && Request.getContentBytesRead(request) >= request.getLength()) {
            return true;
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] skip = new byte[16384];
            long total = 0;
            for (int n; (n = in.read(skip)) >= 0; ) {
                total += n;
                if (total > DRAIN_LIMIT) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A Jetty request as a {@link Call}. */
    private record JettyCall(Request request) implements Call {
        @Override
        public String method() {
            return request.getMethod();
        }

        @Override
        public String rawPath() {
            return request.getHttpURI().getPath();
        }

        @Override
        public String decodedPath() {
            return request.getHttpURI().getDecodedPath();
        }

        @Override
        public String header(String name) {
            return request.getHeaders().get(name);
        }

        @Override
        public byte[] body(int max) throws IOException {
            long declared = request.getLength();
            if (declared > max) {
                throw new HttpStatusException(413, "body of " + declared + " bytes is larger than the limit of "
                        + max + " bytes");
            }
            try (InputStream in = Content.Source.asInputStream(request)) {
                byte[] b = in.readNBytes(max + 1);
                if (b.length > max) {
                    throw new HttpStatusException(413, "body is larger than the limit of " + max + " bytes");
                }
                return b;
            } catch (InterruptedIOException e) {
                throw e;
            } catch (HttpStatusException e) {
                throw e;
            } catch (IOException e) {
                throw new HttpStatusException(400, "could not read the request body: " + e.getMessage());
            }
        }
    }
}
