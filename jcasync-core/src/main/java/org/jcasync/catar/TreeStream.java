package org.jcasync.catar;

import org.jcasync.io.BlockPipe;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * A directory tree as casync's catar stream, to be read while it is written: the encoder runs on its own thread
 * into a bounded pipe (at most ten 1 MiB blocks in memory, whatever the tree's size). This is how every consumer of
 * a serialized tree gets it (a {@code .caidx} being chunked, a tree seed, the listings of a directory).
 *
 * <p>An encoder failure is thrown to the reader once it has read everything written before it. Closing the stream
 * early makes the encoder stop at its next write; {@link #close} waits for it to end.
 */
public final class TreeStream extends InputStream {
    /** How long {@link #close} waits for an encoder that was told to stop. */
    private static final long STOP_WAIT_MILLIS = 10_000;

    private final InputStream source;
    private final Thread encoderThread;
    private boolean ended;

    private TreeStream(InputStream source, Thread encoderThread) {
        this.source = source;
        this.encoderThread = encoderThread;
    }

    /**
     * Starts serializing {@code dir} with {@code encoder} (its flags, uid mapping and payload listener) on a daemon
     * thread.
     */
    public static TreeStream open(Path dir, CatarEncoder encoder) {
        BlockPipe pipe = new BlockPipe(8, 1 << 20);
        Thread t = Thread.ofPlatform().name("jcasync-catar").daemon(true).start(() -> {
            // Not try-with-resources: closing the sink ends the data, and a failure must be recorded before that,
            // or the reader could see a clean end first.
            OutputStream sink = pipe.sink();
            try {
                encoder.encode(dir, sink);
                sink.close();
            } catch (Throwable e) {
                pipe.fail(e);
            }
        });
        return new TreeStream(pipe.source(), t);
    }

    @Override
    public int read() throws IOException {
        int b = source.read();
        ended |= b < 0;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = source.read(b, off, len);
        ended |= n < 0;
        return n;
    }

    @Override
    public int available() throws IOException {
        return source.available();
    }

    /** Ends the stream; an encoder still running is stopped (interrupted) and waited for. */
    @Override
    public void close() throws IOException {
        source.close();
        if (!ended) {
            encoderThread.interrupt();
        }
        try {
            encoderThread.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
