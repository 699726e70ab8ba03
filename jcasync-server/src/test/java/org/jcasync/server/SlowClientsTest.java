package org.jcasync.server;

import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile clients that send a request header and then nothing (or trickle it), hundreds at once, while honest
 * clients read chunks: every honest GET is answered, requests that cannot succeed are refused from their header
 * alone, and slow clients are cut off after the documented bounds. No timing is asserted: a starved server would
 * leave the probes waiting until their generous timeout.
 */
class SlowClientsTest extends ChunkServerFixture {
    /** A probe that waits this long has been starved (an answered GET takes milliseconds). */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(20);

    private final List<AutoCloseable> hostile = new CopyOnWriteArrayList<>();
    private ExecutorService trickling;

    @AfterEach
    void hangUp() throws Exception {
        if (trickling != null) {
            trickling.shutdownNow();
        }
        for (AutoCloseable c : hostile) {
            c.close();
        }
    }

    private URI start(ServerOptions options) throws IOException {
        server = new ChunkServer(store, options.writable() ? store : null, StoreOptions.DEFAULT, options).start();
        return server.uris().getFirst();
    }

    private List<TestChunks> chunks() throws IOException {
        List<TestChunks> chunks = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            chunks.add(TestChunks.random(300 + i, 20_000 + 5_000 * i).putInto(store));
        }
        return chunks;
    }

    /** Opens {@code count} connections that each send {@code header} and then nothing. */
    private List<RawConnection> silentAfter(URI base, int count, String header) throws IOException {
        List<RawConnection> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RawConnection c = new RawConnection(base, 30_000).send(header);
            hostile.add(c);
            out.add(c);
        }
        return out;
    }

    /** Opens {@code count} connections that send a request header one byte per half second (slowloris). */
    private void slowloris(URI base, int count) throws IOException {
        if (trickling == null) {
            trickling = Executors.newVirtualThreadPerTaskExecutor();
        }
        String header = RawConnection.request("GET", "/", "X-Padding: " + "a".repeat(2000) + "\r\n");
        for (int i = 0; i < count; i++) {
            RawConnection c = new RawConnection(base, 30_000);
            hostile.add(c);
            trickling.submit(() -> {
                for (int at = 0; at < header.length(); at++) {
                    c.send(header.substring(at, at + 1));
                    Thread.sleep(500);
                }
                return null;
            });
        }
    }

    /** A chunk path no request can store: the header of an upload that never comes. */
    private static String upload(String moreHeaders) {
        return RawConnection.request("PUT", TestChunks.random(999, 100).path(), "Content-Length: 1000000\r\n"
                + moreHeaders);
    }

    /** GETs each chunk a few times, one after the other, on fresh connections: each must answer the stored frame. */
    private void probesAreAnswered(Protocol protocol, URI base, List<TestChunks> chunks, String authorization)
            throws Exception {
        HttpClient.Builder b = HttpClient.newBuilder().version(protocol.version()).connectTimeout(PROBE_TIMEOUT);
        if (protocol.trust() != null) {
            b.sslContext(protocol.trust());
        }
        try (HttpClient client = b.build()) {
            for (int round = 0; round < 3; round++) {
                for (TestChunks c : chunks) {
                    HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(c.path())).timeout(PROBE_TIMEOUT);
                    if (authorization != null) {
                        r.header("Authorization", authorization);
                    }
                    HttpResponse<byte[]> got = client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(got.statusCode()).isEqualTo(200);
                    assertThat(got.body()).isEqualTo(Files.readAllBytes(store.chunkPath(c.id())));
                }
            }
        }
    }

    @Test
    void uploadsToAReadOnlyServerAreRefusedFromTheirHeaderWhileGetsGoOn() throws Exception {
        List<TestChunks> chunks = chunks();
        URI base = start(ServerOptions.loopback());
        List<RawConnection> puts = silentAfter(base, 250, upload(""));
        silentAfter(base, 100, RawConnection.request("POST", ChunkServer.BATCH, "Content-Length: 131072\r\n"));
        slowloris(base, 100);
        probesAreAnswered(Protocol.HTTP_1_1, base, chunks, null);
        // Each upload was refused without its body, and its connection closed (after a few seconds of waiting for
        // the body, in case the client sends it before it reads the reply).
        for (RawConnection c : puts.subList(0, 20)) {
            String head = c.readHead();
            assertThat(RawConnection.status(head)).as(head).isEqualTo(405);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void slowUploadersCannotTakeTheCapacityOfGets() throws Exception {
        List<TestChunks> chunks = chunks();
        URI base = start(ServerOptions.loopback().withWritable(true).withAuthorization("Bearer k"));
        silentAfter(base, 200, upload("Authorization: Bearer k\r\n"));
        List<RawConnection> refused = silentAfter(base, 100, upload("Authorization: Bearer wrong\r\n"));
        silentAfter(base, 100, RawConnection.request("POST", ChunkServer.BATCH,
                "Authorization: Bearer k\r\nContent-Length: 131072\r\n"));
        slowloris(base, 50);
        probesAreAnswered(Protocol.HTTP_1_1, base, chunks, "Bearer k");
        for (RawConnection c : refused.subList(0, 20)) {
            assertThat(RawConnection.status(c.readHead())).isEqualTo(401);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    /** A request body that never comes: the stream stays open with no DATA. */
    private static HttpRequest.BodyPublisher never(long length) {
        return new HttpRequest.BodyPublisher() {
            @Override
            public long contentLength() {
                return length;
            }

            @Override
            public void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
                s.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                    }

                    @Override
                    public void cancel() {
                    }
                });
            }
        };
    }

    @Test
    void http2StreamsThatNeverSendTheirBodyDoNotStopGets() throws Exception {
        List<TestChunks> chunks = chunks();
        Protocol h2 = Protocol.h2(tmp);
        URI base = start(h2.serve(ServerOptions.loopback()));
        List<HttpClient> attackers = new ArrayList<>();
        List<Future<?>> pending = new ArrayList<>();
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int k = 0; k < 3; k++) {
                HttpClient a = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(h2.trust())
                        .build();
                attackers.add(a);
                hostile.add(a);
                // Open the connection first, so that the streams below share it.
                a.send(HttpRequest.newBuilder(base).build(), HttpResponse.BodyHandlers.discarding());
                for (int i = 0; i < 100; i++) {
                    boolean batch = i % 3 == 0;
                    HttpRequest r = HttpRequest.newBuilder(base.resolve(batch ? ChunkServer.BATCH
                            : TestChunks.random(i, 10).path())).method(batch ? "POST" : "PUT", never(batch ? 131072
                            : 1_000_000)).build();
                    pending.add(senders.submit(() -> a.send(r, HttpResponse.BodyHandlers.discarding())));
                }
            }
            probesAreAnswered(h2, base, chunks, null);
            // The uploads were refused (or their streams reset) without waiting for their bodies.
            for (int i = 1; i < pending.size(); i += 3) {
                try {
                    Object r = pending.get(i).get(PROBE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    assertThat(((HttpResponse<?>) r).statusCode()).isEqualTo(405);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(IOException.class);
                }
            }
            for (HttpClient a : attackers) {
                a.shutdownNow();
            }
        }
    }

    @Test
    void slowlorisHeadersAreCutOffAfterTheHeaderTimeout() throws Exception {
        List<TestChunks> chunks = chunks();
        // Fewer connections than slow clients: the probes get in only once slow headers are cut off.
        URI base = start(ServerOptions.loopback().withLimits(ServerLimits.DEFAULT.withMaxConnections(40)
                .withTimeouts(Duration.ofSeconds(120), Duration.ofSeconds(2), Duration.ofSeconds(30))));
        RawConnection first = new RawConnection(base, 30_000);
        hostile.add(first);
        first.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
        slowloris(base, 60);
        probesAreAnswered(Protocol.HTTP_1_1, base, chunks, null);
        assertThat(first.closedByServer()).isTrue();
    }

    @Test
    void idleConnectionsMakeRoomOnceTheConnectionLimitIsReached() throws Exception {
        List<TestChunks> chunks = chunks();
        // Two and a half times as many idle clients as connections: the probes wait behind them in the listen queue.
        URI base = start(ServerOptions.loopback().withLimits(ServerLimits.DEFAULT.withMaxConnections(20)));
        List<RawConnection> idle = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            RawConnection c = new RawConnection(base, 30_000);
            hostile.add(c);
            idle.add(c);
        }
        probesAreAnswered(Protocol.HTTP_1_1, base, chunks, null);
        assertThat(idle.getFirst().closedByServer()).isTrue();
    }

    @Test
    void aBodyThatDoesNotArriveInTimeIs408() throws Exception {
        TestChunks c = TestChunks.random(9, 50_000);
        URI base = start(ServerOptions.loopback().withWritable(true).withAuthorization("k")
                .withLimits(ServerLimits.DEFAULT.withTimeouts(Duration.ofSeconds(120), Duration.ofSeconds(30),
                        Duration.ofSeconds(1))));
        String header = RawConnection.request("PUT", c.path(), "Authorization: k\r\nContent-Length: "
                + c.frame().length + "\r\n");
        // Nothing of the body, then a trickle of it.
        try (RawConnection silent = new RawConnection(base, 30_000);
             RawConnection trickle = new RawConnection(base, 30_000)) {
            silent.send(header);
            trickle.send(header);
            trickling = Executors.newVirtualThreadPerTaskExecutor();
            trickling.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    trickle.send("x");
                    Thread.sleep(100);
                }
                return null;
            });
            for (RawConnection r : List.of(silent, trickle)) {
                String head = r.readHead();
                assertThat(RawConnection.status(head)).as(head).isEqualTo(408);
                assertThat(r.closedByServer()).isTrue();
            }
        }
        assertThat(store.has(c.id())).isFalse();
        // An upload that arrives in time is stored.
        try (RawConnection ok = new RawConnection(base, 30_000)) {
            ok.send(header).send(c.frame());
            assertThat(ok.readReply().status()).isEqualTo(201);
        }
    }

    @Test
    void clientsThatReadBatchRepliesSlowlyHoldNoTurn() throws Exception {
        List<TestChunks> chunks = chunks();
        URI base = start(ServerOptions.loopback().withLimits(ServerLimits.DEFAULT.withMaxRequests(2)));
        // Batches of 4,096 ids of one chunk: about 400 MB each, far more than the sockets' buffers hold.
        TestChunks big = TestChunks.random(10, 1 << 20).putInto(store);
        byte[] ids = BatchMessages.request(Collections.nCopies(BatchReply.MAX_IDS, big.id()));
        for (int i = 0; i < 6; i++) {
            RawConnection c = new RawConnection(base, 30_000);
            hostile.add(c);
            c.send(RawConnection.request("POST", ChunkServer.BATCH, "Content-Length: " + ids.length + "\r\n"))
                    .send(ids);
        }
        probesAreAnswered(Protocol.HTTP_1_1, base, chunks, null);
    }

    @Test
    void theListenQueueHoldsABurstOfNewClients() throws Exception {
        URI base = start(ServerOptions.loopback());
        // The kernel's own account of the listening socket (ss: Send-Q is the queue's size), capped by somaxconn.
        Process ss = new ProcessBuilder("ss", "-lnt", "sport = :" + base.getPort()).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor()).isZero();
        String[] listen = out.lines().filter(l -> l.startsWith("LISTEN")).findFirst().orElseThrow().split("\\s+");
        // (readAllLines: Files.readString returns only the first byte of this procfs file.)
        int somaxconn = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/core/somaxconn")).getFirst()
                .trim());
        assertThat(Integer.parseInt(listen[2])).as(out).isEqualTo(Math.min(somaxconn,
                ServerLimits.DEFAULT_MAX_CONNECTIONS));
    }

    @Test
    void aClientThatSendsItsBodyAfterARefusalGetsTheStatusAndKeepsItsConnection() throws Exception {
        List<TestChunks> chunks = chunks();
        URI base = start(ServerOptions.loopback());
        TestChunks upload = TestChunks.random(11, 200_000);
        try (RawConnection c = new RawConnection(base, 30_000)) {
            c.send(RawConnection.request("PUT", upload.path(), "Content-Length: " + upload.frame().length + "\r\n"));
            // The refusal comes before the body is sent...
            RawConnection.Reply refused = c.readReply();
            assertThat(refused.status()).isEqualTo(405);
            assertThat(refused.head()).doesNotContainIgnoringCase("Connection: close");
            // ... which the server then reads and drops, and the connection serves the next request.
            c.send(upload.frame());
            RawConnection.Reply next = c.send(RawConnection.request("GET", chunks.getFirst().path(), "")).readReply();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo(Files.readAllBytes(store.chunkPath(chunks.getFirst().id())));
        }
        assertThat(store.has(upload.id())).isFalse();
    }
}
