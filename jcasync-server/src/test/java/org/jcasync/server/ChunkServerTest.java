package org.jcasync.server;

import org.jcasync.store.CachedStore;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRouter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChunkServerTest extends ChunkServerFixture {
    /** How {@link #server} is reached. */
    Protocol serving;
    Http http;

    private void start(ChunkStore upstream, ServerOptions options) throws Exception {
        start(upstream, StoreOptions.DEFAULT, options);
    }

    private void start(ChunkStore upstream, StoreOptions storeOptions, ServerOptions options) throws Exception {
        serving = protocol();
        server = new ChunkServer(upstream, options.writable() ? store : null, storeOptions, serving.serve(options))
                .start();
        http = serving.client(server.uris().getFirst());
    }

    @Test
    void getAnswersTheStoredFrameAsItIs() throws Exception {
        TestChunks c = TestChunks.random(1, 100_000).putInto(store);
        start(store, ServerOptions.loopback());
        HttpResponse<byte[]> r = http.get(c.path());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(Files.readAllBytes(store.chunkPath(c.id())));
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(r.body().length);
        assertThat(server.uris().getFirst().toString()).matches(serving.scheme() + "://127\\.0\\.0\\.1:\\d+/");
    }

    @Test
    void headTellsWhetherAChunkExists() throws Exception {
        TestChunks c = TestChunks.random(2, 1000).putInto(store);
        start(store, ServerOptions.loopback());
        assertThat(http.head(c.path()).statusCode()).isEqualTo(200);
        assertThat(http.head(TestChunks.random(3, 1000).path()).statusCode()).isEqualTo(404);
    }

    @Test
    void missingChunkIs404() throws Exception {
        start(store, ServerOptions.loopback());
        TestChunks c = TestChunks.random(4, 1000);
        HttpResponse<byte[]> r = http.get(c.path());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(Http.text(r)).contains(c.id().toHex()).contains("not found");
    }

    @Test
    void anythingButAnExactChunkPathIs400() throws Exception {
        TestChunks c = TestChunks.random(5, 1000).putInto(store);
        start(store, ServerOptions.loopback());
        String hex = c.id().toHex();
        for (String bad : List.of("/" + hex.substring(0, 4) + "/" + hex, "/" + hex + ".cacnk",
                "/0000/" + hex + ".cacnk", "/" + hex.substring(0, 4).toUpperCase() + "/" + hex.toUpperCase()
                        + ".cacnk", "/" + hex.substring(0, 4) + "/" + hex.substring(1) + ".cacnk",
                "/" + hex.substring(0, 4) + "/" + hex + ".cacnk.tmp", "/x/" + hex.substring(0, 4) + "/" + hex
                        + ".cacnk", "/hello")) {
            HttpResponse<byte[]> r = http.get(bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(Http.text(r)).as(bad).contains("not a chunk path");
        }
        assertThat(http.get(c.path()).statusCode()).isEqualTo(200);
    }

    @Test
    void rootIsAHealthCheck() throws Exception {
        start(store, ServerOptions.loopback());
        HttpResponse<byte[]> r = http.get("/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Http.text(r)).isEqualTo("jcasync chunk-server\nbatch\n");
    }

    @Test
    void upstreamsAreTriedInOrderAndACacheKeepsWhatWasFetched() throws Exception {
        LocalStore second = new LocalStore(tmp.resolve("second.castr"), StoreOptions.DEFAULT);
        LocalStore cache = new LocalStore(tmp.resolve("cache.castr"), StoreOptions.DEFAULT);
        TestChunks a = TestChunks.random(6, 5000).putInto(store);
        TestChunks b = TestChunks.random(7, 5000).putInto(second);
        start(new CachedStore(cache, new StoreRouter(List.of(store, second))), ServerOptions.loopback());
        HttpResponse<byte[]> rb = http.get(b.path());
        assertThat(rb.statusCode()).isEqualTo(200);
        assertThat(rb.body()).isEqualTo(Files.readAllBytes(second.chunkPath(b.id())));
        assertThat(http.get(a.path()).statusCode()).isEqualTo(200);
        assertThat(cache.has(a.id())).isTrue();
        assertThat(cache.has(b.id())).isTrue();
        assertThat(http.get(TestChunks.random(8, 10).path()).statusCode()).isEqualTo(404);
    }

    @Test
    void concurrentGetsOfOneChunkShareOneUpstreamFetch() throws Exception {
        TestChunks c = TestChunks.random(9, 50_000).putInto(store);
        CountingStore counting = new CountingStore(store, 1500);
        start(counting, ServerOptions.loopback());
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<byte[]>>> all = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                all.add(clients.submit(() -> http.get(c.path())));
            }
            byte[] want = Files.readAllBytes(store.chunkPath(c.id()));
            for (Future<HttpResponse<byte[]>> f : all) {
                assertThat(f.get().statusCode()).isEqualTo(200);
                assertThat(f.get().body()).isEqualTo(want);
            }
        }
        assertThat(counting.fetches()).isEqualTo(1);
        // Once done, the next request fetches again (nothing is kept but loads in progress).
        assertThat(http.get(c.path()).statusCode()).isEqualTo(200);
        assertThat(counting.fetches()).isEqualTo(2);
    }

    @Test
    void putIsRefusedWhenNotWritable() throws Exception {
        start(store, ServerOptions.loopback());
        TestChunks c = TestChunks.random(10, 3000);
        HttpResponse<byte[]> r = http.put(c.path(), c.frame());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(Http.text(r)).contains("read-only").contains("-w");
        assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(store.has(c.id())).isFalse();
    }

    @Test
    void putStoresAVerifiedFrame() throws Exception {
        start(store, ServerOptions.loopback().withWritable(true));
        TestChunks c = TestChunks.random(11, 30_000);
        HttpResponse<byte[]> r = http.put(c.path(), c.frame());
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(Files.readAllBytes(store.chunkPath(c.id()))).isEqualTo(c.frame());
        assertThat(store.get(c.id())).isEqualTo(c.data());
        assertThat(http.put(c.path(), c.frame()).statusCode()).isEqualTo(200);
        assertThat(http.get(c.path()).body()).isEqualTo(c.frame());
    }

    @Test
    void putOfAnotherChunksBytesIs400AndNothingIsStored() throws Exception {
        start(store, ServerOptions.loopback().withWritable(true));
        TestChunks c = TestChunks.random(12, 3000);
        TestChunks other = TestChunks.random(13, 3000);
        HttpResponse<byte[]> r = http.put(c.path(), other.frame());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Http.text(r)).contains("its content is chunk " + other.id());
        HttpResponse<byte[]> raw = http.put(c.path(), c.data());
        assertThat(raw.statusCode()).isEqualTo(400);
        assertThat(Http.text(raw)).contains("not a compressed chunk");
        assertThat(store.has(c.id())).isFalse();
        assertThat(store.has(other.id())).isFalse();
        try (var files = Files.walk(store.root())) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void putLargerThanTheLimitIs413() throws Exception {
        start(store, StoreOptions.DEFAULT.with(StoreOptions.DEFAULT.digest(), 10_000),
                ServerOptions.loopback().withWritable(true));
        TestChunks big = TestChunks.random(14, 100_000);
        assertThat(http.put(big.path(), big.data()).statusCode()).isEqualTo(413);
        assertThat(store.has(big.id())).isFalse();
        TestChunks small = TestChunks.random(15, 5_000);
        assertThat(http.put(small.path(), small.frame()).statusCode()).isEqualTo(201);
    }

    @Test
    void authorizationIsRequiredOfEveryRequest() throws Exception {
        TestChunks c = TestChunks.random(16, 3000).putInto(store);
        start(store, ServerOptions.loopback().withAuthorization("Bearer s3cret"));
        assertThat(http.get(c.path()).statusCode()).isEqualTo(401);
        assertThat(http.get("/").statusCode()).isEqualTo(401);
        http.authorization = "Bearer s3cres";
        assertThat(http.get(c.path()).statusCode()).isEqualTo(401);
        http.authorization = "Bearer s3cret";
        assertThat(http.get(c.path()).statusCode()).isEqualTo(200);
        // Same connection, same value but for case: refused (Jetty's header cache must not mistake one for the other).
        http.authorization = "bearer s3cret";
        assertThat(http.get(c.path()).statusCode()).isEqualTo(401);
        http.authorization = "Bearer S3CRET";
        assertThat(http.get(c.path()).statusCode()).isEqualTo(401);
        http.authorization = "Bearer s3cret";
        HttpResponse<byte[]> r = http.get(c.path());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(Files.readAllBytes(store.chunkPath(c.id())));
    }

    @Test
    void refusedUploadsLeaveTheConnectionUsable() throws Exception {
        start(store, ServerOptions.loopback().withWritable(true).withAuthorization("k"));
        for (int i = 0; i < 5; i++) {
            TestChunks c = TestChunks.random(200 + i, 200_000);
            http.authorization = null;
            assertThat(http.put(c.path(), c.frame()).statusCode()).isEqualTo(401);
            http.authorization = "k";
            assertThat(http.put(c.path(), c.frame()).statusCode()).isEqualTo(201);
            assertThat(store.has(c.id())).isTrue();
        }
    }

    @Test
    void aThousandRequestsFrom200ClientsAllSucceed() throws Exception {
        List<TestChunks> chunks = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            chunks.add(TestChunks.random(100 + i, 20_000 + i * 1000).putInto(store));
        }
        start(store, ServerOptions.loopback().withLimits(ServerLimits.DEFAULT.withMaxRequests(16).withMaxConnections(256)));
        // Four HttpClients with 50 requests in flight each: over HTTP/2 each is one connection, and the JDK's client
        // fails the requests past the server's 128 concurrent streams instead of opening another connection.
        List<Http> https = List.of(http, serving.client(http.base), serving.client(http.base),
                serving.client(http.base));
        AtomicInteger ok = new AtomicInteger();
        long t0 = System.nanoTime();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int client = 0; client < 200; client++) {
                int k = client;
                all.add(clients.submit(() -> {
                    for (int i = 0; i < 5; i++) {
                        TestChunks c = chunks.get((k + i) % chunks.size());
                        HttpResponse<byte[]> r = https.get(k % https.size()).get(c.path());
                        if (r.statusCode() == 200 && r.body().length > 0) {
                            ok.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        assertThat(ok.get()).isEqualTo(1000);
        assertThat(System.nanoTime() - t0).isLessThan(30_000_000_000L);
        assertThat(http.get("/").statusCode()).isEqualTo(200);
    }

    @Test
    void eachRequestIsOneLogLine() throws Exception {
        TestChunks c = TestChunks.random(17, 3000).putInto(store);
        StringWriter log = new StringWriter();
        start(store, ServerOptions.loopback().withRequestLog(new RequestLogger(log, false)));
        http.get(c.path());
        http.get("/abc");
        http.head(c.path());
        server.close();
        // A request is logged when its reply ends, which (over HTTP/2) may be after the next one has started:
        // each line is checked, not their order.
        List<String> lines = log.toString().lines().toList();
        assertThat(lines).hasSize(3);
        int frame = Files.readAllBytes(store.chunkPath(c.id())).length;
        assertThat(lines).anySatisfy(l -> assertThat(l)
                .matches("\\S+Z 127\\.0\\.0\\.1 GET " + c.path() + " 200 " + frame + " \\d+ms"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("\\S+Z 127\\.0\\.0\\.1 GET /abc 400 \\d+ \\d+ms"));
        assertThat(lines).anySatisfy(l -> assertThat(l)
                .matches("\\S+Z 127\\.0\\.0\\.1 HEAD " + c.path() + " 200 0 \\d+ms"));
    }

    @Test
    void aPortInUseIsReportedWithTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ServerOptions o = ServerOptions.of(new ListenAddress("127.0.0.1", taken.getLocalPort()));
            ChunkServer s = new ChunkServer(store, null, StoreOptions.DEFAULT, o);
            assertThatThrownBy(s::start).isInstanceOf(IOException.class)
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ")
                    .hasMessageContaining("in use");
        }
    }
}
