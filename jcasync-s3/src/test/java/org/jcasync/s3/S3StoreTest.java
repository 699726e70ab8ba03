package org.jcasync.s3;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.PrunableChunkStore;
import org.jcasync.store.PrunableChunkStore.PruneResult;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransportOptions;
import org.jcasync.store.WritableChunkStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** S3Store and S3StoreProvider against a real S3 server (s3proxy) on 127.0.0.1. */
class S3StoreTest {
    private static S3TestServer server;
    private static final S3StoreProvider PROVIDER = new S3StoreProvider(S3TestServer.env());
    private static final TransportOptions FAST = new TransportOptions(Duration.ofSeconds(2), 8, 2,
            Duration.ofMillis(20), null, null, null, null, false, 0);

    @BeforeAll
    static void start() throws Exception {
        server = S3TestServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static ChunkId idOf(byte[] data) {
        return StoreOptions.DEFAULT.digest().digest(data, 0, data.length);
    }

    private static WritableChunkStore open(String location) throws IOException {
        return PROVIDER.openWritable(URI.create(location), StoreOptions.DEFAULT, FAST);
    }

    @Test
    void putGetHasAndGetAllRoundTrip() throws Exception {
        server.createBucket("roundtrip");
        List<byte[]> chunks = new ArrayList<>();
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            chunks.add(random(1000 + 517 * i, i));
            ids.add(idOf(chunks.get(i)));
        }
        try (WritableChunkStore store = open(server.url("roundtrip/store"))) {
            for (int i = 0; i < chunks.size(); i++) {
                assertThat(store.put(ids.get(i), chunks.get(i), 0, chunks.get(i).length)).isTrue();
            }
            assertThat(store.put(ids.get(0), chunks.get(0), 0, chunks.get(0).length)).isFalse();
            assertThat(store.has(ids.get(3))).isTrue();
            assertThat(store.get(ids.get(5))).isEqualTo(chunks.get(5));

            List<ChunkId> want = new ArrayList<>(ids);
            ChunkId absent = idOf(random(77, 999));
            want.add(absent);
            Map<ChunkId, byte[]> frames = new HashMap<>();
            byte[][] got = store.getAll(want, (id, data, stored) -> frames.put(id, stored));
            for (int i = 0; i < chunks.size(); i++) {
                assertThat(got[i]).isEqualTo(chunks.get(i));
                assertThat(Compression.decompress(frames.get(ids.get(i)), frames.get(ids.get(i)).length, 1 << 20))
                        .isEqualTo(chunks.get(i));
            }
            assertThat(got[chunks.size()]).isNull();
            assertThat(frames).hasSize(chunks.size());
            StoreStats s = store.stats().getFirst();
            assertThat(s.chunks()).isEqualTo(chunks.size() + 1);
            assertThat(s.errors()).isZero();
            assertThat(s.bytes()).isPositive();
        }
        String hex = ids.getFirst().toHex();
        assertThat(server.keys("roundtrip", "store/"))
                .hasSize(chunks.size())
                .contains("store/" + hex.substring(0, 4) + "/" + hex + ".cacnk");
        // The stored object is the compressed frame of the chunk, as casync keeps it.
        byte[] frame = server.object("roundtrip", "store/" + hex.substring(0, 4) + "/" + hex + ".cacnk");
        assertThat(Compression.decompress(frame, frame.length, 1 << 20)).isEqualTo(chunks.getFirst());
    }

    @Test
    void putStoredKeepsTheFrameAsGiven() throws Exception {
        server.createBucket("stored");
        byte[] data = random(5000, 7);
        ChunkId id = idOf(data);
        byte[] frame = Compression.ZSTD.compress(data, 0, data.length);
        try (WritableChunkStore store = open(server.url("stored"))) {
            assertThat(store.putStored(id, frame)).isTrue();
            assertThat(store.putStored(id, frame)).isFalse();
            assertThat(store.getStored(id)).isEqualTo(frame);
            assertThat(store.get(id)).isEqualTo(data);
        }
        assertThat(server.keys("stored", "")).containsExactly(id.prefix() + "/" + id.toHex() + ".cacnk");
    }

    @Test
    void missingChunkIsMissingAndNotRetried() throws Exception {
        server.createBucket("missing");
        ChunkId id = idOf(random(100, 1));
        try (ChunkStore store = open(server.url("missing/s"))) {
            assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkMissingException.class)
                    .hasMessageContaining(id.toHex());
            assertThat(store.has(id)).isFalse();
            assertThat(store.getAll(List.of(id))[0]).isNull();
            StoreStats s = store.stats().getFirst();
            assertThat(s.retries()).isZero();
            assertThat(s.errors()).isZero();
            assertThat(s.requests()).isEqualTo(3);
        }
    }

    @Test
    void corruptObjectIsNeverReturned() throws Exception {
        server.createBucket("corrupt");
        byte[] real = random(4000, 2);
        byte[] other = random(4000, 3);
        ChunkId id = idOf(real);
        byte[] otherFrame = Compression.ZSTD.compress(other, 0, other.length);
        String key = "s/" + id.prefix() + "/" + id.toHex() + ".cacnk";
        server.putObject("corrupt", key, otherFrame);
        try (ChunkStore store = open(server.url("corrupt/s"))) {
            assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                    .hasMessageContaining(id.toHex()).hasMessageContaining(server.url("corrupt/s"));
            assertThatThrownBy(() -> store.getAll(List.of(id, idOf(other))))
                    .isInstanceOf(ChunkInvalidException.class).hasMessageContaining(id.toHex());
        }
        server.putObject("corrupt", key, new byte[] {1, 2, 3, 4, 5});
        try (ChunkStore store = open(server.url("corrupt/s"))) {
            assertThatThrownBy(() -> store.get(id)).isInstanceOf(ChunkInvalidException.class)
                    .hasMessageContaining("unknown compression");
        }
    }

    @Test
    void pruneDryRunCountsAndRealRunDeletesInBatches() throws Exception {
        server.createBucket("prune");
        int n = 1200;
        Set<ChunkId> keep = new HashSet<>();
        List<ChunkId> all = new ArrayList<>();
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] d = ("chunk number " + i).getBytes();
            all.add(idOf(d));
            frames.add(Compression.ZSTD.compress(d, 0, d.length));
            if (i % 7 == 0) {
                keep.add(all.get(i));
            }
        }
        try (WritableChunkStore store = open(server.url("prune/st"));
             var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<Boolean>> puts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int at = i;
                puts.add(pool.submit(() -> store.putStored(all.get(at), frames.get(at))));
            }
            for (var f : puts) {
                assertThat(f.get()).isTrue();
            }
        }
        // Objects that are not chunks of this store stay whatever the prune decides.
        server.putObject("prune", "st/index.caibx", new byte[] {1});
        server.putObject("prune", "other/" + all.get(1).prefix() + "/" + all.get(1).toHex() + ".cacnk",
                new byte[] {1});

        PrunableChunkStore store = (PrunableChunkStore) open(server.url("prune/st"));
        List<String> told = new ArrayList<>();
        PruneResult dry = store.prune(keep::contains, true, told::add);
        assertThat(dry.removed()).isEqualTo(n - keep.size());
        assertThat(dry.remaining()).isEqualTo(keep.size());
        assertThat(told).hasSize(n - keep.size()).contains(all.get(1).toHex() + ".cacnk");
        assertThat(server.keys("prune", "st/")).hasSize(n + 1);

        long before = store.stats().getFirst().requests();
        PruneResult real = store.prune(keep::contains, false, null);
        long requests = store.stats().getFirst().requests() - before;
        store.close();
        assertThat(real.removed()).isEqualTo(n - keep.size());
        assertThat(real.remaining()).isEqualTo(keep.size());
        List<String> expected = new ArrayList<>();
        for (ChunkId id : keep) {
            expected.add("st/" + id.prefix() + "/" + id.toHex() + ".cacnk");
        }
        expected.add("st/index.caibx");
        assertThat(server.keys("prune", "st/")).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(server.keys("prune", "other/")).hasSize(1);
        // 2 list pages (1000 keys each) and DeleteObjects requests of up to 1000 keys (at least one a second, so
        // that what was listed is not left long), not one DELETE per object.
        assertThat(requests).isBetween(2L + 2, 20L);
    }

    /**
     * On a server keeping objects on disk, where objects can be made old: a writer that reuses an old chunk copies it
     * onto itself (S3's only way to change an object's time), so that gc's grace period covers it; gc keeps unused
     * chunks younger than its grace period, by the times its listing gives.
     */
    @Test
    void writersFreshenOldChunksAndGcKeepsYoungOnes(@TempDir Path disk) throws Exception {
        try (S3TestServer s3 = S3TestServer.startOnDisk(disk)) {
            s3.createBucket("fresh");
            S3StoreProvider provider = new S3StoreProvider(S3TestServer.env());
            List<ChunkId> ids = new ArrayList<>();
            try (PrunableChunkStore store = (PrunableChunkStore) provider.openWritable(
                    URI.create(s3.url("fresh/st")), StoreOptions.DEFAULT, FAST)) {
                for (int i = 0; i < 10; i++) {
                    byte[] d = random(2000 + i, 40 + i);
                    ids.add(idOf(d));
                    assertThat(store.put(idOf(d), d, 0, d.length)).isTrue();
                    s3.age("fresh", key(idOf(d)), Duration.ofHours(3));
                }
                assertThat(store.freshen(idOf(new byte[] {9}))).isFalse();
                Instant before = Instant.now().minusSeconds(60);
                // put (of a chunk found there) and freshen both copy an old chunk onto itself.
                byte[] d0 = random(2000, 40);
                assertThat(store.put(ids.get(0), d0, 0, d0.length)).isFalse();
                assertThat(store.freshen(ids.get(1))).isTrue();
                assertThat(s3.lastModified("fresh", key(ids.get(0)))).isAfter(before);
                assertThat(s3.lastModified("fresh", key(ids.get(1)))).isAfter(before);
                assertThat(s3.lastModified("fresh", key(ids.get(2)))).isBefore(before);
                assertThat(store.get(ids.get(0))).isEqualTo(d0);
                // A young chunk is not copied again.
                Instant t = s3.lastModified("fresh", key(ids.get(1)));
                assertThat(store.freshen(ids.get(1))).isTrue();
                assertThat(s3.lastModified("fresh", key(ids.get(1)))).isEqualTo(t);

                List<String> young = new ArrayList<>();
                PruneResult r = store.prune(x -> false, Instant.now().minus(Duration.ofHours(1)), false,
                        new PrunableChunkStore.PruneListener() {
                            @Override
                            public void removing(String file) {
                            }

                            @Override
                            public void keepingYoung(String file) {
                                young.add(file);
                            }
                        });
                assertThat(r.removed()).isEqualTo(8);
                assertThat(r.young()).isEqualTo(2);
                assertThat(young).containsExactlyInAnyOrder(ids.get(0).toHex() + ".cacnk",
                        ids.get(1).toHex() + ".cacnk");
                assertThat(s3.keys("fresh", "st/")).containsExactlyInAnyOrder(key(ids.get(0)), key(ids.get(1)));
            }
        }
    }

    private static String key(ChunkId id) {
        return "st/" + id.prefix() + "/" + id.toHex() + ".cacnk";
    }

    @Test
    void indexFilesAreWrittenAndReadByKey() throws Exception {
        server.createBucket("files");
        byte[] content = random(3000, 5);
        String loc = server.url("files/idx/x.caibx");
        PROVIDER.writeFile(URI.create(loc), content, FAST);
        assertThat(server.keys("files", "")).containsExactly("idx/x.caibx");
        assertThat(PROVIDER.readFile(URI.create(loc), FAST)).isEqualTo(content);
        assertThatThrownBy(() -> PROVIDER.readFile(URI.create(server.url("files/idx/none.caibx")), FAST))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("none.caibx");
        assertThatThrownBy(() -> PROVIDER.readFile(URI.create(server.url("files")), FAST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names a bucket");
    }

    @Test
    void registryFindsTheProviderByScheme() throws Exception {
        StoreRegistry registry = StoreRegistry.standard();
        assertThat(registry.schemes()).contains("s3+http", "s3+https");
    }

    @Test
    void wrongCredentialsFailAtOnceWithAClearMessage() throws Exception {
        server.createBucket("creds");
        S3StoreProvider wrong = new S3StoreProvider(Map.of("S3_ACCESS_KEY", S3TestServer.ACCESS_KEY,
                "S3_SECRET_KEY", "not-the-secret"));
        ChunkId id = idOf(random(10, 4));
        try (ChunkStore store = wrong.open(URI.create(server.url("creds/s")), StoreOptions.DEFAULT, FAST)) {
            assertThatThrownBy(() -> store.get(id)).isInstanceOf(StoreException.class)
                    .isNotInstanceOf(ChunkMissingException.class)
                    .hasMessageContaining("SignatureDoesNotMatch").hasMessageContaining("S3_SECRET_KEY")
                    .hasMessageContaining(server.url("creds/s"))
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThat(store.stats().getFirst().retries()).isZero();
        }
    }

    @Test
    void missingBucketIsAnErrorNotAMissingChunk() throws Exception {
        ChunkId id = idOf(random(10, 6));
        try (ChunkStore store = open(server.url("no-such-bucket/s"))) {
            assertThatThrownBy(() -> store.get(id)).isInstanceOf(StoreException.class)
                    .isNotInstanceOf(ChunkMissingException.class).hasMessageContaining("NoSuchBucket");
        }
    }

    @Test
    void unreachableEndpointFailsAfterTheRetries() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ChunkId id = idOf(random(10, 8));
        long start = System.nanoTime();
        try (ChunkStore store = open("s3+http://127.0.0.1:" + port + "/bucket/s")) {
            assertThatThrownBy(() -> store.get(id)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("127.0.0.1:" + port).hasMessageContaining("gave up after 2 retries")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            StoreStats s = store.stats().getFirst();
            assertThat(s.requests()).isEqualTo(3);
            assertThat(s.retries()).isEqualTo(2);
            assertThat(s.errors()).isEqualTo(1);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
}
