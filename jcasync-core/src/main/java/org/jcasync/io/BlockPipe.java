package org.jcasync.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded pipe between one producer thread (writing to {@link #sink()}) and one consumer thread (reading from
 * {@link #source()}), moving whole blocks: at most {@code blocks + 2} blocks are in memory. A producer failure
 * reported through {@link #fail} is rethrown to the consumer at the end of the data; a consumer that closes its end
 * early makes the producer's writes fail.
 */
public final class BlockPipe {
    private static final byte[] EOF = new byte[0];

    private final BlockingQueue<byte[]> queue;
    /** Blocks the consumer has finished reading, for the producer to fill again (no fresh array per block). */
    private final BlockingQueue<byte[]> free;
    private final int blockSize;
    private volatile boolean readerClosed;
    private volatile Throwable failure;

    /** A pipe holding up to {@code blocks} blocks of {@code blockSize} bytes in flight. */
    public BlockPipe(int blocks, int blockSize) {
        this.queue = new ArrayBlockingQueue<>(blocks);
        this.free = new ArrayBlockingQueue<>(blocks + 2);
        this.blockSize = blockSize;
    }

    private void put(byte[] b) throws IOException {
        try {
            while (!queue.offer(b, 100, TimeUnit.MILLISECONDS)) {
                if (readerClosed) {
                    throw new IOException("pipe closed by the reader");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing to a pipe");
        }
    }

    /** Reports that the producer failed; the consumer sees {@code t} once it has read all data written before. */
    public void fail(Throwable t) {
        failure = t;
        try {
            put(EOF);
        } catch (IOException ignored) {
            // the reader is gone: nobody to tell
        }
    }

    /** The producer's end; closing it ends the data. */
    public OutputStream sink() {
        return new OutputStream() {
            private byte[] block = new byte[blockSize];
            private int n;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                if (n == block.length) {
                    pass();
                }
                block[n++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (n == block.length) {
                        pass();
                    }
                    int k = Math.min(len, block.length - n);
                    System.arraycopy(b, off, block, n, k);
                    n += k;
                    off += k;
                    len -= k;
                }
            }

            private void pass() throws IOException {
                put(block);
                byte[] again = free.poll();
                block = again != null ? again : new byte[blockSize];
                n = 0;
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    if (n > 0) {
                        put(java.util.Arrays.copyOf(block, n));
                    }
                    put(EOF);
                }
            }
        };
    }

    /** The consumer's end. */
    public InputStream source() {
        return new BlockInputStream() {
            private boolean eof;
            private byte[] previous;

            @Override
            protected byte[] nextBlock() throws IOException {
                if (eof) {
                    return null;
                }
                // The stream asks for the next block once it has copied out all of the previous one.
                if (previous != null && previous.length == blockSize) {
                    free.offer(previous);
                }
                previous = null;
                byte[] block;
                try {
                    block = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading from a pipe");
                }
                if (block != EOF) {
                    previous = block;
                    return block;
                }
                eof = true;
                Throwable t = failure;
                if (t instanceof IOException io) {
                    throw io;
                }
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error er) {
                    throw er;
                }
                if (t != null) {
                    throw new IOException(t);
                }
                return null;
            }

            @Override
            public void close() {
                readerClosed = true;
                queue.clear();
            }
        };
    }
}
