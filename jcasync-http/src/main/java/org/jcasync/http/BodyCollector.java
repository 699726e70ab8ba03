package org.jcasync.http;

import org.jcasync.store.TransferWatch;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Receives one reply body into a byte array of bounded size: refuses a body larger than the bound (declared or
 * actual), fails one that ends before its {@code Content-Length}, stalls for longer than the timeout or trickles
 * below the minimum rate ({@link TransferWatch}; the client's own timeout ends with the reply headers), and reads no
 * faster than a shared {@link TokenBucket} allows
 * (it asks for the next piece only when the bucket has paid for the last one, so the connection's flow control
 * slows the server down). A collector that accepts truncated bodies completes with what arrived when the
 * connection breaks or ends early, for formats that tell by themselves where they end.
 */
final class BodyCollector implements HttpResponse.BodySubscriber<byte[]> {
    /** A body larger than any acceptable reply: not retried. */
    static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLargeException(String message) {
            super(message);
        }
    }

    /** Bytes kept of a body that is otherwise dropped. */
    static final int EXCERPT = 512;

    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final boolean keep;
    private final long max;
    private final long declared;
    private final boolean expectBody;
    private final TokenBucket bucket;
    private final TransferWatch watch;
    private final ScheduledExecutorService timer;
    private final LongAdder downloaded;
    private final boolean acceptTruncated;
    private Flow.Subscription subscription;
    private byte[] buf = new byte[0];
    private long received;

    /**
     * @param keep keep the bytes (a 2xx reply to a GET); else they are read and dropped but for the first
     *     {@value #EXCERPT} (an error reply's explanation, for messages)
     * @param max most bytes kept
     * @param declared the Content-Length, or -1
     * @param expectBody false for replies without a body (HEAD, 204, 304)
     * @param bucket the rate limit, or null
     * @param watch judges the server's pace
     * @param downloaded counts kept bytes
     * @param acceptTruncated complete with the bytes received when the body breaks off or ends early
     */
    BodyCollector(boolean keep, long max, long declared, boolean expectBody, TokenBucket bucket, TransferWatch watch,
                  ScheduledExecutorService timer, LongAdder downloaded, boolean acceptTruncated) {
        this.acceptTruncated = acceptTruncated;
        this.keep = keep;
        this.max = max;
        this.declared = declared;
        this.expectBody = expectBody;
        this.bucket = bucket;
        this.watch = watch;
        this.timer = timer;
        this.downloaded = downloaded;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (keep && declared > max) {
            fail(new BodyTooLargeException("the reply declares " + declared + " bytes, more than the " + max
                    + " accepted"));
            return;
        }
        if (keep && declared > 0) {
            buf = new byte[(int) declared];
        }
        request();
        watch();
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        long now = System.nanoTime();
        long n = 0;
        for (ByteBuffer b : items) {
            int r = b.remaining();
            if (keep) {
                if (received + n + r > max) {
                    fail(new BodyTooLargeException("the reply has more than the " + max + " bytes accepted"));
                    return;
                }
                int at = (int) (received + n);
                if (at + r > buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max(at + r, Math.max(65536L,
                            2L * buf.length))));
                }
                b.get(buf, at, r);
            } else {
                int at = (int) Math.min(EXCERPT, received + n);
                int k = Math.min(r, EXCERPT - at);
                if (k > 0) {
                    buf = buf.length == 0 ? new byte[EXCERPT] : buf;
                    b.get(buf, at, k);
                }
                b.position(b.limit());
            }
            n += r;
        }
        received += n;
        watch.received(n, now);
        if (keep) {
            downloaded.add(n);
        }
        long wait = bucket == null ? 0 : bucket.take(n);
        if (wait <= 0) {
            request();
        } else {
            // Waiting for the bucket is not waiting for the server: the watch's clock stops meanwhile.
            timer.schedule(this::request, wait, TimeUnit.NANOSECONDS);
        }
    }

    private void request() {
        watch.waiting(System.nanoTime());
        subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
        if (acceptTruncated && keep && t instanceof IOException) {
            result.complete(received());
            return;
        }
        result.completeExceptionally(t);
    }

    private byte[] received() {
        return received == buf.length ? buf : Arrays.copyOf(buf, (int) received);
    }

    @Override
    public void onComplete() {
        if (expectBody && declared >= 0 && received != declared && !acceptTruncated) {
            result.completeExceptionally(new IOException("the reply ended after " + received + " of its " + declared
                    + " bytes"));
            return;
        }
        result.complete(keep ? received() : Arrays.copyOf(buf, (int) Math.min(received, buf.length)));
    }

    private void fail(IOException e) {
        if (result.completeExceptionally(e)) {
            subscription.cancel();
        }
    }

    /** Fails the body when the server stalls or trickles; checks again later otherwise. */
    private void watch() {
        timer.schedule(() -> {
            if (result.isDone()) {
                return;
            }
            String slow = watch.check(System.nanoTime());
            if (slow != null) {
                fail(new TransferWatch.TooSlowException(slow));
            } else {
                watch();
            }
        }, watch.checkIntervalNanos(), TimeUnit.NANOSECONDS);
    }
}
