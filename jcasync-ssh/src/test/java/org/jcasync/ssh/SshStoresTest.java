package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.LocalStore;
import org.jcasync.store.PrunableChunkStore;
import org.jcasync.store.StoreLock;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The ssh:// store against the real casync serving through a real sshd, and the sftp:// store on that sshd. */
class SshStoresTest {
    @TempDir
    static Path dir;
    static LoopbackSshd sshd;
    static final TransportOptions TRANSPORT = new TransportOptions(Duration.ofSeconds(30), 32, 1,
            Duration.ofMillis(100), null, null, null, null, false, 0);

    @BeforeAll
    static void start() throws Exception {
        Path d = Files.createDirectories(dir.resolve("sshd"));
        sshd = LoopbackSshd.start(d);
    }

    @AfterAll
    static void stop() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
    }

    /** {@code n} random chunks of 1 to 64 KiB in a local store at {@code store}. */
    static List<byte[]> fill(Path store, int n, long seed) throws IOException {
        LocalStore s = new LocalStore(store, StoreOptions.DEFAULT);
        Random r = new Random(seed);
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[1 + r.nextInt(64 * 1024)];
            r.nextBytes(b);
            chunks.add(b);
            s.put(id(b), b, 0, b.length);
        }
        return chunks;
    }

    static ChunkId id(byte[] b) {
        return StoreOptions.DEFAULT.digest().digest(b, 0, b.length);
    }

    static void requireCasync() {
        boolean present = Files.isExecutable(Path.of("/usr/bin/casync"));
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("casync is not installed");
        }
        Assumptions.assumeTrue(present, "casync not installed");
    }

    @Test
    void pipelinedFetchFromTheRealCasyncOverSeveralSessions() throws Exception {
        requireCasync();
        Path store = dir.resolve("served");
        List<byte[]> chunks = fill(store, 300, 1);
        SshTarget t = new SshTarget(null, "127.0.0.1", -1, store.toString());
        SshCommand cmd = sshd.commands(null);
        // No cache of recent frames: ids asked again must go to sessions that were not asked for them yet.
        try (CasyncRemoteStore s = new CasyncRemoteStore("ssh://127.0.0.1" + store, () -> cmd.casync(t, 0, "pull",
                null, null, t.path(), List.of()), StoreOptions.DEFAULT, TRANSPORT, 0)) {
            List<ChunkId> ids = chunks.stream().map(SshStoresTest::id).toList();
            for (int round = 0; round < 6; round++) {
                byte[][] got = s.getAll(ids);
                for (int i = 0; i < ids.size(); i++) {
                    assertThat(got[i]).as("round %d chunk %d", round, i).isEqualTo(chunks.get(i));
                }
            }
            assertThat(s.sessionCount()).isBetween(2, CasyncRemoteStore.MAX_SESSIONS);
            assertThat(s.stats().getFirst().chunks()).isEqualTo(6L * ids.size());
            ChunkId absent = id(new byte[] {1, 2, 3});
            assertThat(s.getAll(List.of(ids.getFirst(), absent))[1]).isNull();
            assertThatThrownBy(() -> s.get(absent)).isInstanceOf(ChunkMissingException.class)
                    .hasMessageContaining("is missing from store ssh://127.0.0.1");
            assertThat(s.has(ids.get(5))).isTrue();
        }
    }

    @Test
    void corruptChunkServedByCasyncIsAnError() throws Exception {
        requireCasync();
        Path store = dir.resolve("corrupt");
        List<byte[]> chunks = fill(store, 3, 2);
        ChunkId victim = id(chunks.get(1));
        Path file = new LocalStore(store, StoreOptions.DEFAULT).chunkPath(victim);
        Files.delete(file);
        byte[] other = Compression.ZSTD.compress(chunks.get(2), 0, chunks.get(2).length);
        Files.write(file, other);
        try (ChunkStore s = new SshStoreProvider(sshd.commands(null)).open(URI.create("ssh://127.0.0.1" + store),
                StoreOptions.DEFAULT, TRANSPORT)) {
            assertThat(s.get(id(chunks.get(0)))).isEqualTo(chunks.get(0));
            // casync's server checks chunks itself and ends the session: an error, never the wrong bytes.
            assertThatThrownBy(() -> s.get(victim)).isInstanceOf(IOException.class)
                    .hasMessageContaining("Failed to query store: Bad message");
        }
    }

    @Test
    void indexFilePulledThroughCasync() throws Exception {
        requireCasync();
        Path file = dir.resolve("some.caibx");
        byte[] content = new byte[300_000];
        new Random(3).nextBytes(content);
        Files.write(file, content);
        SshStoreProvider p = new SshStoreProvider(sshd.commands(null));
        assertThat(p.readFile(URI.create("ssh://127.0.0.1" + file), TRANSPORT)).isEqualTo(content);
        assertThatThrownBy(() -> p.readFile(URI.create("ssh://127.0.0.1" + dir.resolve("nope.caibx")), TRANSPORT))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void sessionThatCannotLogInNamesWhy() {
        SshCommand broken = new SshCommand(java.util.Map.of("CASYNC_SSH_PATH", "/bin/false"));
        TransportOptions once = new TransportOptions(Duration.ofSeconds(10), 4, 0, Duration.ofMillis(10), null,
                null, null, null, false, 0);
        assertThatThrownBy(() -> {
            try (ChunkStore s = new SshStoreProvider(broken).open(URI.create("ssh://127.0.0.1/x"),
                    StoreOptions.DEFAULT, once)) {
                s.get(id(new byte[] {1}));
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("ssh://127.0.0.1/x: the connection closed (exit status 1)");
    }

    @Test
    void sftpStoreWritesReadsAndPrunes() throws Exception {
        Path root = dir.resolve("sftp-store");
        SftpStoreProvider p = new SftpStoreProvider(sshd.commands(null));
        URI uri = URI.create("sftp://127.0.0.1" + root);
        Random r = new Random(4);
        List<byte[]> chunks = new ArrayList<>();
        try (PrunableChunkStore s = (PrunableChunkStore) p.openWritable(uri, StoreOptions.DEFAULT, TRANSPORT)) {
            for (int i = 0; i < 40; i++) {
                byte[] b = new byte[1 + r.nextInt(200_000)];
                r.nextBytes(b);
                chunks.add(b);
                assertThat(s.put(id(b), b, 0, b.length)).isTrue();
            }
            assertThat(s.put(id(chunks.get(0)), chunks.get(0), 0, chunks.get(0).length)).isFalse();
            // The layout is casync's: a local store reads what the sftp store wrote.
            LocalStore local = new LocalStore(root, StoreOptions.DEFAULT);
            assertThat(local.get(id(chunks.get(7)))).isEqualTo(chunks.get(7));
            try (var files = Files.walk(root)) {
                assertThat(files.filter(f -> f.toString().endsWith(".tmp")).toList()).isEmpty();
            }
            List<ChunkId> ids = chunks.stream().map(SshStoresTest::id).toList();
            byte[][] got = s.getAll(ids);
            for (int i = 0; i < ids.size(); i++) {
                assertThat(got[i]).isEqualTo(chunks.get(i));
            }
            Set<ChunkId> keep = new HashSet<>(ids.subList(0, 10));
            var result = s.prune(keep::contains, false, null);
            assertThat(result.removed()).isEqualTo(30);
            assertThat(result.remaining()).isEqualTo(10);
            assertThat(s.has(ids.get(3))).isTrue();
            assertThat(s.has(ids.get(30))).isFalse();
            assertThat(s.getAll(List.of(ids.get(30)))[0]).isNull();
            assertThatThrownBy(() -> s.get(ids.get(30))).isInstanceOf(ChunkMissingException.class);
            // A chunk file holding another chunk's bytes is refused.
            Path victim = local.chunkPath(ids.get(1));
            Files.delete(victim);
            Files.copy(local.chunkPath(ids.get(2)), victim);
            assertThatThrownBy(() -> s.get(ids.get(1))).isInstanceOf(ChunkInvalidException.class)
                    .hasMessageContaining("in store sftp://127.0.0.1");
        }
        URI index = URI.create("sftp://127.0.0.1" + dir.resolve("x.caibx"));
        p.writeFile(index, new byte[] {1, 2, 3}, TRANSPORT);
        p.writeFile(index, new byte[] {4, 5}, TRANSPORT);
        assertThat(p.readFile(index, TRANSPORT)).containsExactly(4, 5);
        assertThatThrownBy(() -> p.readFile(URI.create("sftp://127.0.0.1/nonexistent/x.caibx"), TRANSPORT))
                .isInstanceOf(NoSuchFileException.class);
    }

    /** SETSTAT freshens old chunks a writer reuses; gc over SFTP keeps young ones by the times READDIR gives. */
    @Test
    void sftpStoreFreshensReusedChunksAndGcKeepsYoungOnes() throws Exception {
        Path root = dir.resolve("sftp-fresh");
        SftpStoreProvider p = new SftpStoreProvider(sshd.commands(null));
        List<byte[]> chunks = fill(root, 10, 11);
        LocalStore local = new LocalStore(root, StoreOptions.DEFAULT);
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(3)));
        for (byte[] b : chunks) {
            Files.setLastModifiedTime(local.chunkPath(id(b)), old);
        }
        Instant before = Instant.now().minusSeconds(60);
        try (PrunableChunkStore s = (PrunableChunkStore) p.openWritable(URI.create("sftp://127.0.0.1" + root),
                StoreOptions.DEFAULT, TRANSPORT)) {
            byte[] b0 = chunks.get(0);
            assertThat(s.put(id(b0), b0, 0, b0.length)).isFalse();
            assertThat(s.freshen(id(chunks.get(1)))).isTrue();
            assertThat(s.freshen(id(new byte[] {42}))).isFalse();
            assertThat(Files.getLastModifiedTime(local.chunkPath(id(b0))).toInstant()).isAfter(before);
            assertThat(Files.getLastModifiedTime(local.chunkPath(id(chunks.get(1)))).toInstant()).isAfter(before);
            assertThat(Files.getLastModifiedTime(local.chunkPath(id(chunks.get(2))))).isEqualTo(old);

            var dry = s.prune(x -> false, Instant.now().minus(Duration.ofHours(1)), true, null);
            assertThat(dry.removed()).isEqualTo(8);
            assertThat(dry.young()).isEqualTo(2);
            var r = s.prune(x -> false, Instant.now().minus(Duration.ofHours(1)), false, null);
            assertThat(r.removed()).isEqualTo(8);
            assertThat(local.has(id(b0))).isTrue();
            assertThat(local.has(id(chunks.get(1)))).isTrue();
            assertThat(local.has(id(chunks.get(2)))).isFalse();
        }
    }

    /**
     * One store reached directly and over SFTP: a writer holding the lock through one keeps a collector coming
     * through the other waiting, both ways (they share the lock files of ROOT/locks/).
     */
    @Test
    void locksOverSftpAndLocallyKnowOfEachOther() throws Exception {
        Path root = dir.resolve("sftp-locks");
        fill(root, 3, 12);
        SftpStoreProvider p = new SftpStoreProvider(sshd.commands(null));
        LocalStore local = new LocalStore(root, StoreOptions.DEFAULT);
        List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newCachedThreadPool();
        try (PrunableChunkStore sftp = (PrunableChunkStore) p.openWritable(URI.create("sftp://127.0.0.1" + root),
                StoreOptions.DEFAULT, TRANSPORT)) {
            StoreLock writer = StoreLock.forWriting(local, "make", messages::add);
            Future<StoreLock> gc = pool.submit(() -> StoreLock.forCollecting(sftp, "gc", false, messages::add));
            awaitMessage(messages, "waiting for the lock on sftp://127.0.0.1" + root + "/locks held by make");
            assertThat(gc.isDone()).isFalse();
            writer.close();
            StoreLock collector = gc.get(60, TimeUnit.SECONDS);
            assertThat(collector.held()).isTrue();
            try (var files = Files.list(root.resolve("locks"))) {
                assertThat(files.map(f -> f.getFileName().toString()).toList()).singleElement()
                        .matches(n -> n.startsWith("exclusive-"));
            }
            Future<StoreLock> make = pool.submit(() -> StoreLock.forWriting(local, "make", messages::add));
            awaitMessage(messages, "waiting for the lock on " + root + "/locks held by gc");
            assertThat(make.isDone()).isFalse();
            collector.close();
            make.get(60, TimeUnit.SECONDS).close();
        } finally {
            pool.shutdownNow();
        }
        try (var files = Files.list(root.resolve("locks"))) {
            assertThat(files.toList()).isEmpty();
        }
    }

    private static void awaitMessage(List<String> messages, String start) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (messages.stream().noneMatch(m -> m.startsWith(start)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(messages).anyMatch(m -> m.startsWith(start));
    }
}
