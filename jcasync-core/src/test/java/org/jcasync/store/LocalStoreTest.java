package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

class LocalStoreTest {
    @TempDir
    Path tmp;
    Path root;
    LocalStore store;

    @BeforeEach
    void setUp() {
        assumeThat(System.getenv("CASYNC_COMPRESSED_CHUNK_SUFFIX")).as("default chunk suffix").isNull();
        root = tmp.resolve("default.castr");
        store = new LocalStore(root, StoreOptions.DEFAULT);
    }

    static ChunkId id(byte[] data) {
        return DigestAlgorithm.SHA512_256.digest(data, 0, data.length);
    }

    static List<Path> allFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !Files.isDirectory(p)).sorted().toList();
        }
    }

    @Test
    void putGetHas() throws IOException {
        byte[] data = TestData.random(1, 10_000);
        ChunkId id = id(data);
        assertThat(store.has(id)).isFalse();
        assertThat(Files.exists(root)).isFalse();
        assertThat(store.put(id, data, 0, data.length)).isTrue();
        assertThat(store.has(id)).isTrue();
        assertThat(store.get(id)).isEqualTo(data);
        assertThat(store.bytesRead()).isEqualTo(Files.size(store.chunkPath(id)));
        // Second put: already there, nothing written.
        long mtime = Files.getLastModifiedTime(store.chunkPath(id)).toMillis();
        assertThat(store.put(id, data, 0, data.length)).isFalse();
        assertThat(Files.getLastModifiedTime(store.chunkPath(id)).toMillis()).isEqualTo(mtime);
        // A fresh store object on the same directory sees it too (no in-memory state needed).
        LocalStore again = new LocalStore(root, StoreOptions.DEFAULT);
        assertThat(again.put(id, data, 0, data.length)).isFalse();
        assertThat(again.get(id)).isEqualTo(data);
    }

    @Test
    void putHonoursOffsetAndLength() throws IOException {
        byte[] big = TestData.random(2, 5000);
        byte[] part = java.util.Arrays.copyOfRange(big, 123, 4000);
        ChunkId id = id(part);
        assertThat(store.put(id, big, 123, part.length)).isTrue();
        assertThat(store.get(id)).isEqualTo(part);
    }

    @Test
    void fileLayoutPermissionsAndNoTempFiles() throws IOException {
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] data = TestData.random(100 + i, 1000 + i);
            ChunkId id = id(data);
            ids.add(id);
            store.put(id, data, 0, data.length);
        }
        for (ChunkId id : ids) {
            String hex = id.toHex();
            Path expected = root.resolve(hex.substring(0, 4)).resolve(hex + ".cacnk");
            assertThat(store.chunkPath(id)).isEqualTo(expected);
            assertThat(expected).isRegularFile();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(expected))).isEqualTo("r--r--r--");
            byte[] stored = Files.readAllBytes(expected);
            assertThat(Compression.detect(stored, stored.length)).isEqualTo(Compression.ZSTD);
        }
        List<Path> files = allFiles(root);
        assertThat(files).hasSize(ids.size());
        assertThat(files).allSatisfy(p -> assertThat(p.getFileName().toString()).matches("[0-9a-f]{64}\\.cacnk"));
        try (Stream<Path> s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).allMatch(n -> n.matches("[0-9a-f]{4}"));
        }
    }

    @Test
    void concurrentPutsOfTheSameChunk() throws Exception {
        byte[] data = TestData.random(3, 200_000);
        ChunkId id = id(data);
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger wins = new java.util.concurrent.atomic.AtomicInteger();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 8; t++) {
            LocalStore s = new LocalStore(root, StoreOptions.DEFAULT);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    if (s.put(id, data, 0, data.length)) {
                        wins.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(errors).isEmpty();
        assertThat(wins.get()).isBetween(1, 8);
        assertThat(store.get(id)).isEqualTo(data);
        assertThat(allFiles(root)).containsExactly(store.chunkPath(id));
    }

    @Test
    void missingChunk() throws IOException {
        byte[] data = TestData.random(4, 100);
        ChunkId other = id(TestData.random(5, 100));
        store.put(id(data), data, 0, data.length);
        assertThatThrownBy(() -> store.get(other)).isInstanceOf(ChunkMissingException.class)
                .hasMessageContaining(other.toHex()).hasMessageContaining(root.toString());
        assertThat(store.has(other)).isFalse();
        // Missing directory of the prefix as well as a missing file in an existing prefix directory.
        Files.createDirectories(root.resolve(other.prefix()));
        assertThatThrownBy(() -> store.get(other)).isInstanceOf(ChunkMissingException.class);
        StoreException e = catchStore(() -> store.get(other));
        assertThat(e.chunkId()).isEqualTo(other);
    }

    private static StoreException catchStore(org.assertj.core.api.ThrowableAssert.ThrowingCallable c) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(c);
        assertThat(t).isInstanceOf(StoreException.class);
        return (StoreException) t;
    }

    @Test
    void corruptChunkNamesChunkAndStore() throws IOException {
        byte[] data = TestData.random(6, 5000);
        ChunkId id = id(data);
        store.put(id, data, 0, data.length);
        Path f = store.chunkPath(id);
        byte[] good = Files.readAllBytes(f);
        // (1) garbage: no known magic
        Files.write(f, "not compressed at all".getBytes());
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id.toHex()).hasMessageContaining(root.toString());
        // (2) a valid frame of other data: digest mismatch
        byte[] other = TestData.random(7, 5000);
        Files.write(f, Compression.ZSTD.compress(other, 0, other.length));
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id.toHex()).hasMessageContaining(root.toString())
                .hasMessageContaining(id(other).toHex());
        // (3) truncated frame
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 3));
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id.toHex());
        // (4) a frame with trailing garbage
        Files.write(f, CompressionTest.concat(good, new byte[] {0}));
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining("trailing");
        // (5) an empty file
        Files.write(f, new byte[0]);
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class);
        // (6) an empty frame: decompresses to nothing
        Files.write(f, Compression.ZSTD.compress(new byte[0], 0, 0));
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining("empty");
        // Repaired: back to normal.
        Files.write(f, good);
        assertThat(store.get(id)).isEqualTo(data);
    }

    @Test
    void uncompressedChunkWithoutSuffixIsRead() throws IOException {
        byte[] data = TestData.random(8, 3000);
        ChunkId id = id(data);
        Path raw = root.resolve(id.prefix()).resolve(id.toHex());
        Files.createDirectories(raw.getParent());
        Files.write(raw, data);
        assertThat(store.has(id)).isTrue();
        assertThat(store.get(id)).isEqualTo(data);
        // A raw file with the wrong content is corrupt, not missing.
        Files.write(raw, TestData.random(9, 3000));
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id.toHex());
        // The compressed file wins when both exist.
        store.put(id, data, 0, data.length);
        assertThat(store.get(id)).isEqualTo(data);
    }

    @Test
    void symlinkToDevNullMeansMissing() throws IOException {
        byte[] data = TestData.random(10, 3000);
        ChunkId id = id(data);
        Path raw = root.resolve(id.prefix()).resolve(id.toHex());
        Files.createDirectories(raw.getParent());
        Files.createSymbolicLink(raw, Path.of("/dev/null"));
        assertThat(store.has(id)).isFalse();
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkMissingException.class)
                .hasMessageContaining(id.toHex());
        // A later put stores the real chunk beside the marker.
        assertThat(store.put(id, data, 0, data.length)).isTrue();
        assertThat(store.get(id)).isEqualTo(data);
        Files.delete(raw); // JUnit warns about links leaving the temp dir
    }

    @Test
    void chunkLargerThanTheMaximumIsInvalid() throws IOException {
        byte[] data = TestData.random(11, 2000);
        ChunkId id = id(data);
        store.put(id, data, 0, data.length);
        LocalStore small = new LocalStore(root, StoreOptions.DEFAULT.with(DigestAlgorithm.SHA512_256, 1999));
        assertThatThrownBy(() -> small.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id.toHex()).hasMessageContaining("1999");
        LocalStore exact = new LocalStore(root, StoreOptions.DEFAULT.with(DigestAlgorithm.SHA512_256, 2000));
        assertThat(exact.get(id)).isEqualTo(data);
        // The same for an uncompressed file.
        byte[] data2 = TestData.random(12, 2000);
        ChunkId id2 = id(data2);
        Path raw = root.resolve(id2.prefix()).resolve(id2.toHex());
        Files.createDirectories(raw.getParent());
        Files.write(raw, data2);
        assertThatThrownBy(() -> small.get(id2)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id2.toHex());
        assertThat(exact.get(id2)).isEqualTo(data2);
    }

    @Test
    void chunkFileLargerThanAnyFrameOfTheMaximumIsRefusedUnread() throws IOException {
        byte[] data = TestData.random(14, 3000);
        ChunkId id = id(data);
        store.put(id, data, 0, data.length);
        Path file = store.chunkPath(id);
        // Incompressible data of the maximum size still fits; a file longer than any frame of it does not.
        byte[] noise = TestData.random(15, 100_000);
        ChunkId noiseId = id(noise);
        store.put(noiseId, noise, 0, noise.length);
        LocalStore tight = new LocalStore(root, StoreOptions.DEFAULT.with(DigestAlgorithm.SHA512_256, 100_000));
        assertThat(tight.get(noiseId)).isEqualTo(noise);
        Files.write(file, new byte[(int) LocalStore.frameLimit(100_000) + 1]);
        assertThatThrownBy(() -> tight.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id.toHex()).hasMessageContaining("larger than any compressed chunk");
    }

    @Test
    void sha256Store() throws IOException {
        byte[] data = TestData.random(13, 4000);
        ChunkId id = DigestAlgorithm.SHA256.digest(data, 0, data.length);
        LocalStore s = new LocalStore(root, new StoreOptions(DigestAlgorithm.SHA256, 1 << 20, Compression.ZSTD));
        s.put(id, data, 0, data.length);
        assertThat(s.get(id)).isEqualTo(data);
        // Read with the wrong digest the chunk does not verify.
        assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void storesWrittenWithEachCompressionAreReadBack(Compression c) throws IOException {
        LocalStore w = new LocalStore(root, new StoreOptions(DigestAlgorithm.SHA512_256, 1 << 20, c));
        List<byte[]> chunks = List.of(TestData.random(14, 1), TestData.random(15, 65536), new byte[70_000],
                CompressionTest.text(100_000));
        for (byte[] d : chunks) {
            assertThat(w.put(id(d), d, 0, d.length)).isTrue();
            byte[] stored = Files.readAllBytes(w.chunkPath(id(d)));
            assertThat(Compression.detect(stored, stored.length)).isEqualTo(c);
        }
        // Read with a store configured for zstd: the format is detected per file.
        for (byte[] d : chunks) {
            assertThat(store.get(id(d))).isEqualTo(d);
        }
    }

    @Test
    void mixedStore() throws IOException {
        List<byte[]> chunks = new ArrayList<>();
        for (Compression c : Compression.values()) {
            byte[] d = TestData.random(20 + c.ordinal(), 3000);
            chunks.add(d);
            new LocalStore(root, new StoreOptions(DigestAlgorithm.SHA512_256, 1 << 20, c)).put(id(d), d, 0, d.length);
        }
        for (byte[] d : chunks) {
            assertThat(store.get(id(d))).isEqualTo(d);
        }
    }

    @Test
    void prune() throws IOException {
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] d = TestData.random(1000 + i, 100);
            ids.add(id(d));
            store.put(id(d), d, 0, d.length);
        }
        // A stray non-chunk file and a temp file are not chunks: never counted, never removed.
        Path someDir = root.resolve(ids.get(0).prefix());
        Files.write(someDir.resolve("README"), new byte[] {1});
        Set<ChunkId> keep = new HashSet<>(ids.subList(0, 10));
        Set<String> prefixesKept = new HashSet<>();
        for (ChunkId k : keep) {
            prefixesKept.add(k.prefix());
        }
        Set<String> allPrefixes = new HashSet<>();
        for (ChunkId k : ids) {
            allPrefixes.add(k.prefix());
        }
        int emptied = 0;
        for (String p : allPrefixes) {
            if (!prefixesKept.contains(p) && !p.equals(ids.get(0).prefix())) {
                emptied++;
            }
        }
        assertThat(emptied).isGreaterThan(0);

        List<String> told = new ArrayList<>();
        PrunableChunkStore.PruneResult dry = store.prune(keep::contains, true, told::add);
        assertThat(dry.removed()).isEqualTo(30);
        assertThat(dry.remaining()).isEqualTo(10);
        assertThat(dry.directories()).isZero();
        assertThat(told).hasSize(30).allMatch(n -> n.endsWith(".cacnk"));
        assertThat(allFiles(root)).hasSize(41);
        for (ChunkId id : ids) {
            assertThat(store.has(id)).isTrue();
        }

        told.clear();
        PrunableChunkStore.PruneResult real = store.prune(keep::contains, false, told::add);
        assertThat(real.removed()).isEqualTo(30);
        assertThat(real.remaining()).isEqualTo(10);
        assertThat(real.directories()).isEqualTo(emptied);
        assertThat(told).hasSize(30);
        for (ChunkId id : ids) {
            assertThat(store.has(id)).isEqualTo(keep.contains(id));
        }
        assertThat(someDir.resolve("README")).exists();
        try (Stream<Path> s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrderElementsOf(union(prefixesKept, ids.get(0).prefix()));
        }
        // Nothing left to remove.
        PrunableChunkStore.PruneResult again = store.prune(keep::contains, false, null);
        assertThat(again.removed()).isZero();
        assertThat(again.remaining()).isEqualTo(10);
        // A prune that keeps nothing removes every chunk directory except the one with the stray file.
        PrunableChunkStore.PruneResult all = store.prune(x -> false, false, null);
        assertThat(all.removed()).isEqualTo(10);
        assertThat(all.remaining()).isZero();
        assertThat(allFiles(root)).containsExactly(someDir.resolve("README"));
    }

    /** Sets the time of {@code file} to {@code ago} before now. */
    static void age(Path file, Duration ago) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(ago)));
    }

    static Instant timeOf(Path file) throws IOException {
        return Files.getLastModifiedTime(file).toInstant();
    }

    @Test
    void aWriterFreshensTheOldChunksItReuses() throws IOException {
        byte[] d = TestData.random(90, 5000);
        assertThat(store.freshen(id(d))).isFalse();
        assertThat(store.put(id(d), d, 0, d.length)).isTrue();
        Path file = store.chunkPath(id(d));
        age(file, Duration.ofHours(2));
        Instant before = Instant.now().minusSeconds(60);
        assertThat(store.put(id(d), d, 0, d.length)).isFalse();
        assertThat(timeOf(file)).as("reused by put: freshened").isAfter(before);
        age(file, Duration.ofHours(2));
        assertThat(store.putStored(id(d), Compression.ZSTD.compress(d, 0, d.length))).isFalse();
        assertThat(timeOf(file)).as("reused by putStored").isAfter(before);
        age(file, Duration.ofHours(2));
        assertThat(store.freshen(id(d))).isTrue();
        assertThat(timeOf(file)).as("freshen").isAfter(before);
        // A chunk freshened a while ago (less than FRESH_FOR) is not written again.
        age(file, Duration.ofMinutes(5));
        Instant recent = timeOf(file);
        assertThat(store.put(id(d), d, 0, d.length)).isFalse();
        assertThat(timeOf(file)).isEqualTo(recent);
        assertThat(store.get(id(d))).isEqualTo(d);
    }

    @Test
    void pruneKeepsUnusedChunksYoungerThanTheGracePeriod() throws IOException {
        List<ChunkId> old = new ArrayList<>();
        List<ChunkId> young = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] d = TestData.random(200 + i, 300);
            store.put(id(d), d, 0, d.length);
            if (i % 2 == 0) {
                age(store.chunkPath(id(d)), Duration.ofHours(2));
                old.add(id(d));
            } else {
                young.add(id(d));
            }
        }
        Instant keepSince = Instant.now().minus(Duration.ofHours(1));
        List<String> removing = new ArrayList<>();
        List<String> keeping = new ArrayList<>();
        PrunableChunkStore.PruneListener told = new PrunableChunkStore.PruneListener() {
            @Override
            public void removing(String file) {
                removing.add(file);
            }

            @Override
            public void keepingYoung(String file) {
                keeping.add(file);
            }
        };
        PrunableChunkStore.PruneResult dry = store.prune(x -> false, keepSince, true, told);
        assertThat(dry).isEqualTo(new PrunableChunkStore.PruneResult(10, 0, 10, 10));
        assertThat(removing).hasSize(10).allMatch(f -> old.contains(ChunkId.parse(f.substring(0, 64))));
        assertThat(keeping).hasSize(10).allMatch(f -> young.contains(ChunkId.parse(f.substring(0, 64))));
        assertThat(allFiles(root)).hasSize(20);

        PrunableChunkStore.PruneResult real = store.prune(x -> false, keepSince, false, null);
        assertThat(real.removed()).isEqualTo(10);
        assertThat(real.young()).isEqualTo(10);
        for (ChunkId id : old) {
            assertThat(store.has(id)).isFalse();
        }
        for (ChunkId id : young) {
            assertThat(store.has(id)).isTrue();
        }
        // Without a grace period (null), age does not matter.
        assertThat(store.prune(x -> false, null, false, null).removed()).isEqualTo(10);
        assertThat(allFiles(root)).isEmpty();
    }

    @Test
    void pruneLeavesTheLockAndPackDirectoriesAlone() throws IOException {
        byte[] d = TestData.random(300, 300);
        store.put(id(d), d, 0, d.length);
        Files.createDirectories(root.resolve(LockDirectory.NAME));
        Files.createDirectories(root.resolve("packs"));
        Files.createDirectories(root.resolve("abcd"));
        PrunableChunkStore.PruneResult r = store.prune(x -> false, false, null);
        assertThat(r.removed()).isEqualTo(1);
        assertThat(r.directories()).as("the chunk's and the empty abcd").isEqualTo(2);
        assertThat(root.resolve(LockDirectory.NAME)).isDirectory();
        assertThat(root.resolve("packs")).isDirectory();
    }

    private static Set<String> union(Set<String> a, String b) {
        Set<String> s = new HashSet<>(a);
        s.add(b);
        return s;
    }

    @Test
    void storeDirectoryThatDoesNotExistIsAnErrorNotAMissingChunk() {
        ChunkId id = id(new byte[] {1});
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> store.get(id));
        assertThat(t).isInstanceOf(StoreException.class).isNotInstanceOf(ChunkMissingException.class)
                .hasMessageContaining(root.toString());
        assertThat(((StoreException) t).chunkId()).isEqualTo(id);
    }

    @Test
    void pruneOfMissingStoreFails() {
        assertThatThrownBy(() -> store.prune(x -> true, true, null)).isInstanceOf(IOException.class)
                .hasMessageContaining(root.toString());
    }

    @Test
    void putAfterPruneRemovedTheDirectory() throws IOException {
        byte[] d = TestData.random(77, 500);
        store.put(id(d), d, 0, d.length);
        store.prune(x -> false, false, null);
        assertThat(root.resolve(id(d).prefix())).doesNotExist();
        // The same store object must recreate the directory it created before.
        assertThat(store.put(id(d), d, 0, d.length)).isTrue();
        assertThat(store.get(id(d))).isEqualTo(d);
    }

    /** Replaces {@code file} with a FIFO that nobody writes to. */
    private static void fifo(Path file) throws Exception {
        Files.deleteIfExists(file);
        Process p = new ProcessBuilder("mkfifo", file.toString()).start();
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void aFifoWhereAChunkShouldBeIsRefusedWithoutBlocking() throws Exception {
        byte[] data = TestData.random(16, 5000);
        ChunkId id = id(data);
        store.put(id, data, 0, data.length);
        fifo(store.chunkPath(id));
        // Each read runs on its own thread so that a read that blocks fails the test instead of hanging it.
        java.util.concurrent.ExecutorService t = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (java.util.concurrent.Callable<?> read : List.<java.util.concurrent.Callable<?>>of(
                    () -> store.get(id), () -> store.getAll(List.of(id)), () -> store.getStored(id))) {
                java.util.concurrent.Future<?> f = t.submit(read);
                assertThatThrownBy(() -> f.get(60, java.util.concurrent.TimeUnit.SECONDS))
                        .hasCauseInstanceOf(ChunkInvalidException.class)
                        .hasMessageContaining(id.toHex()).hasMessageContaining("is a FIFO, not a regular file");
            }
            // The same for an uncompressed chunk file.
            byte[] raw = TestData.random(17, 3000);
            ChunkId rawId = id(raw);
            Path rawPath = root.resolve(rawId.prefix()).resolve(rawId.toHex());
            Files.createDirectories(rawPath.getParent());
            fifo(rawPath);
            java.util.concurrent.Future<?> f = t.submit(() -> store.get(rawId));
            assertThatThrownBy(() -> f.get(60, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ChunkInvalidException.class).hasMessageContaining("FIFO");
        } finally {
            t.shutdownNow();
        }
    }
}
