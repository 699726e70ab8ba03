package org.jcasync.server;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code POST /batch} on the chunk-server: many chunks in one streamed reply. */
class ChunkServerBatchTest extends ChunkServerFixture {
    Http http;

    private void start(ChunkStore upstream, ServerOptions options) throws Exception {
        Protocol p = protocol();
        server = new ChunkServer(upstream, null, StoreOptions.DEFAULT, p.serve(options)).start();
        http = p.client(server.uris().getFirst());
    }

    private HttpResponse<InputStream> post(List<ChunkId> ids, String authorization) throws Exception {
        HttpRequest.Builder b = http.request("/batch").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(BatchMessages.request(ids)));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b, HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void presentAndMissingChunksInOrder() throws Exception {
        TestChunks a = TestChunks.random(1, 70_000).putInto(store);
        TestChunks b = TestChunks.random(2, 1_000).putInto(store);
        TestChunks gone = TestChunks.random(3, 500);
        start(store, ServerOptions.loopback());
        HttpResponse<InputStream> r = post(List.of(a.id(), gone.id(), b.id(), a.id()), null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        List<BatchMessages.Frame> f = BatchMessages.frames(r.body());
        assertThat(f).extracting(BatchMessages.Frame::id).containsExactly(a.id(), gone.id(), b.id(), a.id());
        assertThat(f).extracting(BatchMessages.Frame::status).containsExactly(0, 1, 0, 0);
        assertThat(f.get(0).data()).isEqualTo(Files.readAllBytes(store.chunkPath(a.id())));
        assertThat(f.get(1).data()).isEmpty();
        assertThat(f.get(2).data()).isEqualTo(Files.readAllBytes(store.chunkPath(b.id())));
        assertThat(f.get(3).data()).isEqualTo(f.get(0).data());
        // An empty batch is an empty reply.
        HttpResponse<InputStream> empty = post(List.of(), null);
        assertThat(empty.statusCode()).isEqualTo(200);
        assertThat(BatchMessages.frames(empty.body())).isEmpty();
    }

    @Test
    void authorizationIsRequired() throws Exception {
        TestChunks a = TestChunks.random(4, 1_000).putInto(store);
        start(store, ServerOptions.loopback().withAuthorization("Bearer s3cret"));
        assertThat(post(List.of(a.id()), null).statusCode()).isEqualTo(401);
        assertThat(post(List.of(a.id()), "Bearer wrong").statusCode()).isEqualTo(401);
        HttpResponse<InputStream> ok = post(List.of(a.id()), "Bearer s3cret");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(BatchMessages.frames(ok.body())).extracting(BatchMessages.Frame::status).containsExactly(0);
    }

    @Test
    void oversizedAndMalformedBatchesAreRefused() throws Exception {
        start(store, ServerOptions.loopback());
        List<ChunkId> many = new ArrayList<>();
        for (int i = 0; i <= BatchReply.MAX_IDS; i++) {
            many.add(ChunkId.of(new byte[32]));
        }
        HttpResponse<byte[]> big = http.send("POST", "/batch", BatchMessages.request(many));
        assertThat(big.statusCode()).isEqualTo(413);
        HttpResponse<byte[]> odd = http.send("POST", "/batch", new byte[33]);
        assertThat(odd.statusCode()).isEqualTo(400);
        assertThat(Http.text(odd)).contains("not a multiple of 32");
        HttpResponse<byte[]> get = http.get("/batch");
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        // The server still works after refusals on the same connections.
        assertThat(http.send("POST", "/batch", BatchMessages.request(many.subList(0, BatchReply.MAX_IDS))).statusCode())
                .isEqualTo(200);
    }

    @Test
    void fiveHundredChunksStreamInOneReply() throws Exception {
        List<TestChunks> chunks = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            chunks.add(TestChunks.random(100 + i, 2_000 + i * 37).putInto(store));
        }
        start(store, ServerOptions.loopback());
        HttpResponse<InputStream> r = post(chunks.stream().map(TestChunks::id).toList(), null);
        assertThat(r.statusCode()).isEqualTo(200);
        // Streamed: no length is known in advance.
        assertThat(r.headers().firstValue("Content-Length")).isEmpty();
        List<BatchMessages.Frame> f = BatchMessages.frames(r.body());
        assertThat(f).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(f.get(i).id()).isEqualTo(chunks.get(i).id());
            assertThat(f.get(i).data()).isEqualTo(Files.readAllBytes(store.chunkPath(chunks.get(i).id())));
        }
    }

    @Test
    void concurrentBatches() throws Exception {
        List<TestChunks> chunks = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            chunks.add(TestChunks.random(1000 + i, 10_000).putInto(store));
        }
        start(store, ServerOptions.loopback());
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<BatchMessages.Frame>>> all = new ArrayList<>();
            for (int c = 0; c < 20; c++) {
                List<ChunkId> ids = new ArrayList<>();
                for (int k = 0; k < 64; k++) {
                    ids.add(chunks.get((c * 7 + k) % 64).id());
                }
                all.add(clients.submit(() -> BatchMessages.frames(post(ids, null).body())));
            }
            for (int c = 0; c < 20; c++) {
                List<BatchMessages.Frame> f = all.get(c).get();
                assertThat(f).hasSize(64);
                for (int k = 0; k < 64; k++) {
                    TestChunks want = chunks.get((c * 7 + k) % 64);
                    assertThat(f.get(k).id()).isEqualTo(want.id());
                    assertThat(f.get(k).data()).isEqualTo(Files.readAllBytes(store.chunkPath(want.id())));
                }
            }
        }
    }

    @Test
    void anUpstreamFailureTruncatesTheReply() throws Exception {
        TestChunks a = TestChunks.random(5, 1_000).putInto(store);
        TestChunks b = TestChunks.random(6, 1_000).putInto(store);
        CountingStore failing = new CountingStore(store, 0);
        failing.unreadable(b.id());
        start(failing, ServerOptions.loopback());
        HttpResponse<InputStream> r = post(List.of(a.id(), b.id()), null);
        assertThat(r.statusCode()).isEqualTo(200);
        // The first frame arrives, then the connection is cut: never an end that looks complete.
        assertThatThrownBy(() -> r.body().readAllBytes())
                .isInstanceOf(IOException.class);
    }
}
