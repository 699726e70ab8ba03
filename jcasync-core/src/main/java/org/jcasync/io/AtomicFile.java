package org.jcasync.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A file written under a temporary name beside its target ({@code .#<name>.jcasync-<16 hex>}, see {@link TempFiles})
 * and renamed over the target only by {@link #commit()}; closing without commit removes the temporary file, so a
 * failure never leaves half-written output under the real name. The temporary is locked while it is written, so a
 * later run can tell that a killed run's temporary is stale, and removes it ({@link TempFiles#removeStale}).
 */
public final class AtomicFile implements AutoCloseable {
    /** Temp files not yet committed or closed: removed if the JVM is stopped (Ctrl-C, SIGTERM) meanwhile. */
    private static final java.util.Set<Path> PENDING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : PENDING) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // nothing more can be done while the JVM stops
                }
            }
        }, "jcasync-temp-cleanup"));
    }

    private final Path target;
    private final TempFiles.Locked locked;
    private final Path temp;
    private final FileChannel channel;
    private boolean committed;
    private boolean closed;

    private AtomicFile(Path target, TempFiles.Locked locked, FileChannel channel) {
        this.target = target;
        this.locked = locked;
        this.temp = locked.path();
        this.channel = channel;
    }

    /**
     * Creates the temporary file (read-write) beside {@code target}, after removing stale temporaries of killed
     * runs for the same target.
     */
    public static AtomicFile create(Path target) throws IOException {
        TempFiles.Locked locked = TempFiles.create(target);
        PENDING.add(locked.path());
        try {
            return new AtomicFile(target, locked, FileChannel.open(locked.path(), StandardOpenOption.READ,
                    StandardOpenOption.WRITE));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(locked.path());
            PENDING.remove(locked.path());
            locked.release();
            throw e;
        }
    }

    /** The temporary file. */
    public Path temp() {
        return temp;
    }

    /** The file being replaced. */
    public Path target() {
        return target;
    }

    /** The open channel on the temporary file. */
    public FileChannel channel() {
        return channel;
    }

    /** A stream appending to the temporary file (does not close the channel). */
    public OutputStream outputStream() {
        return new java.io.FilterOutputStream(Channels.newOutputStream(channel)) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    /** Closes the temporary file and renames it over the target. */
    public void commit() throws IOException {
        channel.close();
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        committed = true;
        PENDING.remove(temp);
        release();
    }

    /** Removes the temporary file unless committed. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            try {
                channel.close();
                Files.deleteIfExists(temp);
            } finally {
                PENDING.remove(temp);
                release();
            }
        }
    }

    private void release() {
        if (!closed) {
            closed = true;
            locked.release();
        }
    }
}
