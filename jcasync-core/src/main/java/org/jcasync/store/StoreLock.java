package org.jcasync.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A lock on a store, so that writers (make, pack, push) and collectors (gc, {@code --packs=only}) of one store know
 * of each other: writers hold it shared, collectors exclusive. It is a file in the store's {@link LockDirectory}
 * ({@code <store>/locks/shared-…lock} or {@code exclusive-…lock}), so every machine reaching the store (directly,
 * over NFS or SFTP) sees it; casync ignores it.
 *
 * <p>The protocol needs only "create a new file", "list" and "delete" to be atomic, as they are on a file system:
 * each party first creates its own lock file, then lists the others. Of two parties, the one that lists second sees
 * the other's file, so a shared and an exclusive holder never both go ahead. A shared locker that sees an exclusive
 * lock removes its own file and tries again later; an exclusive locker keeps its file (new writers wait behind it)
 * and waits for the shared locks to go, and for the exclusive locks older than its own (by the time and random
 * number in the name), so exclusive lockers take turns.
 *
 * <p>A holder rewrites its file every {@link #REFRESH_EVERY}. A lock file is stale, and is removed by whoever
 * finds it in the way, when it was not rewritten for {@link #STALE_AFTER} (a holder on another machine that crashed),
 * or at once when its holder ran on this machine and is gone (its PID is free or another process's). Ages are
 * measured with the store's clock: the time of the locker's own lock file plus the time elapsed since.
 */
public final class StoreLock implements AutoCloseable {
    /** How a store is locked. */
    public enum Mode {
        /** Writers: many at once, none while a collector runs. */
        SHARED,
        /** Collectors: alone. */
        EXCLUSIVE
    }

    /** How often a holder rewrites its lock file. */
    static final Duration REFRESH_EVERY = Duration.ofSeconds(30);
    /** A lock file not rewritten for this long is stale. */
    static final Duration STALE_AFTER = Duration.ofMinutes(5);

    /** The periods of the protocol (tests shorten them). */
    record Timing(Duration refreshEvery, Duration staleAfter, Duration firstPoll, Duration longestPoll) {
        static final Timing DEFAULT = new Timing(REFRESH_EVERY, STALE_AFTER, Duration.ofMillis(100),
                Duration.ofSeconds(2));
    }

    /** A time of the store's clock and the local monotonic time it was read at. */
    private record StoreClock(Instant at, long nanos) {
        Instant now() {
            return at.plusNanos(System.nanoTime() - nanos);
        }
    }

    private static final String SUFFIX = ".lock";

    private final LockDirectory dir;
    private final String name;
    private final LockOwner owner;
    private final Mode mode;
    private volatile byte[] content;
    private final Timing timing;
    private final Consumer<String> messages;
    private volatile StoreClock clock;
    private volatile boolean closed;
    private Instant requestedAt;
    private Instant writersSince;
    private Thread heartbeat;
    private Thread shutdownHook;

    private StoreLock(LockDirectory dir, String name, LockOwner owner, Mode mode, Timing timing,
            Consumer<String> messages) {
        this.dir = dir;
        this.name = name;
        this.owner = owner;
        this.mode = mode;
        this.timing = timing;
        this.messages = messages;
    }

    /**
     * The lock of a writer (make, pack, push): shared, taken when no collector holds the store, waiting as long as
     * one does (each holder named once through {@code messages}). A store that does not exist yet is created; one
     * that cannot be written (permissions, read-only) is used without a lock, with a warning: a make that finds
     * every chunk there still works. A store without locks gives a lock that holds nothing.
     *
     * @param command the verb, recorded for the messages of others ("make")
     * @param messages one-line messages for the user (waiting, stale locks removed), e.g. {@code System.err::println}
     */
    public static StoreLock forWriting(ChunkStore store, String command, Consumer<String> messages)
            throws IOException {
        if (!(store instanceof LockableStore lockable)) {
            return unlocked(messages);
        }
        LockDirectory dir = lockable.lockDirectory();
        try {
            try {
                return acquire(dir, Mode.SHARED, command, messages, Timing.DEFAULT);
            } catch (java.nio.file.NoSuchFileException e) {
                dir.createStore();
                return acquire(dir, Mode.SHARED, command, messages, Timing.DEFAULT);
            }
        } catch (java.nio.file.AccessDeniedException e) {
            messages.accept("warning: cannot lock " + dir.location() + " (" + e.getReason() + "): a gc running "
                    + "meanwhile keeps only what its grace period covers");
            return unlocked(messages);
        }
    }

    /**
     * The lock of a collector (gc, removing loose copies of packed chunks): exclusive, taken when no writer and no
     * earlier collector holds the store, waiting as long as they do; shared for a dry run, which removes nothing.
     * The store must exist. A store without locks gives a lock that holds nothing.
     */
    public static StoreLock forCollecting(ChunkStore store, String command, boolean dryRun, Consumer<String> messages)
            throws IOException {
        if (!(store instanceof LockableStore lockable)) {
            return unlocked(messages);
        }
        return acquire(lockable.lockDirectory(), dryRun ? Mode.SHARED : Mode.EXCLUSIVE, command, messages,
                Timing.DEFAULT);
    }

    private static StoreLock unlocked(Consumer<String> messages) {
        StoreLock none = new StoreLock(null, null, null, null, Timing.DEFAULT, messages);
        none.requestedAt = Instant.now();
        return none;
    }

    /** Locks the store of lock directory {@code dir}. */
    static StoreLock acquire(LockDirectory dir, Mode mode, String command, Consumer<String> messages, Timing timing)
            throws IOException {
        LockOwner me = LockOwner.current(command);
        Map<String, LockOwner> owners = new HashMap<>();
        Set<String> announced = new HashSet<>();
        Instant firstRequest = null;
        Instant writers = null;
        long poll = timing.firstPoll().toMillis();
        while (true) {
            StoreLock lock = new StoreLock(dir, newName(mode), me, mode, timing, messages);
            try {
                lock.publish();
                firstRequest = firstRequest == null ? lock.clock.at() : firstRequest;
                while (true) {
                    List<String> blockers = lock.blockers(mode, owners);
                    for (String b : blockers) {
                        if (modeOf(b) == Mode.SHARED) {
                            Instant w = lock.writerSince(b, owners.get(b));
                            writers = writers == null || w.isBefore(writers) ? w : writers;
                        }
                    }
                    if (blockers.isEmpty()) {
                        lock.requestedAt = firstRequest;
                        lock.writersSince = writers;
                        return lock;
                    }
                    for (String b : blockers) {
                        if (announced.add(b)) {
                            messages.accept("waiting for the lock on " + dir.location() + " held by "
                                    + describe(owners.get(b), b));
                        }
                    }
                    if (mode == Mode.SHARED) {
                        lock.close(); // out of the way of the collector; a new lock file when it is gone
                        sleep(poll);
                        poll = Math.min(poll * 2, timing.longestPoll().toMillis());
                        break;
                    }
                    sleep(poll);
                    poll = Math.min(poll * 2, timing.longestPoll().toMillis());
                }
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
        }
    }

    /** {@code shared-<ms>-<random>.lock}: the time and random number order exclusive lockers. */
    private static String newName(Mode mode) {
        return mode.name().toLowerCase(Locale.ROOT) + "-" + String.format("%015d-%016x", System.currentTimeMillis(),
                ThreadLocalRandom.current().nextLong()) + SUFFIX;
    }

    /** The mode a lock file's name says, or null for a file that is not a store lock. */
    private static Mode modeOf(String file) {
        for (Mode m : Mode.values()) {
            if (file.startsWith(m.name().toLowerCase(Locale.ROOT) + "-") && file.endsWith(SUFFIX)) {
                return m;
            }
        }
        return null;
    }

    /** The part of a lock file's name that orders it: its time and random number. */
    private static String key(String file) {
        return file.substring(file.indexOf('-') + 1);
    }

    private static String describe(LockOwner owner, String file) {
        return owner != null ? owner.describe() : file;
    }

    /**
     * When a writer whose lock is in the way began, by the store's clock: as its lock file says, else (a lock file
     * of another kind) the file's time, the latest it can have begun.
     */
    private Instant writerSince(String file, LockOwner writer) throws IOException {
        if (writer != null && writer.since() != null) {
            return writer.since();
        }
        Instant t = dir.modified(file);
        return t != null ? t : clock.now();
    }

    /**
     * Creates the lock file, reads the store's time from it and writes that into it (for collectors that wait for
     * this writer: what it wrote is no older), starts refreshing it.
     */
    private void publish() throws IOException {
        content = owner.toBytes(mode);
        if (!dir.create(name, content)) {
            throw new IOException(dir.location() + ": lock file " + name + " exists already");
        }
        readClock();
        content = owner.since(clock.at()).toBytes(mode);
        dir.rewrite(name, content);
        shutdownHook = new Thread(this::release, "jcasync-lock-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        heartbeat = Thread.ofVirtual().name("jcasync-lock-refresh").start(this::refreshLoop);
    }

    private void readClock() throws IOException {
        long nanos = System.nanoTime();
        Instant t = dir.modified(name);
        if (t == null) {
            throw new IOException(dir.location() + ": lock file " + name + " vanished");
        }
        clock = new StoreClock(t, nanos);
    }

    /**
     * The lock files in the way of this one, after removing the stale ones: for a shared lock every exclusive one,
     * for an exclusive lock every shared one and the exclusive ones ordered before it.
     */
    private List<String> blockers(Mode mode, Map<String, LockOwner> owners) throws IOException {
        List<String> in = new ArrayList<>();
        Instant now = clock.now();
        for (LockDirectory.Entry e : dir.list()) {
            Mode other = modeOf(e.name());
            if (e.name().equals(name) || other == null) {
                continue;
            }
            boolean blocks = mode == Mode.SHARED ? other == Mode.EXCLUSIVE
                    : other == Mode.SHARED || key(e.name()).compareTo(key(name)) < 0;
            if (!blocks) {
                continue;
            }
            LockOwner owner = owners.get(e.name());
            if (owner == null) {
                owner = LockOwner.parse(dir.read(e.name(), LockOwner.MAX_BYTES));
                if (owner != null) {
                    owners.put(e.name(), owner);
                }
            }
            boolean old = Duration.between(e.modified(), now).compareTo(timing.staleAfter()) > 0;
            if (old || owner != null && owner.knownDead()) {
                dir.delete(e.name());
                messages.accept("removed the stale lock of " + describe(owner, e.name()) + " from "
                        + dir.location() + (old ? " (not refreshed since " + e.modified() + ")"
                        : " (its process is gone)"));
                continue;
            }
            in.add(e.name());
        }
        return in;
    }

    private void refreshLoop() {
        boolean warned = false;
        while (true) {
            try {
                Thread.sleep(timing.refreshEvery());
            } catch (InterruptedException e) {
                return;
            }
            // Under the lock that release() takes: a rewrite never brings back a file release() removed.
            synchronized (this) {
                if (closed) {
                    return;
                }
                try {
                    if (dir.modified(name) == null) {
                        messages.accept("warning: the lock file " + name + " in " + dir.location()
                                + " was removed by another process (taken for stale); writing it again");
                    }
                    dir.rewrite(name, content);
                    readClock();
                } catch (IOException e) {
                    if (!warned) {
                        messages.accept("warning: cannot refresh the lock file " + name + " in " + dir.location()
                                + ": " + e.getMessage());
                        warned = true;
                    }
                }
            }
        }
    }

    /**
     * The store's time when the lock was asked for (its first lock file's time: the file system's or server's
     * clock), before any wait; the local clock for a store without locks. gc counts its grace period back from it.
     */
    public Instant requestedAt() {
        return requestedAt;
    }

    /**
     * The earliest time (the store's) at which a writer that this lock waited for took its own lock, or null when it
     * waited for none. Whatever such a writer relies on is younger than that less {@link WritableChunkStore#FRESH_FOR}:
     * its index, which gc was not given, may be written by now.
     */
    public Instant writersSince() {
        return writersSince;
    }

    /** Whether a lock is held (false for stores without locks). */
    public boolean held() {
        return dir != null && !closed;
    }

    /** Releases the lock: removes the lock file (a failure is reported, not thrown: the file then goes stale). */
    @Override
    public void close() {
        if (dir == null || closed) {
            return;
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // shutting down: the hook releases it too, whichever comes first
            }
        }
        release();
    }

    /** Stops the refreshes and removes the lock file, once. */
    private void release() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (heartbeat != null) {
            heartbeat.interrupt();
        }
        try {
            dir.delete(name);
        } catch (IOException e) {
            messages.accept("warning: cannot remove the lock file " + name + " from " + dir.location() + ": "
                    + e.getMessage());
        }
    }

    private static void sleep(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a store lock");
        }
    }
}
