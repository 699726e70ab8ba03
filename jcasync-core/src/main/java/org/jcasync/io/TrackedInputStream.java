package org.jcasync.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that remembers whether reading it failed, so that a transport can tell its own failures (a connection
 * that broke or stalled: worth a retry) from those of the parser reading it (bad bytes: never retried).
 */
public final class TrackedInputStream extends FilterInputStream {
    private volatile boolean failed;
    private long bytes;

    /** Watches {@code in}. */
    public TrackedInputStream(InputStream in) {
        super(in);
    }

    /** Whether a read of the underlying stream threw. */
    public boolean failed() {
        return failed;
    }

    /** Bytes read so far. */
    public long bytes() {
        return bytes;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            bytes += b >= 0 ? 1 : 0;
            return b;
        } catch (IOException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = in.read(b, off, len);
            bytes += Math.max(0, n);
            return n;
        } catch (IOException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            long k = super.skip(n);
            bytes += k;
            return k;
        } catch (IOException e) {
            failed = true;
            throw e;
        }
    }
}
