package org.jcasync.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns at one kind of work (or shares of one budget): at most a fixed number taken at once, handed out in the order
 * asked for. A bounded number of requests wait for a turn, each for a bounded time; the others are answered 503 at
 * once, so a crowd of requests costs a queue of known length, never an unbounded one.
 */
final class Turns {
    private final String busy;
    private final int total;
    private final Semaphore free;
    private final int maxWaiting;
    private final long waitNanos;
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * {@code total} turns; {@code busy} is the message of the 503 reply to those that get none; at most
     * {@code maxWaiting} wait, each at most {@code maxWait}.
     */
    Turns(String busy, int total, int maxWaiting, Duration maxWait) {
        this.busy = busy;
        this.total = total;
        this.free = new Semaphore(total, true);
        this.maxWaiting = maxWaiting;
        this.waitNanos = maxWait.toNanos();
    }

    /** One taken turn (or share); closing it gives it back. */
    interface Turn extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes {@code n} turns (at most all of them), waiting for them if need be.
     *
     * @throws HttpStatusException 503 when too many already wait or none came in time
     */
    Turn take(int n) throws HttpStatusException {
        int want = Math.max(1, Math.min(n, total));
        if (!free.tryAcquire(want)) {
            if (waiting.incrementAndGet() > maxWaiting) {
                waiting.decrementAndGet();
                throw new HttpStatusException(503, busy + " (too many requests waiting)");
            }
            try {
                if (!free.tryAcquire(want, waitNanos, TimeUnit.NANOSECONDS)) {
                    throw new HttpStatusException(503, busy + " (no turn within "
                            + TimeUnit.NANOSECONDS.toSeconds(waitNanos) + " s)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HttpStatusException(503, "the server is stopping");
            } finally {
                waiting.decrementAndGet();
            }
        }
        AtomicBoolean given = new AtomicBoolean();
        return () -> {
            if (given.compareAndSet(false, true)) {
                free.release(want);
            }
        };
    }
}
