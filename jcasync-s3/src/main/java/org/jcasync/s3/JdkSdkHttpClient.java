package org.jcasync.s3;

import org.jcasync.io.Futures;
import org.jcasync.io.HttpBodyStream;
import org.jcasync.store.TransferWatch;
import org.jcasync.store.TransportOptions;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The SDK's HTTP client on the JDK's {@link HttpClient} (HTTP/1.1, kept-alive connections, no extra library).
 * Request bodies are small (chunks, indexes) and are held in memory; reply bodies are streamed to the SDK as they
 * arrive ({@link HttpBodyStream}), so the caller decides how much of one to read. The transport's timeout bounds
 * the wait for the reply's headers; a {@link TransferWatch} fails a body that stalls or trickles below the minimum
 * rate.
 */
final class JdkSdkHttpClient implements SdkHttpClient {
    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "expect", "connection",
            "upgrade", "transfer-encoding");

    private final HttpClient http;
    private final TransportOptions transport;

    JdkSdkHttpClient(TransportOptions transport) {
        this.transport = transport;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(transport.timeout())
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
        private volatile CompletableFuture<HttpResponse<InputStream>> inFlight;

        Exchange(HttpExecuteRequest request) {
            this.request = request;
        }

        @Override
        public HttpExecuteResponse call() throws IOException {
            SdkHttpRequest r = request.httpRequest();
            HttpRequest.Builder b = HttpRequest.newBuilder(r.getUri()).timeout(transport.timeout());
            r.forEachHeader((name, values) -> {
                if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(v -> b.header(name, v));
                }
            });
            b.method(r.method().name(), body(request.contentStreamProvider().orElse(null)));
            CompletableFuture<HttpResponse<InputStream>> f = http.sendAsync(b.build(),
                    info -> new HttpBodyStream(TransferWatch.of(transport), TransferWatch.timer(), null, null));
            inFlight = f;
            HttpResponse<InputStream> reply;
            try {
                // The request's timeout bounds the wait for the reply's headers.
                reply = Futures.await(f);
            } catch (InterruptedIOException e) {
                f.cancel(true);
                throw e;
            }
            SdkHttpResponse.Builder head = SdkHttpResponse.builder().statusCode(reply.statusCode());
            reply.headers().map().forEach(head::putHeader);
            InputStream body = reply.body();
            return HttpExecuteResponse.builder().response(head.build())
                    .responseBody(AbortableInputStream.create(body, () -> close(body))).build();
        }

        @Override
        public void abort() {
            CompletableFuture<HttpResponse<InputStream>> f = inFlight;
            if (f != null) {
                f.cancel(true);
                if (f.isDone() && !f.isCompletedExceptionally() && !f.isCancelled()) {
                    close(f.join().body());
                }
            }
        }
    }

    private static void close(InputStream body) {
        try {
            body.close();
        } catch (IOException ignored) {
            // Closing a reply only cancels it.
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
}
