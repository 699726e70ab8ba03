package org.jcasync.server;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A Jetty request as a {@link Call}; its body is received by {@link #receiveBody} before the protocol serves it. */
final class JettyCall implements Call {
    private static final byte[] NONE = new byte[0];

    private final Request request;
    private final Turns work;
    private byte[] body = NONE;
    private boolean bodyReceived;
    private boolean bodyTouched;

    JettyCall(Request request, Turns work) {
        this.request = request;
        this.work = work;
    }

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
    public byte[] body() {
        return body;
    }

    @Override
    public <T> T inTurn(Work<T> w) throws IOException {
        try (Turns.Turn ignored = work.take(1)) {
            return w.run();
        }
    }

    /** Whether the request came over HTTP/1.0 or 1.1 (not HTTP/2). */
    boolean http1() {
        return request.getConnectionMetaData().getHttpVersion().getVersion() < HttpVersion.HTTP_2.getVersion();
    }

    /** The length the request's header declares for its body, or -1 when it declares none. */
    long declaredLength() {
        return request.getLength();
    }

    /** Whether a body follows the header (HTTP/2 has no Transfer-Encoding: there any request may have one). */
    boolean hasBody() {
        long n = request.getLength();
        return n > 0 || n < 0 && (!http1() || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
    }

    /** Whether part of a body that follows the header was left unread (the connection cannot serve another request). */
    boolean bodyLeftUnread() {
        return hasBody() && !bodyReceived;
    }

    /** Whether the request was answered without reading any of its body (a refusal from its header). */
    boolean bodyUntouched() {
        return hasBody() && !bodyTouched;
    }

    /**
     * Reads and drops what the client still sends of a body that was refused, at most {@code limit} bytes and until
     * {@code deadlineNanos}: a client that sends its whole body before it reads the reply then gets the reply rather
     * than a reset connection. Returns whether the body ended.
     */
    boolean discardBody(long limit, long deadlineNanos) {
        bodyTouched = true;
        long n = 0;
        try {
            while (n <= limit) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    awaitContent(deadlineNanos);
                    continue;
                }
                n += chunk.remaining();
                chunk.release();
                if (Content.Chunk.isFailure(chunk)) {
                    return false;
                }
                if (chunk.isLast()) {
                    bodyReceived = true;
                    return true;
                }
            }
        } catch (IOException e) {
            // Too slow, or broken off: the connection (HTTP/2: the stream) is closed after the reply anyway.
        }
        return false;
    }

    /**
     * Receives the whole body, of at most {@code limit} bytes, before {@code deadlineNanos} ({@link System#nanoTime}).
     * Nothing else waits meanwhile: the request holds no turn, only its share of the body memory.
     *
     * @throws HttpStatusException 413 past the limit, 408 past the deadline, 400 when the client broke off
     */
    void receiveBody(long limit, long deadlineNanos) throws IOException {
        bodyTouched = true;
        long declared = request.getLength();
        byte[] b = new byte[(int) (declared >= 0 ? declared : Math.min(limit, 64 << 10))];
        int n = 0;
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                awaitContent(deadlineNanos);
                continue;
            }
            try {
                if (Content.Chunk.isFailure(chunk)) {
                    throw new HttpStatusException(400, "could not read the request body: "
                            + chunk.getFailure().getMessage());
                }
                ByteBuffer data = chunk.getByteBuffer();
                if ((long) n + data.remaining() > limit) {
                    throw new HttpStatusException(413, "body is larger than the limit of " + limit + " bytes");
                }
                if (n + data.remaining() > b.length) {
                    b = Arrays.copyOf(b, (int) Math.min(limit, Math.max(n + data.remaining(), 2L * b.length)));
                }
                int len = data.remaining();
                data.get(b, n, len);
                n += len;
                if (chunk.isLast()) {
                    body = n == b.length ? b : Arrays.copyOf(b, n);
                    bodyReceived = true;
                    return;
                }
            } finally {
                chunk.release();
            }
        }
    }

    /** Waits until more of the body may be read, at most until the deadline. */
    private void awaitContent(long deadlineNanos) throws IOException {
        CompletableFuture<Void> more = new CompletableFuture<>();
        request.demand(() -> more.complete(null));
        long left = deadlineNanos - System.nanoTime();
        try {
            more.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new HttpStatusException(408, "the request body did not arrive in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while receiving a request body");
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }
}
