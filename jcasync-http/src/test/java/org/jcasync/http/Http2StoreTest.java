package org.jcasync.http;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.TestData;
import org.jcasync.pack.ChunkMap;
import org.jcasync.pack.PackFixture;
import org.jcasync.pack.PackId;
import org.jcasync.pack.PackedStore;
import org.jcasync.pack.Packer;
import org.jcasync.pack.RangeSource.Range;
import org.jcasync.server.ChunkServer;
import org.jcasync.server.RequestLogger;
import org.jcasync.server.ServerOptions;
import org.jcasync.server.TlsFiles;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link HttpStore} and {@link HttpRangeSource} against the jcasync chunk-server over HTTPS: the client asks for
 * HTTP/2, the server offers it by ALPN, and every kind of request goes over it.
 */
class Http2StoreTest {
    @TempDir
    Path dir;
    ChunkServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Checks that {@code replies} came over HTTP/2 and none over HTTP/1.1. */
    private static void allOverHttp2(long http2, long http11, long replies) {
        assertThat(http2).isEqualTo(replies);
        assertThat(http11).isZero();
    }

    @Test
    void chunksHeadsMissingUploadsAndBatchesOverHttp2() throws Exception {
        TlsFiles tls = TestKeys.server(dir);
        LocalStore local = new LocalStore(dir.resolve("store"), StoreOptions.DEFAULT);
        List<ChunkId> ids = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] d = TestData.random(300 + i, 3_000 + 1_000 * i);
            ids.add(HttpStoreTest.id(d));
            data.add(d);
            local.put(ids.getLast(), d, 0, d.length);
        }
        StringWriter log = new StringWriter();
        server = new ChunkServer(local, local, StoreOptions.DEFAULT, ServerOptions.loopback().withTls(tls)
                .withWritable(true).withAuthorization("Bearer k").withRequestLog(new RequestLogger(log, false)))
                .start();
        byte[] fresh = TestData.random(400, 50_000);
        ChunkId freshId = HttpStoreTest.id(fresh);
        try (HttpStore s = new HttpStore(server.uris().getFirst(), StoreOptions.DEFAULT,
                TestKeys.trusting(dir, "Bearer k"))) {
            assertThat(s.get(ids.getFirst())).isEqualTo(data.getFirst());
            assertThat(s.has(ids.get(1))).isTrue();
            assertThat(s.has(freshId)).isFalse();
            assertThatThrownBy(() -> s.get(freshId)).isInstanceOf(ChunkMissingException.class);
            // HEAD (absent), then PUT; then HEAD (present) and no PUT.
            assertThat(s.put(freshId, fresh, 0, fresh.length)).isTrue();
            assertThat(local.get(freshId)).isEqualTo(fresh);
            assertThat(s.put(freshId, fresh, 0, fresh.length)).isFalse();
            List<ChunkId> batch = new ArrayList<>(ids);
            batch.add(5, HttpStoreTest.id("absent".getBytes()));
            byte[][] got = s.getAll(batch);
            for (int i = 0; i < batch.size(); i++) {
                assertThat(got[i]).as("chunk %d", i).isEqualTo(i == 5 ? null : data.get(i < 5 ? i : i - 1));
            }
            long requests = s.stats().getFirst().requests();
            assertThat(requests).isEqualTo(8);
            allOverHttp2(s.replies(HttpClient.Version.HTTP_2), s.replies(HttpClient.Version.HTTP_1_1), requests);
        }
        server.close();
        // The server logs a request when its stream ends, which may be after the client has sent the next one.
        assertThat(log.toString().lines().map(l -> l.split(" ")[2] + " " + l.split(" ")[4]))
                .containsExactlyInAnyOrder("GET 200", "HEAD 200", "HEAD 404", "GET 404", "HEAD 404", "PUT 201", "HEAD 200",
                        "POST 200");
    }

    @Test
    void aWrongAuthorizationIsAClearErrorOverHttp2() throws Exception {
        TlsFiles tls = TestKeys.server(dir);
        LocalStore local = new LocalStore(dir.resolve("store"), StoreOptions.DEFAULT);
        server = new ChunkServer(local, local, StoreOptions.DEFAULT, ServerOptions.loopback().withTls(tls)
                .withWritable(true).withAuthorization("Bearer k")).start();
        byte[] d = TestData.random(5, 10_000);
        try (HttpStore s = new HttpStore(server.uris().getFirst(), StoreOptions.DEFAULT,
                TestKeys.trusting(dir, "Bearer wrong"))) {
            assertThatThrownBy(() -> s.put(HttpStoreTest.id(d), d, 0, d.length)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("HTTP 401 (unauthorized");
            assertThat(s.replies(HttpClient.Version.HTTP_2)).isEqualTo(1);
        }
    }

    @Test
    void packRangesOverHttp2() throws Exception {
        TlsFiles tls = TestKeys.server(dir);
        PackFixture fixture = new PackFixture(dir);
        Packer.IndexFile v1 = fixture.make("v1", TestData.random(71, 1_500_000));
        PackId pack = new Packer(fixture.store()).pack(List.of(v1), false).pack().pack();
        server = new ChunkServer(fixture.store(), null, StoreOptions.DEFAULT, fixture.store().root(), false,
                ServerOptions.loopback().withTls(tls)).start();
        TransportOptions t = TestKeys.trusting(dir, null);
        byte[] file = Files.readAllBytes(fixture.store().root().resolve(pack.packPath()));
        try (HttpRangeSource src = new HttpRangeSource(server.uris().getFirst(), t);
             HttpStore loose = new HttpStore(server.uris().getFirst(), StoreOptions.DEFAULT, t)) {
            // Several ranges in one request (a multipart reply), then one.
            List<Range> ranges = List.of(new Range(0, 100), new Range(20_000, 90_000),
                    new Range(file.length - 1000, file.length));
            for (List<Range> ask : List.of(ranges, List.of(new Range(1000, 70_000)))) {
                Map<Integer, byte[]> got = HttpRangeSourceTest.read(src, pack, ask);
                for (int i = 0; i < ask.size(); i++) {
                    assertThat(got.get(i)).isEqualTo(Arrays.copyOfRange(file, (int) ask.get(i).start(),
                            (int) ask.get(i).end()));
                }
            }
            // Every chunk of the index through its pack.
            ChunkMap map = ChunkMap.parse(Files.readAllBytes(v1.mapPath()), v1.index().size(), "map");
            try (PackedStore packed = new PackedStore(v1.index(), map, src, loose, StoreOptions.DEFAULT)) {
                List<ChunkId> ids = HttpRangeSourceTest.ids(v1);
                packed.willNeed(ids);
                for (int i = 0; i < ids.size(); i += 16) {
                    List<ChunkId> batch = ids.subList(i, Math.min(ids.size(), i + 16));
                    byte[][] got = packed.getAll(batch);
                    for (int k = 0; k < got.length; k++) {
                        assertThat(got[k]).isEqualTo(fixture.store().get(batch.get(k)));
                    }
                }
                assertThat(packed.chunksFromPacks()).isEqualTo(v1.index().size());
            }
            allOverHttp2(src.replies(HttpClient.Version.HTTP_2), src.replies(HttpClient.Version.HTTP_1_1),
                    src.stats().getFirst().requests());
            assertThat(loose.stats().getFirst().requests()).isZero();
        }
    }
}
