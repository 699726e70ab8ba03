package org.jcasync.http;

import org.jcasync.chunk.ChunkId;
import org.jcasync.server.BatchMessages;
import org.jcasync.server.BatchReply;
import org.jcasync.server.ChunkPath;
import org.jcasync.server.ChunkServer;
import org.jcasync.server.CountingStore;
import org.jcasync.server.RequestLogger;
import org.jcasync.server.ServerOptions;
import org.jcasync.server.TestChunks;
import org.jcasync.server.TlsFiles;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link HttpStore} against a real jcasync chunk-server: batches of chunks go in one batch request each. */
class HttpStoreBatchTest {
    @TempDir
    Path dir;
    LocalStore local;
    final List<ChunkId> ids = new ArrayList<>();
    final List<byte[]> data = new ArrayList<>();
    final StringWriter log = new StringWriter();
    ChunkServer server;

    @BeforeEach
    void chunks() throws IOException {
        local = new LocalStore(dir.resolve("store"), StoreOptions.DEFAULT);
        for (int i = 0; i < 200; i++) {
            TestChunks c = TestChunks.random(7_000 + i, 500 + (i * 7919) % 20_000).putInto(local);
            ids.add(c.id());
            data.add(c.data());
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The store {@link #serve} made last, or null. */
    HttpStore served;

    /** The chunk-server's certificate, or null for plain http (a subclass runs the tests again over HTTP/2). */
    TlsFiles tls() throws Exception {
        return null;
    }

    /** How the client talks to the chunk-server. */
    TransportOptions transport() {
        return HttpStoreTest.FAST;
    }

    private HttpStore serve(ChunkStore upstream) throws Exception {
        server = new ChunkServer(upstream, null, StoreOptions.DEFAULT, ServerOptions.loopback()
                .withRequestLog(new RequestLogger(log, false)).withTls(tls())).start();
        served = new HttpStore(server.uris().getFirst(), StoreOptions.DEFAULT, transport());
        return served;
    }

    /**
     * The requests in the server's log. The server logs a request once its reply is sent, so the client may have its
     * answer before the line is there: wait (at most 2 s) until the log stops growing.
     */
    private List<String> requests() throws InterruptedException {
        String before = log.toString();
        for (int i = 0; i < 20; i++) {
            Thread.sleep(100);
            String now = log.toString();
            if (now.equals(before)) {
                break;
            }
            before = now;
        }
        return before.lines().map(l -> l.split(" ")[2] + " " + l.split(" ")[3]).toList();
    }

    @Test
    void batchesGoInOneRequestEach() throws Exception {
        try (HttpStore s = serve(local)) {
            Map<ChunkId, byte[]> heard = new ConcurrentHashMap<>();
            for (int i = 0; i < ids.size(); i += 16) {
                List<ChunkId> batch = ids.subList(i, Math.min(ids.size(), i + 16));
                byte[][] got = s.getAll(batch, (id, d, stored) -> heard.put(id, stored));
                for (int k = 0; k < batch.size(); k++) {
                    assertThat(got[k]).isEqualTo(data.get(i + k));
                }
            }
            assertThat(heard).hasSize(200);
            for (ChunkId id : ids) {
                assertThat(heard.get(id)).isEqualTo(Files.readAllBytes(local.chunkPath(id)));
            }
            // 13 requests for 200 chunks: one per batch, none per chunk.
            assertThat(requests()).hasSize(13).allMatch(r -> r.equals("POST /batch"));
            StoreStats st = s.stats().getFirst();
            assertThat(st.requests()).isEqualTo(13);
            assertThat(st.chunks()).isEqualTo(200);
            assertThat(st.retries()).isZero();
        }
    }

    @Test
    void missingChunksAreNullAndSingleChunksUseAGet() throws Exception {
        ChunkId absent = TestChunks.random(1, 100).id();
        try (HttpStore s = serve(local)) {
            byte[][] got = s.getAll(List.of(ids.get(0), absent, ids.get(1)));
            assertThat(got[0]).isEqualTo(data.get(0));
            assertThat(got[1]).isNull();
            assertThat(got[2]).isEqualTo(data.get(1));
            assertThat(s.get(ids.get(5))).isEqualTo(data.get(5));
            assertThat(requests()).containsExactly("POST /batch", "GET " + ChunkPath.of(ids.get(5)));
        }
    }

    @Test
    void aBrokenReplyIsResumedWithTheChunksItDidNotBring() throws Exception {
        List<ChunkId> batch = ids.subList(0, 100);
        CountingStore failing = new CountingStore(local, 0).unreadable(ids.get(60), 1);
        try (HttpStore s = serve(failing)) {
            byte[][] got = s.getAll(batch);
            for (int k = 0; k < batch.size(); k++) {
                assertThat(got[k]).isEqualTo(data.get(k));
            }
            assertThat(requests()).containsExactly("POST /batch", "POST /batch");
            // The frames before the break were kept: the first chunk was read once.
            assertThat(failing.fetchesOf(ids.getFirst())).isEqualTo(1);
            assertThat(s.stats().getFirst().chunks()).isEqualTo(100);
        }
    }

    @Test
    void aReplyThatKeepsBreakingIsAClearErrorAfterTheRetries() throws Exception {
        // A server whose replies always break off in the middle of the first frame.
        Files.createDirectories(dir.resolve("web"));
        try (StaticWebServer web = StaticWebServer.start(dir.resolve("web"))) {
            byte[] frame = Files.readAllBytes(local.chunkPath(ids.getFirst()));
            byte[] cut = Arrays.copyOf(BatchMessages.frame(ids.getFirst(), BatchReply.PRESENT, frame),
                    BatchReply.HEADER + frame.length / 2);
            for (int i = 0; i < 5; i++) {
                web.fault("/batch", StaticWebServer.serve(cut));
            }
            try (HttpStore s = new HttpStore(URI.create(web.url("store")), StoreOptions.DEFAULT,
                    HttpStoreTest.FAST)) {
                assertThatThrownBy(() -> s.getAll(ids.subList(0, 10))).isInstanceOf(StoreException.class)
                        .hasMessage("batch request to " + web.url("store/batch") + ": the reply broke off after 0 of "
                                + "10 chunks; 10 of 10 chunks (the first " + ids.getFirst()
                                + ") not received after 4 attempts");
                assertThat(web.requests("/batch")).isEqualTo(4);
            }
        }
    }

    @Test
    void anUpstreamThatKeepsFailingIsAClearError() throws Exception {
        try (HttpStore s = serve(new CountingStore(local, 0).unreadable(ids.get(3)))) {
            // Three frames arrive, then the reply breaks off; asked again, the server fails before any frame.
            assertThatThrownBy(() -> s.getAll(ids.subList(0, 10))).isInstanceOf(StoreException.class)
                    .hasMessage("batch of 7 chunks from " + server.uris().getFirst() + ": HTTP 500 (chunk " + ids.get(3)
                            + " is unreadable) after 4 attempts");
            assertThat(requests()).hasSize(5);
        }
    }

    @Test
    void serversWithoutBatchesAreReadChunkByChunk() throws Exception {
        Files.createDirectories(dir.resolve("web"));
        Files.move(local.root(), dir.resolve("web/store"));
        for (int status : new int[] {405, 501, 403}) {
            try (StaticWebServer web = StaticWebServer.start(dir.resolve("web"))) {
                web.fault("/batch", StaticWebServer.status(status));
                try (HttpStore s = new HttpStore(URI.create(web.url("store")), StoreOptions.DEFAULT,
                        HttpStoreTest.FAST)) {
                    byte[][] got = s.getAll(ids.subList(0, 16));
                    for (int k = 0; k < 16; k++) {
                        assertThat(got[k]).isEqualTo(data.get(k));
                    }
                    s.getAll(ids.subList(16, 32));
                    assertThat(web.log()).as("HTTP " + status).filteredOn(l -> l.startsWith("POST"))
                            .containsExactly("POST /store/batch");
                    assertThat(web.requests(".cacnk")).isEqualTo(32);
                }
            }
        }
    }
}
