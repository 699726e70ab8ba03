package org.jcasync.http;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link HttpStore} against a real Jetty server serving a store made by {@link LocalStore}, with faults. */
class HttpStoreTest {
    /** Quick retries and timeouts for tests. */
    static final TransportOptions FAST = new TransportOptions(Duration.ofMillis(1500), 64, 3, Duration.ofMillis(10),
            null, null, null, null, false, 0);

    @TempDir
    Path dir;
    StaticWebServer server;
    final List<ChunkId> ids = new ArrayList<>();
    final Map<ChunkId, byte[]> chunks = new HashMap<>();
    LocalStore local;

    @BeforeEach
    void serve() throws Exception {
        local = new LocalStore(dir.resolve("store"), StoreOptions.DEFAULT);
        Random r = new Random(42);
        for (int i = 0; i < 40; i++) {
            byte[] d = new byte[1000 + r.nextInt(60_000)];
            r.nextBytes(d);
            if (i % 2 == 0) {
                // Compressible too.
                java.util.Arrays.fill(d, 0, d.length / 2, (byte) 'a');
            }
            ChunkId id = id(d);
            local.put(id, d, 0, d.length);
            ids.add(id);
            chunks.put(id, d);
        }
        server = StaticWebServer.start(dir);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    static ChunkId id(byte[] d) {
        return ChunkId.of(DigestAlgorithm.SHA512_256.digestBytes(d, 0, d.length));
    }

    static String path(ChunkId id) {
        return id.toHex().substring(0, 4) + "/" + id.toHex() + ".cacnk";
    }

    HttpStore open(TransportOptions t) throws IOException {
        return new HttpStore(URI.create(server.url("store")), StoreOptions.DEFAULT, t);
    }

    @Test
    void readsAndVerifiesABatch() throws Exception {
        try (HttpStore s = open(FAST)) {
            byte[][] got = s.getAll(ids);
            for (int i = 0; i < ids.size(); i++) {
                assertThat(got[i]).isEqualTo(chunks.get(ids.get(i)));
            }
            long stored = 0;
            for (ChunkId id : ids) {
                stored += Files.size(local.chunkPath(id));
            }
            StoreStats st = s.stats().getFirst();
            assertThat(st.location()).isEqualTo(server.url("store/"));
            assertThat(st.chunks()).isEqualTo(ids.size());
            assertThat(st.bytes()).isEqualTo(stored);
            // One GET per chunk, after one batch request the static server does not know (404).
            assertThat(st.requests()).isEqualTo(ids.size() + 1);
            assertThat(server.log()).filteredOn(l -> l.startsWith("POST")).containsExactly("POST /store/batch");
            assertThat(st.retries()).isZero();
            assertThat(st.errors()).isZero();
            assertThat(s.get(ids.getFirst())).isEqualTo(chunks.get(ids.getFirst()));
            assertThat(s.has(ids.get(3))).isTrue();
            // Remembered: later batches go straight to GETs.
            s.getAll(ids.subList(0, 4));
            assertThat(server.log()).filteredOn(l -> l.startsWith("POST")).hasSize(1);
        }
    }

    @Test
    void listenerGetsTheDownloadedFrames() throws Exception {
        try (HttpStore s = open(FAST)) {
            Map<ChunkId, byte[]> frames = new HashMap<>();
            s.getAll(ids.subList(0, 5), (id, data, stored) -> {
                assertThat(data).isEqualTo(chunks.get(id));
                frames.put(id, stored);
            });
            assertThat(frames).hasSize(5);
            for (ChunkId id : ids.subList(0, 5)) {
                assertThat(frames.get(id)).isEqualTo(Files.readAllBytes(local.chunkPath(id)));
            }
            assertThat(s.getStored(ids.get(7))).isEqualTo(Files.readAllBytes(local.chunkPath(ids.get(7))));
        }
    }

    @Test
    void missingChunkIsNullAndAskedForOnce() throws Exception {
        ChunkId absent = id("not in the store".getBytes(StandardCharsets.UTF_8));
        try (HttpStore s = open(FAST)) {
            byte[][] got = s.getAll(List.of(ids.get(0), absent, ids.get(1)));
            assertThat(got[0]).isEqualTo(chunks.get(ids.get(0)));
            assertThat(got[1]).isNull();
            assertThat(got[2]).isEqualTo(chunks.get(ids.get(1)));
            assertThat(server.requests(path(absent))).isEqualTo(1);
            assertThatThrownBy(() -> s.get(absent)).isInstanceOf(ChunkMissingException.class)
                    .hasMessageContaining(absent.toString());
            assertThat(s.has(absent)).isFalse();
            assertThat(s.stats().getFirst().retries()).isZero();
            assertThat(s.stats().getFirst().errors()).isZero();
        }
    }

    @Test
    void goneIsMissingToo() throws Exception {
        server.fault(path(ids.get(2)), StaticWebServer.status(410));
        try (HttpStore s = open(FAST)) {
            assertThat(s.getAll(List.of(ids.get(2)))[0]).isNull();
        }
    }

    @Test
    void serverErrorsAreRetried() throws Exception {
        ChunkId id = ids.get(4);
        server.fault(path(id), StaticWebServer.status(500), StaticWebServer.status(503));
        try (HttpStore s = open(FAST)) {
            assertThat(s.get(id)).isEqualTo(chunks.get(id));
            assertThat(server.requests(path(id))).isEqualTo(3);
            assertThat(s.stats().getFirst().retries()).isEqualTo(2);
            assertThat(s.stats().getFirst().requests()).isEqualTo(3);
        }
    }

    @Test
    void persistentErrorEndsInOneLineAfterTheRetries() throws Exception {
        ChunkId id = ids.get(5);
        for (int i = 0; i < 10; i++) {
            server.fault(path(id), StaticWebServer.status(503));
        }
        try (HttpStore s = open(FAST)) {
            assertThatThrownBy(() -> s.getAll(List.of(ids.get(0), id))).isInstanceOf(StoreException.class)
                    .hasMessage("chunk " + id + " from " + server.url("store/") + ": HTTP 503 (status 503) after 4 attempts");
            assertThat(server.requests(path(id))).isEqualTo(4);
            assertThat(s.stats().getFirst().errors()).isEqualTo(1);
        }
    }

    @Test
    void otherClientErrorsAreNotRetried() throws Exception {
        ChunkId id = ids.get(6);
        server.fault(path(id), StaticWebServer.status(403));
        try (HttpStore s = open(FAST)) {
            assertThatThrownBy(() -> s.get(id)).isInstanceOf(StoreException.class)
                    .hasMessageStartingWith("chunk " + id + " from " + server.url("store/") + ": HTTP 403");
            assertThat(server.requests(path(id))).isEqualTo(1);
        }
    }

    @Test
    void connectionResetMidBodyIsRetried() throws Exception {
        ChunkId id = ids.get(8);
        server.fault(path(id), StaticWebServer.resetMidBody());
        try (HttpStore s = open(FAST)) {
            assertThat(s.get(id)).isEqualTo(chunks.get(id));
            assertThat(server.requests(path(id))).isEqualTo(2);
            assertThat(s.stats().getFirst().retries()).isEqualTo(1);
        }
    }

    @Test
    void truncatedBodyIsRetried() throws Exception {
        ChunkId id = ids.get(9);
        server.fault(path(id), StaticWebServer.truncated(), StaticWebServer.truncated());
        try (HttpStore s = open(FAST)) {
            assertThat(s.get(id)).isEqualTo(chunks.get(id));
            assertThat(server.requests(path(id))).isEqualTo(3);
        }
    }

    @Test
    void stallBeforeTheReplyTimesOutAndIsRetried() throws Exception {
        ChunkId id = ids.get(10);
        server.fault(path(id), StaticWebServer.stall(4000));
        try (HttpStore s = open(FAST)) {
            long t0 = System.nanoTime();
            assertThat(s.get(id)).isEqualTo(chunks.get(id));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(3900));
            assertThat(s.stats().getFirst().retries()).isEqualTo(1);
        }
    }

    @Test
    void stallInTheMiddleOfTheBodyTimesOutAndIsRetried() throws Exception {
        ChunkId id = ids.get(11);
        server.fault(path(id), StaticWebServer.stallMidBody(5000));
        try (HttpStore s = open(FAST)) {
            long t0 = System.nanoTime();
            assertThat(s.get(id)).isEqualTo(chunks.get(id));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(4900));
            assertThat(s.stats().getFirst().retries()).isEqualTo(1);
        }
    }

    @Test
    void endlessStallsEndInATimeoutError() throws Exception {
        ChunkId id = ids.get(12);
        server.fault(path(id), StaticWebServer.stall(3000), StaticWebServer.stall(3000));
        TransportOptions once = new TransportOptions(Duration.ofMillis(1000), 8, 1, Duration.ofMillis(10), null, null,
                null, null, false, 0);
        try (HttpStore s = open(once)) {
            assertThatThrownBy(() -> s.get(id)).isInstanceOf(StoreException.class)
                    .hasMessage("chunk " + id + " from " + server.url("store/")
                            + ": no reply within 1 s after 2 attempts");
        }
    }

    @Test
    void otherDataIsRejectedAndNeverReturned() throws Exception {
        ChunkId id = ids.get(13);
        byte[] other = "some other chunk".getBytes(StandardCharsets.UTF_8);
        server.fault(path(id), StaticWebServer.serve(Compression.ZSTD.compress(other, 0, other.length)));
        try (HttpStore s = open(FAST)) {
            assertThatThrownBy(() -> s.getAll(List.of(ids.get(0), id))).isInstanceOf(ChunkInvalidException.class)
                    .hasMessageContaining(id.toString())
                    .hasMessageContaining(server.url("store/" + path(id)))
                    .hasMessageContaining("has digest " + id(other));
            // A valid frame of other data is not a transfer fault: not retried.
            assertThat(server.requests(path(id))).isEqualTo(1);
        }
    }

    @Test
    void undecodableBodyIsRetriedThenInvalid() throws Exception {
        ChunkId id = ids.get(14);
        byte[] garbage = "<html>proxy error</html>".getBytes(StandardCharsets.UTF_8);
        server.fault(path(id), StaticWebServer.serve(garbage));
        try (HttpStore s = open(FAST)) {
            assertThat(s.get(id)).isEqualTo(chunks.get(id));
            assertThat(s.stats().getFirst().retries()).isEqualTo(1);
            for (int i = 0; i < 5; i++) {
                server.fault(path(id), StaticWebServer.serve(garbage));
            }
            assertThatThrownBy(() -> s.get(id)).isInstanceOf(ChunkInvalidException.class)
                    .hasMessageContaining("unknown compression").hasMessageContaining("4 attempts");
        }
    }

    @Test
    void tooManyRequestsBacksOffAsTold() throws Exception {
        ChunkId id = ids.get(15);
        server.fault(path(id), StaticWebServer.tooManyRequests(1));
        try (HttpStore s = open(FAST)) {
            long t0 = System.nanoTime();
            assertThat(s.get(id)).isEqualTo(chunks.get(id));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
            assertThat(server.requests(path(id))).isEqualTo(2);
        }
    }

    @Test
    void bodyLargerThanAnyChunkIsRefused() throws Exception {
        ChunkId id = ids.get(16);
        StoreOptions small = StoreOptions.DEFAULT.with(DigestAlgorithm.SHA512_256, 64 * 1024);
        server.fault(path(id), StaticWebServer.serve(new byte[(int) HttpStore.maxCompressedSize(64 * 1024) + 1]));
        try (HttpStore s = new HttpStore(URI.create(server.url("store")), small, FAST)) {
            assertThatThrownBy(() -> s.get(id)).isInstanceOf(StoreException.class)
                    .hasMessageContaining(id.toString()).hasMessageContaining("more than the");
            assertThat(server.requests(path(id))).isEqualTo(1);
        }
    }

    @Test
    void authorizationHeader() throws Exception {
        server.requireAuthorization("Bearer s3cret");
        try (HttpStore s = open(FAST)) {
            assertThatThrownBy(() -> s.get(ids.getFirst())).hasMessageContaining("HTTP 401");
        }
        TransportOptions auth = new TransportOptions(FAST.timeout(), 8, 3, FAST.retryDelay(), "Bearer s3cret", null,
                null, null, false, 0);
        try (HttpStore s = open(auth)) {
            assertThat(s.get(ids.getFirst())).isEqualTo(chunks.get(ids.getFirst()));
        }
    }

    @Test
    void basicAuthenticationFromTheUrl() throws Exception {
        server.requireAuthorization("Basic " + Base64.getEncoder().encodeToString(
                "reader:p@ss word".getBytes(StandardCharsets.UTF_8)));
        String good = "http://reader:p%40ss%20word@127.0.0.1:" + server.port() + "/store";
        try (HttpStore s = new HttpStore(URI.create(good), StoreOptions.DEFAULT, FAST)) {
            assertThat(s.get(ids.getFirst())).isEqualTo(chunks.get(ids.getFirst()));
            assertThat(s.location()).isEqualTo("http://reader@127.0.0.1:" + server.port() + "/store/");
        }
        String bad = "http://reader:wrongpw@127.0.0.1:" + server.port() + "/store";
        try (HttpStore s = new HttpStore(URI.create(bad), StoreOptions.DEFAULT, FAST)) {
            assertThatThrownBy(() -> s.get(ids.getFirst())).hasMessageContaining("HTTP 401")
                    .message().doesNotContain("wrongpw");
        }
    }

    @Test
    void uploadsWithPut() throws Exception {
        byte[] d = "a new chunk, uploaded".repeat(100).getBytes(StandardCharsets.UTF_8);
        ChunkId id = id(d);
        try (HttpStore s = new HttpStore(URI.create(server.url("up")), StoreOptions.DEFAULT, FAST)) {
            assertThat(s.has(id)).isFalse();
            assertThat(s.put(id, d, 0, d.length)).isTrue();
            assertThat(s.has(id)).isTrue();
            assertThat(s.get(id)).isEqualTo(d);
            // Already there: nothing is uploaded.
            assertThat(s.put(id, d, 0, d.length)).isFalse();
        }
        assertThat(server.log()).filteredOn(l -> l.startsWith("PUT")).containsExactly("PUT /up/" + path(id));
        assertThat(new LocalStore(dir.resolve("up"), StoreOptions.DEFAULT).get(id)).isEqualTo(d);
    }

    @Test
    void manyRequestsInFlightFromSeveralThreads() throws Exception {
        // Long enough that requests overlap at the server even on a slow, busy CI machine.
        server.delay(200);
        try (HttpStore s = open(FAST); ExecutorService pool = Executors.newFixedThreadPool(3)) {
            List<Future<byte[][]>> fs = new ArrayList<>();
            for (int i = 0; i < ids.size(); i += 8) {
                List<ChunkId> batch = ids.subList(i, Math.min(ids.size(), i + 8));
                fs.add(pool.submit(() -> s.getAll(batch)));
            }
            for (int k = 0; k < fs.size(); k++) {
                byte[][] got = fs.get(k).get();
                for (int j = 0; j < got.length; j++) {
                    assertThat(got[j]).isEqualTo(chunks.get(ids.get(k * 8 + j)));
                }
            }
            assertThat(server.mostAtOnce()).isGreaterThan(8);
            assertThat(s.limit().limit()).isGreaterThan(AdaptiveLimit.INITIAL);
        }
    }

    @Test
    void concurrencyNeverExceedsTheMaximum() throws Exception {
        server.delay(50);
        TransportOptions two = new TransportOptions(FAST.timeout(), 2, 3, FAST.retryDelay(), null, null, null, null,
                false, 0);
        try (HttpStore s = open(two)) {
            s.getAll(ids);
            assertThat(server.mostAtOnce()).isEqualTo(2);
        }
    }

    @Test
    void rateLimit() throws Exception {
        // 1.5 MB of incompressible chunks at 1 MB/s.
        Random r = new Random(7);
        List<ChunkId> big = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < 6; i++) {
            byte[] d = new byte[250_000];
            r.nextBytes(d);
            ChunkId id = id(d);
            local.put(id, d, 0, d.length);
            big.add(id);
            total += Files.size(local.chunkPath(id));
        }
        long rate = 1_000_000;
        TransportOptions limited = new TransportOptions(Duration.ofSeconds(10), 64, 3, FAST.retryDelay(), null, null,
                null, null, false, rate);
        try (HttpStore s = open(limited)) {
            long t0 = System.nanoTime();
            s.getAll(big);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double expected = (double) total / rate;
            assertThat(seconds).isGreaterThanOrEqualTo(expected * 0.8).isLessThan(expected * 4 + 2);
        }
    }

    @Test
    void proxyFromTheEnvironment() throws Exception {
        // The server answers as a forward proxy would for plain http: the request names the real URL.
        Map<String, String> env = Map.of("http_proxy", "http://127.0.0.1:" + server.port());
        try (HttpStore s = new HttpStore(URI.create("http://chunks.invalid/store"), StoreOptions.DEFAULT, FAST,
                env)) {
            assertThat(s.get(ids.getFirst())).isEqualTo(chunks.get(ids.getFirst()));
        }
        assertThat(server.log()).contains("GET /store/" + path(ids.getFirst()));
    }

    @Test
    void unreachableServerIsNamed() throws Exception {
        int port;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = ss.getLocalPort();
        }
        TransportOptions once = new TransportOptions(FAST.timeout(), 8, 1, FAST.retryDelay(), null, null, null, null,
                false, 0);
        try (HttpStore s = new HttpStore(URI.create("http://127.0.0.1:" + port + "/s"), StoreOptions.DEFAULT, once)) {
            assertThatThrownBy(() -> s.get(ids.getFirst())).isInstanceOf(StoreException.class)
                    .hasMessageStartingWith("chunk " + ids.getFirst() + " from http://127.0.0.1:" + port
                            + "/s/: cannot connect").hasMessageEndingWith("after 2 attempts");
        }
    }

    @Test
    void providerReadsAndWritesIndexFilesAndIsRegistered() throws Exception {
        byte[] index = new byte[300_000];
        new Random(3).nextBytes(index);
        Files.write(dir.resolve("x.caibx"), index);
        StoreRegistry reg = StoreRegistry.standard();
        assertThat(reg.schemes()).contains("http", "https");
        assertThat(reg.readFile(server.url("x.caibx"), FAST)).isEqualTo(index);
        assertThatThrownBy(() -> reg.readFile(server.url("nope.caibx"), FAST))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("no such index");
        reg.writeFile(server.url("copy.caibx"), index, FAST);
        assertThat(Files.readAllBytes(dir.resolve("copy.caibx"))).isEqualTo(index);
        try (ChunkStore s = reg.open(server.url("store"), StoreOptions.DEFAULT, FAST)) {
            assertThat(s).isInstanceOf(HttpStore.class);
            assertThat(s.get(ids.get(1))).isEqualTo(chunks.get(ids.get(1)));
        }
    }
}
