package org.jcasync.http;

import org.jcasync.chunk.ChunkId;
import org.jcasync.io.HttpBodyStream;
import org.jcasync.io.StreamParser;
import org.jcasync.io.TrackedInputStream;
import org.jcasync.store.StoreException;
import org.jcasync.store.TransferWatch;
import org.jcasync.store.TransportOptions;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * One server's requests: a JDK {@link HttpClient} (keep-alive connection pool; HTTP/2 when a TLS server offers it
 * by ALPN, HTTP/1.1 on plain http), an {@link AdaptiveLimit} on requests in flight, retries with exponential
 * back-off, the shared download {@link TokenBucket}, authentication and counters. Requests are asynchronous: a
 * caller puts many in flight and waits for their futures.
 */
final class HttpTransport implements AutoCloseable {
    /** Longest wait between two attempts, whatever the back-off or a server's Retry-After says. */
    private static final long MAX_RETRY_DELAY_MS = 30_000;
    private static final ScheduledExecutorService TIMER = timer();
    /** Turns downloaded replies into results (decompression): one thread per core, shared by all stores. */
    private static final ExecutorService DECODE = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), daemon("jcasync-http-decode"));

    private final HttpClient client;
    private final AdaptiveLimit limit;
    private final TokenBucket bucket;
    private final String authorization;
    private final TransportOptions options;
    private final LongAdder requests = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder downloaded = new LongAdder();
    /** Replies by the protocol they came over (HTTP/2 where a TLS server offers it). */
    private final java.util.Map<HttpClient.Version, LongAdder> replies = new java.util.EnumMap<>(
            HttpClient.Version.class);

    /**
     * @param scheme http or https
     * @param authorization the Authorization header value, or null
     * @param proxies where requests go through
     */
    HttpTransport(String scheme, String authorization, TransportOptions t, java.net.ProxySelector proxies)
            throws IOException {
        this.options = t;
        this.authorization = authorization;
        this.limit = new AdaptiveLimit(t.maxInFlight());
        this.bucket = TokenBucket.shared(t);
        for (HttpClient.Version v : HttpClient.Version.values()) {
            replies.put(v, new LongAdder());
        }
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(t.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(proxies)
                // h2c upgrades on plain http cost more than they bring (desync measured it): HTTP/1.1 there.
                .version("https".equalsIgnoreCase(scheme) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1);
        SSLContext tls = TlsContexts.create(t);
        if (tls != null) {
            b.sslContext(tls);
        }
        this.client = b.build();
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon("jcasync-http-timer"));
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread th = new Thread(r, name + "-" + n.incrementAndGet());
            th.setDaemon(true);
            return th;
        };
    }

    /**
     * One request.
     *
     * @param method GET, HEAD, PUT or POST
     * @param body the PUT or POST body, or null
     * @param contentType of the body
     * @param maxBody most bytes accepted in a GET or POST reply
     * @param id the chunk concerned, or null
     * @param what names the request in messages ("chunk … from http://host/store/")
     * @param range the value of a {@code Range} header, or null
     */
    record Request(String method, URI uri, byte[] body, String contentType, long maxBody, ChunkId id, String what,
                   String range) {
        Request(String method, URI uri, byte[] body, String contentType, long maxBody, ChunkId id, String what) {
            this(method, uri, body, contentType, maxBody, id, what, null);
        }
    }

    /** What a reply becomes. */
    interface Reply<T> {
        /** A 2xx reply; {@code body} is the GET body, null otherwise. Runs on a decoding thread. */
        T ok(byte[] body) throws IOException;

        /** A 2xx reply with its status and headers (206 partial content, multipart types); by default {@link #ok}. */
        default T ok(int status, java.net.http.HttpHeaders headers, byte[] body) throws IOException {
            return ok(body);
        }

        /** A 404 or 410 reply (never retried). */
        T missing() throws IOException;

        /**
         * Whether the request is an extension the server may not offer: then 4xx replies (but 408 and 429) and
         * 501 go to {@link #unsupported} (never retried) instead of being failures.
         */
        default boolean optional() {
            return false;
        }

        /** The server does not offer an {@link #optional} request: it answered {@code status}. */
        default T unsupported(int status) throws IOException {
            throw new IOException("HTTP " + status);
        }

        /**
         * Whether a 2xx body cut short (the connection broke, fewer bytes than declared) is handed to {@link #ok}
         * as far as it arrived instead of failing the attempt: for bodies whose format tells where they end, so
         * that what did arrive is kept.
         */
        default boolean acceptsTruncatedBody() {
            return false;
        }
    }

    /** A reply that should be asked for again (e.g. a body that does not decompress). */
    static final class RetryableException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient IntFunction<IOException> giveUp;

        /** @param giveUp the error once the attempts are used up, given their number */
        RetryableException(String reason, IntFunction<IOException> giveUp) {
            super(reason);
            this.giveUp = giveUp;
        }
    }

    /** Sends {@code r} (retrying as configured); the future has what {@code reply} makes of the answer. */
    <T> CompletableFuture<T> send(Request r, Reply<T> reply) {
        Call<T> c = new Call<>(r, reply);
        c.attempt();
        return c.result;
    }

    /** Waits for {@code f} and returns its value, or throws its IOException. */
    static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(false);
            throw new java.io.InterruptedIOException("interrupted while waiting for a reply");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c);
        }
    }

    private final class Call<T> {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final Request r;
        final Reply<T> reply;
        int attempts;

        Call(Request r, Reply<T> reply) {
            this.r = r;
            this.reply = reply;
        }

        void attempt() {
            attempts++;
            limit.acquire().thenAccept(this::send);
        }

        private void send(AdaptiveLimit.Permit permit) {
            HttpRequest req;
            try {
                req = build(r);
            } catch (IllegalArgumentException e) {
                permit.succeeded();
                giveUp(new StoreException(r.id(), r.what() + ": " + e.getMessage(), e));
                return;
            }
            requests.increment();
            boolean get = r.method().equals("GET") || r.method().equals("POST");
            HttpResponse.BodyHandler<byte[]> handler = info -> {
                int s = info.statusCode();
                boolean ok = s / 100 == 2;
                return new BodyCollector(ok && get, r.maxBody(),
                        info.headers().firstValueAsLong("content-length").orElse(-1),
                        !r.method().equals("HEAD") && s != 204 && s != 304, bucket, TransferWatch.of(options), TIMER,
                        downloaded, ok && get && reply.acceptsTruncatedBody());
            };
            try {
                client.sendAsync(req, handler).whenComplete((resp, ex) -> onReply(permit, resp, ex));
            } catch (RuntimeException e) {
                // A client that is shut down refuses new requests.
                permit.succeeded();
                giveUp(new StoreException(r.id(), r.what() + ": " + e.getMessage(), e));
            }
        }

        private void onReply(AdaptiveLimit.Permit permit, HttpResponse<byte[]> resp, Throwable ex) {
            if (ex != null) {
                Throwable e = unwrap(ex);
                if (e instanceof BodyCollector.BodyTooLargeException || permanent(e)) {
                    permit.succeeded();
                    giveUp(new StoreException(r.id(), r.what() + ": " + describe(e), e));
                } else {
                    permit.dropped();
                    retry(describe(e), 0, null);
                }
                return;
            }
            replies.get(resp.version()).increment();
            int s = resp.statusCode();
            if (reply.optional() && (s / 100 == 4 && s != 408 && s != 429 || s == 501)) {
                permit.succeeded();
                DECODE.execute(() -> finish(() -> reply.unsupported(s)));
                return;
            }
            if (s == 429 || s == 408 || s >= 500) {
                permit.dropped();
                retry("HTTP " + s + explanation(resp), retryAfterMillis(resp), null);
                return;
            }
            permit.succeeded();
            if (s == 404 || s == 410) {
                DECODE.execute(() -> finish(reply::missing));
            } else if (s / 100 == 2) {
                DECODE.execute(() -> finish(() -> reply.ok(s, resp.headers(), resp.body())));
            } else {
                giveUp(new StoreException(r.id(), r.what() + ": HTTP " + s + hint(s) + explanation(resp)
                        + resp.headers().firstValue("location").map(l -> " (redirected to " + l
                        + "; give that location instead)").orElse(""), null));
            }
        }

        private interface Step<T> {
            T run() throws IOException;
        }

        private void finish(Step<T> step) {
            try {
                result.complete(step.run());
            } catch (RetryableException e) {
                retry(e.getMessage(), 0, e.giveUp);
            } catch (IOException | RuntimeException e) {
                giveUp(e);
            }
        }

        private void retry(String reason, long retryAfterMs, IntFunction<IOException> giveUpWith) {
            if (attempts > options.retries()) {
                giveUp(giveUpWith != null ? giveUpWith.apply(attempts) : finalFailure(r, reason, attempts));
                return;
            }
            retries.increment();
            TIMER.schedule(this::attempt, retryDelayMillis(attempts, retryAfterMs), TimeUnit.MILLISECONDS);
        }

        private void giveUp(Throwable e) {
            errors.increment();
            result.completeExceptionally(e);
        }
    }

    private HttpRequest build(Request r) {
        HttpRequest.Builder b = HttpRequest.newBuilder(r.uri()).timeout(options.timeout())
                .header("User-Agent", "jcasync/0.1");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (r.range() != null) {
            b.header("Range", r.range());
        }
        switch (r.method()) {
            case "GET" -> b.GET();
            case "HEAD" -> b.HEAD();
            case "PUT" -> b.PUT(HttpRequest.BodyPublishers.ofByteArray(r.body()))
                    .header("Content-Type", r.contentType());
            case "POST" -> b.POST(HttpRequest.BodyPublishers.ofByteArray(r.body()))
                    .header("Content-Type", r.contentType());
            default -> throw new IllegalArgumentException("unsupported method " + r.method());
        }
        return b.build();
    }

    /** The wait before attempt {@code attempts + 1}: doubling back-off, or the server's Retry-After, capped. */
    private long retryDelayMillis(int attempts, long retryAfterMs) {
        long backoff = options.retryDelay().toMillis() << Math.min(20, attempts - 1);
        return Math.min(MAX_RETRY_DELAY_MS, Math.max(backoff, retryAfterMs));
    }

    private static StoreException finalFailure(Request r, String reason, int attempts) {
        return new StoreException(r.id(), r.what() + ": " + reason + (attempts > 1 ? " after " + attempts
                + " attempts" : ""), null);
    }

    /**
     * GETs {@code uri} and hands the body to {@code parser} on the calling thread while it arrives (in bounded
     * memory, at the pace of the parser, watched for stalls and trickles), retrying as {@link #send} does: also when
     * the body breaks off while being parsed (then the parser starts again on a new reply). A failure of the parser
     * itself (bad bytes) is not retried. 404 and 410 throw {@code missing}.
     */
    <T> T getStreamed(URI uri, String what, StreamParser<T> parser, java.util.function.Supplier<IOException> missing)
            throws IOException {
        Request r = new Request("GET", uri, null, null, 0, null, what);
        HttpRequest req = build(r);
        for (int attempts = 1; ; attempts++) {
            AdaptiveLimit.Permit permit = await(limit.acquire());
            requests.increment();
            try {
                T t = streamOnce(req, what, parser, missing);
                permit.succeeded();
                return t;
            } catch (FailedAttempt e) {
                permit.dropped();
                giveUpOrWait(r, e.getMessage(), attempts, e.retryAfterMs);
            } catch (IOException | RuntimeException e) {
                permit.succeeded();
                if (!(e instanceof java.nio.file.NoSuchFileException)) {
                    errors.increment();
                }
                throw e;
            }
        }
    }

    /** An attempt that failed in a way worth repeating. */
    private static final class FailedAttempt extends IOException {
        private static final long serialVersionUID = 1L;
        private final long retryAfterMs;

        FailedAttempt(String reason, long retryAfterMs) {
            super(reason);
            this.retryAfterMs = retryAfterMs;
        }
    }

    private <T> T streamOnce(HttpRequest req, String what, StreamParser<T> parser,
                             java.util.function.Supplier<IOException> missing) throws IOException {
        HttpResponse<InputStream> resp;
        try {
            resp = client.send(req, info -> new HttpBodyStream(TransferWatch.of(options), TIMER,
                    bucket == null ? null : bucket::take, info.statusCode() / 100 == 2 ? downloaded::add : null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for " + what);
        } catch (IOException e) {
            if (permanent(e)) {
                throw new StoreException(null, what + ": " + describe(e), e);
            }
            throw new FailedAttempt(describe(e), 0);
        }
        replies.get(resp.version()).increment();
        int s = resp.statusCode();
        try (TrackedInputStream in = new TrackedInputStream(resp.body())) {
            if (s / 100 == 2) {
                try {
                    return parser.parse(in);
                } catch (IOException e) {
                    if (in.failed()) {
                        throw new FailedAttempt(describe(e), 0);
                    }
                    throw e;
                }
            }
            if (s == 404 || s == 410) {
                throw missing.get();
            }
            if (s == 429 || s == 408 || s >= 500) {
                throw new FailedAttempt("HTTP " + s, retryAfterMillis(resp));
            }
            throw new StoreException(null, what + ": HTTP " + s + hint(s), null);
        }
    }

    /** After a failed attempt: throws when the attempts are used up, else waits for the next one. */
    private void giveUpOrWait(Request r, String reason, int attempts, long retryAfterMs) throws IOException {
        if (attempts > options.retries()) {
            errors.increment();
            throw finalFailure(r, reason, attempts);
        }
        retries.increment();
        try {
            Thread.sleep(retryDelayMillis(attempts, retryAfterMs));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to retry " + r.what());
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        // The client wraps a body subscriber's failure in an IOException of its own.
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof BodyCollector.BodyTooLargeException) {
                return c;
            }
        }
        return t;
    }

    /** Failures no retry can mend: a certificate that is not trusted, a bad URL. */
    private static boolean permanent(Throwable e) {
        if (e instanceof IllegalArgumentException) {
            return true;
        }
        if (e instanceof SSLHandshakeException) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof CertificateException || c instanceof java.security.cert.CertPathValidatorException) {
                    return true;
                }
            }
        }
        return false;
    }

    private String describe(Throwable e) {
        if (e instanceof TransferWatch.TooSlowException) {
            return e.getMessage();
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + seconds(options.timeout());
        }
        if (e instanceof HttpTimeoutException) {
            return "no reply within " + seconds(options.timeout());
        }
        if (e instanceof ConnectException) {
            return "cannot connect (" + (e.getMessage() != null ? e.getMessage() : "connection refused") + ")";
        }
        if (e instanceof SSLHandshakeException) {
            return "TLS handshake failed (" + e.getMessage() + ")";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String hint(int status) {
        return switch (status) {
            case 401 -> " (unauthorized: give credentials with --authorization or user:password@ in the URL)";
            case 403 -> " (forbidden)";
            case 416 -> " (range not satisfiable: the file is shorter than asked for)";
            default -> "";
        };
    }

    /**
     * " (what the server said)" for an error reply with a short text body, such as jcasync's servers send ("cannot
     * store chunk … : No space left on device"); else "". Only printable ASCII of the first line is kept.
     */
    static String explanation(HttpResponse<byte[]> r) {
        byte[] b = r.body();
        String type = r.headers().firstValue("content-type").orElse("text/plain");
        if (b == null || b.length == 0 || !type.startsWith("text/plain")) {
            return "";
        }
        StringBuilder t = new StringBuilder();
        for (byte c : b) {
            if (c == '\n' || c == '\r' || t.length() >= 200) {
                break;
            }
            t.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
        }
        String line = t.toString().strip();
        return line.isEmpty() ? "" : " (" + line + ")";
    }

    /** A 429's or 503's Retry-After in milliseconds (seconds form only), or 0. */
    private static long retryAfterMillis(HttpResponse<?> r) {
        return r.headers().firstValue("retry-after").map(v -> {
            try {
                return Math.max(0, Long.parseLong(v.trim())) * 1000;
            } catch (NumberFormatException e) {
                return 0L;
            }
        }).orElse(0L);
    }

    /** The concurrency limit of this transport. */
    AdaptiveLimit limit() {
        return limit;
    }

    /** Requests sent, attempts included. */
    long requests() {
        return requests.sum();
    }

    /** Requests repeated. */
    long retries() {
        return retries.sum();
    }

    /** Requests that failed for good. */
    long errors() {
        return errors.sum();
    }

    /** Replies that came over {@code version}. */
    long replies(HttpClient.Version version) {
        return replies.get(version).sum();
    }

    /** Bytes of successful GET replies. */
    long downloaded() {
        return downloaded.sum();
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
