package org.jcasync.http;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Jetty server on 127.0.0.1 (ephemeral port) serving a directory as a static web server does (GET, HEAD, and PUT
 * to add files), with faults queued per path to test the client against: statuses, stalls, resets, short bodies,
 * other bytes. Counts requests per path and the most requests it saw at once.
 */
final class StaticWebServer implements AutoCloseable {
    /** What a queued fault does with a request; returns true when it answered, false to serve normally after. */
    @FunctionalInterface
    interface Fault {
        boolean apply(Request request, Response response, Callback callback, byte[] content) throws Exception;
    }

    private final Path root;
    private final Server server = new Server();
    private final ServerConnector connector;
    private final String scheme;
    private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();
    private final Map<String, Fault> handlers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final AtomicInteger current = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private volatile String requiredAuthorization;
    private volatile long delayMillis;

    private StaticWebServer(Path root, SslContextFactory.Server tls) throws Exception {
        this.root = root;
        this.scheme = tls == null ? "http" : "https";
        connector = tls == null ? new ServerConnector(server) : new ServerConnector(server, tls);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return serve(request, response, callback);
            }
        });
        server.start();
    }

    /** Serves {@code root} over plain http. */
    static StaticWebServer start(Path root) throws Exception {
        return new StaticWebServer(root, null);
    }

    /** Serves {@code root} over TLS. */
    static StaticWebServer startTls(Path root, SslContextFactory.Server tls) throws Exception {
        return new StaticWebServer(root, tls);
    }

    int port() {
        return connector.getLocalPort();
    }

    /** The URL of {@code path} (relative, no leading slash). */
    String url(String path) {
        return scheme + "://127.0.0.1:" + port() + "/" + path;
    }

    /** Answers requests whose path ends with {@code pathSuffix} with these faults, one per request, in order. */
    void fault(String pathSuffix, Fault... fs) {
        Deque<Fault> q = faults.computeIfAbsent(pathSuffix, k -> new ArrayDeque<>());
        synchronized (q) {
            q.addAll(List.of(fs));
        }
    }

    /**
     * Answers every request whose path ends with {@code pathSuffix} with {@code f} (when no queued fault is due):
     * another kind of server for those files, e.g. one that answers Range requests in a particular way.
     */
    void handler(String pathSuffix, Fault f) {
        handlers.put(pathSuffix, f);
    }

    /** Requires this Authorization header value (401 otherwise), or none with null. */
    void requireAuthorization(String value) {
        requiredAuthorization = value;
    }

    /** Delays every reply by this much (to make concurrency visible). */
    void delay(long millis) {
        delayMillis = millis;
    }

    /** Requests whose path ended with {@code suffix}. */
    int requests(String suffix) {
        int n = 0;
        for (Map.Entry<String, AtomicInteger> e : requests.entrySet()) {
            if (e.getKey().endsWith(suffix)) {
                n += e.getValue().get();
            }
        }
        return n;
    }

    /** "METHOD path" of every request, in order of arrival. */
    List<String> log() {
        return log;
    }

    /** The most requests the server handled at the same time. */
    int mostAtOnce() {
        return mostAtOnce.get();
    }

    private Fault nextFault(String path) {
        for (Map.Entry<String, Deque<Fault>> e : faults.entrySet()) {
            if (path.endsWith(e.getKey())) {
                synchronized (e.getValue()) {
                    Fault f = e.getValue().poll();
                    if (f != null) {
                        return f;
                    }
                }
            }
        }
        for (Map.Entry<String, Fault> e : handlers.entrySet()) {
            if (path.endsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }

    private boolean serve(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        requests.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
        log.add(request.getMethod() + " " + path);
        int now = current.incrementAndGet();
        mostAtOnce.accumulateAndGet(now, Math::max);
        try {
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
            String auth = requiredAuthorization;
            if (auth != null && !auth.equals(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
                return status(response, callback, 401);
            }
            Path file = root.resolve(path.substring(1)).normalize();
            if (!file.startsWith(root)) {
                return status(response, callback, 400);
            }
            if (request.getMethod().equals("PUT")) {
                byte[] body = Content.Source.asInputStream(request).readAllBytes();
                Files.createDirectories(file.getParent());
                Files.write(file, body);
                return status(response, callback, 201);
            }
            byte[] content = Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
            Fault f = nextFault(path);
            if (f != null && f.apply(request, response, callback, content)) {
                return true;
            }
            if (content == null) {
                return status(response, callback, 404);
            }
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length);
            if (request.getMethod().equals("HEAD")) {
                callback.succeeded();
            } else {
                response.write(true, ByteBuffer.wrap(content), callback);
            }
            return true;
        } finally {
            current.decrementAndGet();
        }
    }

    static boolean status(Response response, Callback callback, int status) {
        response.setStatus(status);
        Content.Sink.write(response, true, "status " + status + "\n", callback);
        return true;
    }

    // ---- faults ----

    /** Answers with {@code status} (a short text body). */
    static Fault status(int status) {
        return (req, resp, cb, content) -> status(resp, cb, status);
    }

    /** Answers 429 with a Retry-After of {@code seconds}. */
    static Fault tooManyRequests(int seconds) {
        return (req, resp, cb, content) -> {
            resp.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(seconds));
            return status(resp, cb, 429);
        };
    }

    /** Waits {@code millis} before answering normally. */
    static Fault stall(long millis) {
        return (req, resp, cb, content) -> {
            Thread.sleep(millis);
            return false;
        };
    }

    /** Sends the headers and half the body, waits {@code millis}, then the rest. */
    static Fault stallMidBody(long millis) {
        return (req, resp, cb, content) -> {
            resp.setStatus(200);
            resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length);
            Content.Sink.write(resp, false, ByteBuffer.wrap(content, 0, content.length / 2));
            Thread.sleep(millis);
            resp.write(true, ByteBuffer.wrap(content, content.length / 2, content.length - content.length / 2), cb);
            return true;
        };
    }

    /** Sends the headers and half the body, then drops the connection. */
    static Fault resetMidBody() {
        return (req, resp, cb, content) -> {
            resp.setStatus(200);
            resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length);
            Content.Sink.write(resp, false, ByteBuffer.wrap(content, 0, content.length / 2));
            req.getConnectionMetaData().getConnection().getEndPoint().close();
            cb.failed(new java.io.IOException("connection reset by the test"));
            return true;
        };
    }

    /** Declares the full length but sends only the first {@code fraction} of the body and ends the reply. */
    static Fault truncated() {
        return (req, resp, cb, content) -> {
            resp.setStatus(200);
            resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length);
            Content.Sink.write(resp, false, ByteBuffer.wrap(content, 0, content.length - 100));
            req.getConnectionMetaData().getConnection().getEndPoint().shutdownOutput();
            cb.failed(new java.io.IOException("truncated by the test"));
            return true;
        };
    }

    /** Answers 200 with {@code other} as the body. */
    static Fault serve(byte[] other) {
        return (req, resp, cb, content) -> {
            resp.setStatus(200);
            resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, other.length);
            resp.write(true, ByteBuffer.wrap(other), cb);
            return true;
        };
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
