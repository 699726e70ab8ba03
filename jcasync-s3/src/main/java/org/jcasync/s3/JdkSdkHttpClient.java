package org.jcasync.s3;

import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The SDK's HTTP client on the JDK's {@link HttpClient} (HTTP/1.1, kept-alive connections, no extra library).
 * Request and reply bodies are small (chunks, indexes, listings) and are held in memory. {@code timeout} bounds the
 * wait for the reply's headers and every wait for more of its body.
 */
final class JdkSdkHttpClient implements SdkHttpClient {
    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "expect", "connection",
            "upgrade", "transfer-encoding");

    private final HttpClient http;
    private final Duration timeout;

    JdkSdkHttpClient(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        return new Exchange(request);
    }

    @Override
    public String clientName() {
        return "JdkHttpClient";
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    /** One request and its reply. */
    private final class Exchange implements ExecutableHttpRequest {
        private final HttpExecuteRequest request;
        private volatile CompletableFuture<HttpResponse<byte[]>> inFlight;

        Exchange(HttpExecuteRequest request) {
            this.request = request;
        }

        @Override
        public HttpExecuteResponse call() throws IOException {
            SdkHttpRequest r = request.httpRequest();
            HttpRequest.Builder b = HttpRequest.newBuilder(r.getUri()).timeout(timeout);
            r.forEachHeader((name, values) -> {
                if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(v -> b.header(name, v));
                }
            });
            b.method(r.method().name(), body(request.contentStreamProvider().orElse(null)));
            AtomicLong progress = new AtomicLong();
            CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(b.build(), info -> {
                progress.incrementAndGet();
                return new CountingSubscriber(HttpResponse.BodySubscribers.ofByteArray(), progress);
            });
            inFlight = f;
            HttpResponse<byte[]> reply = await(f, progress);
            SdkHttpResponse.Builder head = SdkHttpResponse.builder().statusCode(reply.statusCode());
            reply.headers().map().forEach(head::putHeader);
            return HttpExecuteResponse.builder().response(head.build())
                    .responseBody(AbortableInputStream.create(new ByteArrayInputStream(reply.body()))).build();
        }

        /** Waits for the reply while it makes progress: each wait for headers or more body at most the timeout. */
        private HttpResponse<byte[]> await(CompletableFuture<HttpResponse<byte[]>> f, AtomicLong progress)
                throws IOException {
            long seen = 0;
            while (true) {
                try {
                    return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    long now = progress.get();
                    if (now == seen) {
                        f.cancel(true);
                        throw new HttpTimeoutException("no reply within " + timeout.toSeconds() + " s");
                    }
                    seen = now;
                } catch (InterruptedException e) {
                    f.cancel(true);
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException(String.valueOf(c), c);
                }
            }
        }

        @Override
        public void abort() {
            CompletableFuture<HttpResponse<byte[]>> f = inFlight;
            if (f != null) {
                f.cancel(true);
            }
        }
    }

    private static HttpRequest.BodyPublisher body(ContentStreamProvider provider) throws IOException {
        if (provider == null) {
            return HttpRequest.BodyPublishers.noBody();
        }
        try (InputStream in = provider.newStream()) {
            return HttpRequest.BodyPublishers.ofByteArray(in.readAllBytes());
        }
    }

    /** Passes the body on, counting each piece as progress. */
    private record CountingSubscriber(HttpResponse.BodySubscriber<byte[]> inner, AtomicLong progress)
            implements HttpResponse.BodySubscriber<byte[]> {
        @Override
        public CompletionStage<byte[]> getBody() {
            return inner.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            inner.onSubscribe(subscription);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            progress.incrementAndGet();
            inner.onNext(item);
        }

        @Override
        public void onError(Throwable throwable) {
            inner.onError(throwable);
        }

        @Override
        public void onComplete() {
            inner.onComplete();
        }
    }
}
