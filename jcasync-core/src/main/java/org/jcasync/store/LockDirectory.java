package org.jcasync.store;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The directory of a store's lock files ({@code <store>/locks/}, see {@link StoreLock}): what a store gives so that
 * its writers and collectors can lock it. Times are the store's (its file system's or server's clock), so machines
 * with different clocks judge a lock's age alike.
 */
public interface LockDirectory {
    /** The directory's name in the store: a directory, so casync (which opens every entry of a store as one) copes. */
    String NAME = "locks";

    /** A lock file as listed: its name and time. */
    record Entry(String name, Instant modified) {
    }

    /**
     * Creates the lock file {@code name} (and the lock directory when missing) with {@code content}, atomically:
     * readers see all of it or nothing.
     *
     * @return false when a file of that name exists (it is never replaced)
     * @throws java.nio.file.NoSuchFileException when the store does not exist
     * @throws java.nio.file.AccessDeniedException when the store cannot be written (permissions, read-only)
     */
    boolean create(String name, byte[] content) throws IOException;

    /** Creates the store's directory (a writer's first write into a new store). */
    void createStore() throws IOException;

    /** The lock files ({@code *.lock}) with their times; none when the directory does not exist. */
    List<Entry> list() throws IOException;

    /**
     * The content of lock file {@code name}: at most {@code max} bytes (a longer file is not a lock file: its first
     * {@code max + 1} bytes are returned), or null when it is gone.
     */
    byte[] read(String name, int max) throws IOException;

    /** Writes {@code content} over lock file {@code name} (temporary file and rename), which gives it a new time. */
    void rewrite(String name, byte[] content) throws IOException;

    /** The time of lock file {@code name}, or null when it is gone. */
    Instant modified(String name) throws IOException;

    /** Removes lock file {@code name}; no error when it is gone. */
    void delete(String name) throws IOException;

    /** Where it is, for messages. */
    String location();
}
