package org.jcasync.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store lock protocol on a real lock directory, with threads of this JVM as the parties. */
class StoreLockTest {
    /** Short polls, a stale age tests can produce by setting a file's time. */
    static final StoreLock.Timing FAST = new StoreLock.Timing(Duration.ofSeconds(30), Duration.ofMinutes(5),
            Duration.ofMillis(10), Duration.ofMillis(50));

    @TempDir
    Path root;
    LocalLockDirectory dir;
    final List<String> messages = new CopyOnWriteArrayList<>();
    ExecutorService pool;

    @BeforeEach
    void setUp() throws IOException {
        Files.createDirectories(root);
        dir = new LocalLockDirectory(root);
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    StoreLock lock(StoreLock.Mode mode) throws IOException {
        return StoreLock.acquire(dir, mode, "test", messages::add, FAST);
    }

    /** Takes a lock on another thread; {@code waiting} counts down once it says it waits. */
    Future<StoreLock> lockLater(StoreLock.Mode mode, CountDownLatch waiting) {
        return pool.submit(() -> StoreLock.acquire(dir, mode, "later", m -> {
            messages.add(m);
            if (m.startsWith("waiting for")) {
                waiting.countDown();
            }
        }, FAST));
    }

    List<String> lockFiles() throws IOException {
        try (Stream<Path> s = Files.list(root.resolve(LockDirectory.NAME))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".lock")).sorted().toList();
        }
    }

    static void await(CountDownLatch l) throws InterruptedException {
        assertThat(l.await(60, TimeUnit.SECONDS)).as("told it waits").isTrue();
    }

    @Test
    void writersShareTheStoreAndACollectorWaitsForThemAll() throws Exception {
        StoreLock a = lock(StoreLock.Mode.SHARED);
        StoreLock b = lock(StoreLock.Mode.SHARED);
        assertThat(lockFiles()).hasSize(2).allMatch(n -> n.startsWith("shared-"));
        CountDownLatch waiting = new CountDownLatch(1);
        Future<StoreLock> gc = lockLater(StoreLock.Mode.EXCLUSIVE, waiting);
        await(waiting);
        assertThat(messages).anyMatch(m -> m.contains("held by test (pid " + ProcessHandle.current().pid()));
        a.close();
        assertThat(gc.isDone()).as("one writer still holds the store").isFalse();
        b.close();
        try (StoreLock held = gc.get(60, TimeUnit.SECONDS)) {
            assertThat(held.held()).isTrue();
            assertThat(lockFiles()).hasSize(1).allMatch(n -> n.startsWith("exclusive-"));
        }
        assertThat(lockFiles()).isEmpty();
    }

    @Test
    void aWriterWaitsForACollector() throws Exception {
        StoreLock gc = lock(StoreLock.Mode.EXCLUSIVE);
        CountDownLatch waiting = new CountDownLatch(1);
        Future<StoreLock> make = lockLater(StoreLock.Mode.SHARED, waiting);
        await(waiting);
        assertThat(make.isDone()).isFalse();
        gc.close();
        make.get(60, TimeUnit.SECONDS).close();
        assertThat(lockFiles()).isEmpty();
    }

    @Test
    void collectorsTakeTurns() throws Exception {
        StoreLock first = lock(StoreLock.Mode.EXCLUSIVE);
        CountDownLatch waiting = new CountDownLatch(1);
        Future<StoreLock> second = lockLater(StoreLock.Mode.EXCLUSIVE, waiting);
        await(waiting);
        // A writer coming now waits behind both.
        CountDownLatch writerWaits = new CountDownLatch(1);
        Future<StoreLock> writer = lockLater(StoreLock.Mode.SHARED, writerWaits);
        await(writerWaits);
        first.close();
        StoreLock s = second.get(60, TimeUnit.SECONDS);
        assertThat(writer.isDone()).isFalse();
        s.close();
        writer.get(60, TimeUnit.SECONDS).close();
    }

    @Test
    void theLockOfAProcessThatIsGoneIsRemovedAtOnce() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        LockOwner dead = new LockOwner("make", "here", LockOwner.current("x").machine(), p.pid(),
                Instant.now().minusSeconds(5), null);
        assertThat(dead.knownDead()).isTrue();
        assertThat(LockOwner.current("x").knownDead()).isFalse();
        dir.create("shared-000000000000001-0000000000000001.lock", dead.toBytes(StoreLock.Mode.SHARED));
        try (StoreLock gc = lock(StoreLock.Mode.EXCLUSIVE)) {
            assertThat(gc.held()).isTrue();
        }
        assertThat(messages).anyMatch(m -> m.startsWith("removed the stale lock of make (pid " + p.pid()
                + " on here)") && m.endsWith("(its process is gone)"));
        assertThat(lockFiles()).isEmpty();
    }

    @Test
    void aLockOfAnotherMachineIsStaleOnlyWhenNotRefreshedForLong() throws Exception {
        LockOwner elsewhere = new LockOwner("gc", "far", "another-boot/pid:[1]", 1, Instant.now(), null);
        String name = "exclusive-000000000000001-0000000000000001.lock";
        dir.create(name, elsewhere.toBytes(StoreLock.Mode.EXCLUSIVE));
        CountDownLatch waiting = new CountDownLatch(1);
        Future<StoreLock> make = lockLater(StoreLock.Mode.SHARED, waiting);
        await(waiting);
        assertThat(messages).anyMatch(m -> m.contains("held by gc (pid 1 on far)"));
        assertThat(make.isDone()).isFalse();
        Files.setLastModifiedTime(root.resolve(LockDirectory.NAME).resolve(name),
                FileTime.from(Instant.now().minus(Duration.ofMinutes(6))));
        make.get(60, TimeUnit.SECONDS).close();
        assertThat(messages).anyMatch(m -> m.startsWith("removed the stale lock of gc (pid 1 on far)")
                && m.contains("not refreshed since"));
    }

    @Test
    void foreignFilesInTheLockDirectory() throws Exception {
        Path locks = Files.createDirectories(root.resolve(LockDirectory.NAME));
        // Not a store lock's name: ignored.
        Files.writeString(locks.resolve("other.lock"), "x");
        Files.writeString(locks.resolve("exclusive-notes.txt"), "x");
        try (StoreLock l = lock(StoreLock.Mode.EXCLUSIVE)) {
            assertThat(l.held()).isTrue();
        }
        // A lock file whose content is not ours (here 1 MB of garbage): its holder is unknown, so only its age tells;
        // no more than a lock file's worth of it is read.
        String junk = "exclusive-000000000000002-0000000000000002.lock";
        Files.write(locks.resolve(junk), new byte[1 << 20]);
        assertThat(dir.read(junk, LockOwner.MAX_BYTES)).hasSize(LockOwner.MAX_BYTES + 1);
        assertThat(LockOwner.parse(dir.read(junk, LockOwner.MAX_BYTES))).isNull();
        assertThat(LockOwner.parse("jcasync store lock\nmode: x\ncommand: a\nhost: b\nmachine: c\npid: zz\n"
                .getBytes(StandardCharsets.UTF_8))).isNull();
        CountDownLatch waiting = new CountDownLatch(1);
        Future<StoreLock> make = lockLater(StoreLock.Mode.SHARED, waiting);
        await(waiting);
        assertThat(messages).anyMatch(m -> m.contains("held by " + junk));
        Files.setLastModifiedTime(locks.resolve(junk), FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        make.get(60, TimeUnit.SECONDS).close();
        assertThat(locks.resolve("other.lock")).exists();
    }

    @Test
    void controlCharactersOfAnotherHolderAreNotPrinted() {
        LockOwner o = LockOwner.parse(("jcasync store lock\nmode: shared\ncommand: make\u001b[2J\nhost: h\r\n"
                + "machine: m\npid: 7\nprocess-start: \n").getBytes(StandardCharsets.UTF_8));
        assertThat(o).isNotNull();
        assertThat(o.describe()).isEqualTo("make?[2J (pid 7 on h?)");
    }

    @Test
    void aHolderRefreshesItsLockFile() throws Exception {
        StoreLock.Timing quick = new StoreLock.Timing(Duration.ofMillis(20), Duration.ofMinutes(5),
                Duration.ofMillis(10), Duration.ofMillis(50));
        try (StoreLock l = StoreLock.acquire(dir, StoreLock.Mode.SHARED, "make", messages::add, quick)) {
            Path file = root.resolve(LockDirectory.NAME).resolve(lockFiles().getFirst());
            Instant old = Instant.now().minus(Duration.ofHours(1));
            Files.setLastModifiedTime(file, FileTime.from(old));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.getLastModifiedTime(file).toInstant().isAfter(old.plusSeconds(600))
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(Files.getLastModifiedTime(file).toInstant()).isAfter(old.plusSeconds(600));
            assertThat(LockOwner.parse(Files.readAllBytes(file)).command()).isEqualTo("make");
        }
        assertThat(lockFiles()).isEmpty();
    }

    @Test
    void timesAreTheStoresAndACollectorKnowsWhenTheWritersItWaitedForBegan() throws Exception {
        StoreLock writer = lock(StoreLock.Mode.SHARED);
        Path writerFile = root.resolve(LockDirectory.NAME).resolve(lockFiles().getFirst());
        LockOwner w = LockOwner.parse(Files.readAllBytes(writerFile));
        // The time the lock file got when it was created, then written into it (which gives it a newer time).
        assertThat(w.since()).isBeforeOrEqualTo(Files.getLastModifiedTime(writerFile).toInstant())
                .isAfter(Instant.now().minus(Duration.ofMinutes(1)));
        assertThat(writer.writersSince()).isNull();
        // Make the writer's start an hour ago, as if it had been writing since.
        Instant began = Instant.now().minus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Files.write(writerFile, w.since(began).toBytes(StoreLock.Mode.SHARED));
        CountDownLatch waiting = new CountDownLatch(1);
        Future<StoreLock> gc = lockLater(StoreLock.Mode.EXCLUSIVE, waiting);
        await(waiting);
        writer.close();
        try (StoreLock l = gc.get(60, TimeUnit.SECONDS)) {
            assertThat(l.writersSince()).isEqualTo(began);
            assertThat(Duration.between(l.requestedAt(), Instant.now()).abs()).isLessThan(Duration.ofMinutes(1));
        }
        try (StoreLock l = lock(StoreLock.Mode.EXCLUSIVE)) {
            assertThat(l.writersSince()).as("waited for none").isNull();
            Instant file = Files.getLastModifiedTime(root.resolve(LockDirectory.NAME).resolve(lockFiles().getFirst()))
                    .toInstant();
            assertThat(Duration.between(file, l.requestedAt()).abs()).isLessThan(Duration.ofSeconds(30));
        }
    }

    @Test
    void aWriterCreatesTheStoreAndACollectorNeedsOne() throws Exception {
        LocalStore missing = new LocalStore(root.resolve("new.castr"), StoreOptions.DEFAULT);
        assertThatThrownBy(() -> StoreLock.forCollecting(missing, "gc", false, messages::add))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("store directory not found");
        assertThat(root.resolve("new.castr")).doesNotExist();
        try (StoreLock l = StoreLock.forWriting(missing, "make", messages::add)) {
            assertThat(l.held()).isTrue();
            assertThat(root.resolve("new.castr/locks")).isDirectory();
        }
        try (StoreLock l = StoreLock.forCollecting(missing, "gc", true, messages::add)) {
            assertThat(l.held()).isTrue();
        }
    }

    @Test
    void storesWithoutLocksGiveALockThatHoldsNothing() throws Exception {
        ChunkStore plain = new CachedStore(new LocalStore(root.resolve("a"), StoreOptions.DEFAULT),
                new LocalStore(root.resolve("b"), StoreOptions.DEFAULT));
        Instant before = Instant.now();
        try (StoreLock l = StoreLock.forCollecting(plain, "gc", false, messages::add)) {
            assertThat(l.held()).isFalse();
            assertThat(l.requestedAt()).isBetween(before, Instant.now());
        }
        assertThat(messages).isEmpty();
    }
}
