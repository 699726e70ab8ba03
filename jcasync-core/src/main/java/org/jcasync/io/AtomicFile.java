package org.jcasync.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file written under a temporary name beside its target ({@code .#<name><16 hex>}, as casync does) and renamed
 * over the target only by {@link #commit()}; closing without commit removes the temporary file, so a failure never
 * leaves half-written output under the real name.
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
    private final Path temp;
    private final FileChannel channel;
    private boolean committed;

    private AtomicFile(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /** Creates the temporary file (read-write) beside {@code target}. */
    public static AtomicFile create(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        String name = ".#" + abs.getFileName() + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        Path temp = dir.resolve(name);
        FileChannel ch;
        try {
            ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (java.nio.file.FileSystemException e) {
            String why = e.getReason() != null ? e.getReason()
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
            throw new java.nio.file.FileSystemException(target.toString(), null,
                    "cannot create a temporary file beside it: " + why);
        }
        PENDING.add(temp);
        return new AtomicFile(target, temp, ch);
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
    }

    /** Removes the temporary file unless committed. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            channel.close();
            Files.deleteIfExists(temp);
            PENDING.remove(temp);
        }
    }
}
