package org.jcasync.io;

import org.jcasync.store.TransferWatch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongUnaryOperator;

/**
 * A reply body of the JDK's HTTP client read as a stream while it arrives, in bounded memory: the next piece is
 * asked for only once less than {@value #LOW_WATER} bytes wait to be read (the connection's flow control then holds
 * the server back), and no sooner than an optional throttle allows. A {@link TransferWatch} fails the body when the
 * server stalls or trickles; reading then throws that failure. Closing the stream before the end cancels the reply.
 */
public final class HttpBodyStream implements HttpResponse.BodySubscriber<InputStream> {
    /** Bytes buffered before no more is asked for. */
    static final int LOW_WATER = 256 << 10;

    private final TransferWatch watch;
    private final ScheduledExecutorService timer;
    private final LongUnaryOperator throttle;
    private final java.util.function.LongConsumer counter;
    private final Input input = new Input();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private Flow.Subscription subscription;
    private long queued;
    private boolean outstanding;
    private boolean complete;
    private boolean closed;
    private IOException error;
    private volatile long notBefore;

    /**
     * @param watch judges the pace of the server
     * @param timer runs the watch's checks and delayed requests
     * @param throttle given the size of each piece, returns how many nanoseconds to wait before asking for the
     *     next (a download rate limit), or null
     * @param counter told the size of each piece, or null
     */
    public HttpBodyStream(TransferWatch watch, ScheduledExecutorService timer, LongUnaryOperator throttle,
                          java.util.function.LongConsumer counter) {
        this.watch = watch;
        this.timer = timer;
        this.throttle = throttle;
        this.counter = counter;
    }

    @Override
    public CompletionStage<InputStream> getBody() {
        return CompletableFuture.completedFuture(input);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        lock.lock();
        try {
            outstanding = true;
        } finally {
            lock.unlock();
        }
        watch.waiting(System.nanoTime());
        s.request(1);
        tick();
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        long now = System.nanoTime();
        long n = 0;
        lock.lock();
        try {
            outstanding = false;
            for (ByteBuffer b : items) {
                if (b.hasRemaining()) {
                    n += b.remaining();
                    queue.add(b);
                }
            }
            queued += n;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        watch.received(n, now);
        if (counter != null) {
            counter.accept(n);
        }
        long wait = throttle == null ? 0 : throttle.applyAsLong(n);
        notBefore = now + wait;
        askForMore();
    }

    @Override
    public void onError(Throwable t) {
        fail(t instanceof IOException io ? io : new IOException(t.getMessage() == null ? t.toString()
                : t.getMessage(), t));
    }

    @Override
    public void onComplete() {
        lock.lock();
        try {
            complete = true;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Asks for the next piece when little is buffered, none is on its way and the throttle allows. */
    private void askForMore() {
        lock.lock();
        try {
            if (outstanding || complete || closed || error != null || queued >= LOW_WATER) {
                return;
            }
            outstanding = true;
        } finally {
            lock.unlock();
        }
        long delay = notBefore - System.nanoTime();
        if (delay <= 0) {
            request();
        } else {
            timer.schedule(this::request, delay, TimeUnit.NANOSECONDS);
        }
    }

    private void request() {
        watch.waiting(System.nanoTime());
        subscription.request(1);
    }

    private void fail(IOException e) {
        boolean cancel;
        lock.lock();
        try {
            if (error != null || complete) {
                return;
            }
            error = e;
            cancel = subscription != null;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        if (cancel) {
            subscription.cancel();
        }
    }

    /** Checks the pace now and then until the body is done. */
    private void tick() {
        timer.schedule(() -> {
            lock.lock();
            try {
                if (complete || closed || error != null) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            String slow = watch.check(System.nanoTime());
            if (slow != null) {
                fail(new TransferWatch.TooSlowException(slow));
            } else {
                tick();
            }
        }, watch.checkIntervalNanos(), TimeUnit.NANOSECONDS);
    }

    /** The body as it arrives. */
    private final class Input extends InputStream {
        private Input() {
        }

        @Override
        public int read() throws IOException {
            return Streams.readByte(this);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            int n;
            lock.lock();
            try {
                while (queue.isEmpty() && !complete && error == null) {
                    if (closed) {
                        throw new IOException("stream closed");
                    }
                    try {
                        arrived.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading a reply");
                    }
                }
                if (queue.isEmpty()) {
                    if (error != null) {
                        throw error;
                    }
                    return -1;
                }
                ByteBuffer head = queue.peek();
                n = Math.min(len, head.remaining());
                head.get(b, off, n);
                if (!head.hasRemaining()) {
                    queue.poll();
                }
                queued -= n;
            } finally {
                lock.unlock();
            }
            askForMore();
            return n;
        }

        @Override
        public int available() {
            lock.lock();
            try {
                return (int) Math.min(Integer.MAX_VALUE, queued);
            } finally {
                lock.unlock();
            }
        }

        /** Stops the reply where it is (cancelling it when not complete). */
        @Override
        public void close() {
            boolean cancel;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                cancel = !complete && error == null && subscription != null;
                queue.clear();
                queued = 0;
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
            if (cancel) {
                subscription.cancel();
            }
        }
    }
}
