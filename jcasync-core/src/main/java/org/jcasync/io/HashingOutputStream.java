package org.jcasync.io;

import org.jcasync.chunk.Hasher;

import java.io.IOException;
import java.io.OutputStream;

/** Passes bytes on (to nothing when the target is null) while digesting them. Closing does not close the target. */
public final class HashingOutputStream extends OutputStream {
    private final OutputStream out;
    private final Hasher hasher;
    private final byte[] one = new byte[1];
    private long count;

    /** Digests with {@code hasher} what is written to {@code out} (may be null). */
    public HashingOutputStream(OutputStream out, Hasher hasher) {
        this.out = out;
        this.hasher = hasher;
    }

    @Override
    public void write(int b) throws IOException {
        one[0] = (byte) b;
        write(one, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        hasher.update(b, off, len);
        if (out != null) {
            out.write(b, off, len);
        }
        count += len;
    }

    @Override
    public void flush() throws IOException {
        if (out != null) {
            out.flush();
        }
    }

    /** Bytes written so far. */
    public long count() {
        return count;
    }

    /** The digest of everything written (resets the hasher). */
    public byte[] digest() {
        return hasher.digest();
    }
}
