package org.jcasync.store;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Tells when a reply from a server is too slow to go on with: no data at all for the timeout, or less than the
 * minimum rate averaged over a window of the timeout. Only time spent <em>waiting</em> for the server counts (the
 * reader has asked for more and nothing has come yet): while the reader is busy, or held back by its own rate limit,
 * the clock stops, so neither a slow consumer nor {@code --rate-limit-bps} makes a good server look slow. A per-read
 * timeout alone does not bound a server that trickles one byte per second; this does.
 * <p>
 * Owners call {@link #waiting} when they ask for more data, {@link #received} when some arrived, and {@link #check}
 * now and then (every {@link #checkIntervalNanos}). Thread-safe.
 */
public final class TransferWatch {
    /** A reply that stalled or trickled: a transport failure, worth a retry. */
    public static final class TooSlowException extends IOException {
        private static final long serialVersionUID = 1L;

        /** @param reason what {@link #check} said */
        public TooSlowException(String reason) {
            super("too slow: " + reason);
        }

        /** @param where what was being read, for the message */
        public TooSlowException(String where, String reason) {
            super(where + ": too slow: " + reason);
        }
    }

    private static final ScheduledExecutorService TIMER = timerThread();

    private final long timeoutNanos;
    private final long minBytesPerSecond;
    /** Start of the current wait, or -1 while not waiting. */
    private long waitingSince = -1;
    /** Waiting time of finished waits, in all. */
    private long waitedNanos;
    /** Waiting time and bytes at the start of the current rate window. */
    private long windowStartWaited;
    private long windowBytes;

    /** A watch failing replies idle for {@code timeout} or slower than {@code minBytesPerSecond} (0: no minimum). */
    public TransferWatch(Duration timeout, long minBytesPerSecond) {
        this.timeoutNanos = timeout.toNanos();
        this.minBytesPerSecond = minBytesPerSecond;
    }

    private static ScheduledExecutorService timerThread() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "jcasync-transfer-watch");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** A shared daemon thread for checks and delayed requests of transfers. */
    public static ScheduledExecutorService timer() {
        return TIMER;
    }

    /** A watch applying {@code t}'s timeout and minimum rate. */
    public static TransferWatch of(TransportOptions t) {
        return new TransferWatch(t.timeout(), t.minRateBytesPerSecond());
    }

    /** The reader asked for more data at {@code now} ({@link System#nanoTime()}). */
    public synchronized void waiting(long now) {
        if (waitingSince < 0) {
            waitingSince = now;
        }
    }

    /** {@code bytes} arrived at {@code now}; the wait (if any) is over until the next {@link #waiting}. */
    public synchronized void received(long bytes, long now) {
        if (waitingSince >= 0) {
            waitedNanos += now - waitingSince;
            waitingSince = -1;
        }
        windowBytes += bytes;
    }

    /**
     * Runs {@link #check} on the shared timer every {@link #checkIntervalNanos} until cancelled; the first time it
     * finds the transfer too slow, hands the reason to {@code tooSlow} (which should abort the transfer) and stops.
     */
    public ScheduledFuture<?> start(Consumer<String> tooSlow) {
        long every = checkIntervalNanos();
        ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
        synchronized (self) {
            self[0] = TIMER.scheduleWithFixedDelay(() -> {
                String slow = check(System.nanoTime());
                if (slow != null) {
                    synchronized (self) {
                        self[0].cancel(false);
                    }
                    tooSlow.accept(slow);
                }
            }, every, every, TimeUnit.NANOSECONDS);
            return self[0];
        }
    }

    /** How often {@link #check} should run: a quarter of the timeout, at most a second. */
    public long checkIntervalNanos() {
        return Math.max(1_000_000L, Math.min(1_000_000_000L, timeoutNanos / 4));
    }

    /**
     * Null while the transfer may go on; else why it is too slow, e.g. "no data for 60 s" or "37 bytes in 60 s,
     * less than the minimum of 1024 bytes/s".
     */
    public synchronized String check(long now) {
        long current = waitingSince >= 0 ? now - waitingSince : 0;
        if (current >= timeoutNanos) {
            return "no data for " + seconds(timeoutNanos);
        }
        if (minBytesPerSecond <= 0) {
            return null;
        }
        long window = waitedNanos + current - windowStartWaited;
        if (window < timeoutNanos) {
            return null;
        }
        if (windowBytes < minBytesPerSecond * (window / 1e9)) {
            return windowBytes + " bytes in " + seconds(window) + ", less than the minimum of " + minBytesPerSecond
                    + " bytes/s";
        }
        windowStartWaited = waitedNanos + current;
        windowBytes = 0;
        return null;
    }

    private static String seconds(long nanos) {
        return nanos % 1_000_000_000L == 0 ? nanos / 1_000_000_000L + " s"
                : String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
