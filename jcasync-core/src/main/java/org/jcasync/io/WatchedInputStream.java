package org.jcasync.io;

import org.jcasync.store.TransferWatch;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ScheduledFuture;

/**
 * A blocking stream from a server (an ssh process's output) whose reads are timed by a {@link TransferWatch}: the
 * time spent inside {@code read} is time spent waiting for the server. When the watch finds it stalled or trickling,
 * {@code abort} is run (it should make the blocked read return, e.g. by killing the process) and reading throws
 * {@link TransferWatch.TooSlowException}. Close it to stop the watch.
 */
public final class WatchedInputStream extends FilterInputStream {
    private final TransferWatch watch;
    private final ScheduledFuture<?> checks;
    private volatile String tooSlow;

    /** Watches reads of {@code in}; {@code abort} is run once if the server is too slow. */
    public WatchedInputStream(InputStream in, TransferWatch watch, Runnable abort) {
        super(in);
        this.watch = watch;
        this.checks = watch.start(reason -> {
            tooSlow = reason;
            abort.run();
        });
    }

    @Override
    public int read() throws IOException {
        return Streams.readByte(this);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        failIfTooSlow();
        watch.waiting(System.nanoTime());
        int n;
        try {
            n = in.read(b, off, len);
        } catch (IOException e) {
            failIfTooSlow();
            throw e;
        }
        watch.received(Math.max(0, n), System.nanoTime());
        if (n < 0) {
            failIfTooSlow();
        }
        return n;
    }

    private void failIfTooSlow() throws TransferWatch.TooSlowException {
        String why = tooSlow;
        if (why != null) {
            throw new TransferWatch.TooSlowException(why);
        }
    }

    @Override
    public void close() throws IOException {
        checks.cancel(false);
        super.close();
    }
}
