package org.jcasync.io;

import java.io.IOException;
import java.io.InputStream;

/** An input stream over a sequence of byte blocks that a subclass produces one at a time. */
public abstract class BlockInputStream extends InputStream {
    private byte[] block;
    private int pos;
    private boolean end;

    /** A stream whose blocks come from {@link #nextBlock()}. */
    protected BlockInputStream() {
    }

    /** The next block (possibly empty), or null at the end of the stream. */
    protected abstract byte[] nextBlock() throws IOException;

    private boolean fill() throws IOException {
        while (!end && (block == null || pos == block.length)) {
            block = nextBlock();
            pos = 0;
            end = block == null;
        }
        return !end;
    }

    @Override
    public int read() throws IOException {
        return fill() ? block[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int k = Math.min(len, block.length - pos);
        System.arraycopy(block, pos, b, off, k);
        pos += k;
        return k;
    }

    @Override
    public int available() {
        return block == null || end ? 0 : block.length - pos;
    }

    /** Drops the current block: the next read asks {@link #nextBlock()} again. */
    protected void discard() {
        block = null;
    }
}
