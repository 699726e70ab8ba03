package org.jcasync.io;

import org.jcasync.chunk.Hasher;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Digests the bytes read through it, e.g. an index file read as it arrives whose digest a chunk map names. */
public final class HashingInputStream extends FilterInputStream {
    private final Hasher hasher;

    /** Digests with {@code hasher} what is read from {@code in}. */
    public HashingInputStream(InputStream in, Hasher hasher) {
        super(in);
        this.hasher = hasher;
    }

    @Override
    public int read() throws IOException {
        return Streams.readByte(this);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            hasher.update(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(0, r);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** The digest of everything read (resets the hasher). */
    public byte[] digest() {
        return hasher.digest();
    }
}
