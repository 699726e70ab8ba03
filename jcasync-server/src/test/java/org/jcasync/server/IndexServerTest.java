package org.jcasync.server;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.index.IndexWriter;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IndexServerTest {
    @TempDir
    Path tmp;
    Path dir;
    IndexServer server;
    Http http;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createDirectories(tmp.resolve("indexes"));
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private void start(ServerOptions o) throws IOException {
        server = new IndexServer(dir.toString(), new StoreRegistry(List.of()), TransportOptions.DEFAULT,
                IndexServer.DEFAULT_MAX_INDEX_SIZE, o).start();
        http = new Http(server.uris().getFirst());
    }

    /** A valid blob index of {@code chunks} chunks. */
    static byte[] index(int chunks) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (IndexWriter w = new IndexWriter(bo, 0x2000000000000000L, ChunkerParams.DEFAULT)) {
            for (int i = 0; i < chunks; i++) {
                w.add(TestChunks.random(i, 100).id(), 65536);
            }
            w.finish();
        }
        return bo.toByteArray();
    }

    @Test
    void chunkMapsBesideIndexesAreServedAndChecked() throws Exception {
        byte[] idx = index(5);
        byte[] map = org.jcasync.pack.ChunkMap.build(idx, org.jcasync.index.IndexReader.read(
                new java.io.ByteArrayInputStream(idx), "v1.caibx"), i -> null).toBytes();
        Files.write(dir.resolve("v1.caibx"), idx);
        Files.write(dir.resolve("v1.caibx.camap"), map);
        start(ServerOptions.loopback().withWritable(true));
        assertThat(http.get("/v1.caibx.camap").body()).isEqualTo(map);
        assertThat(http.head("/v1.caibx.camap").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> missing = http.get("/v2.caidx.camap");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Http.text(missing)).contains("chunk map v2.caidx.camap not found");
        assertThat(http.get("/v1.camap").statusCode()).isEqualTo(400);
        assertThat(http.put("/t.caidx.camap", map).statusCode()).isEqualTo(200);
        assertThat(Files.readAllBytes(dir.resolve("t.caidx.camap"))).isEqualTo(map);
        byte[] corrupt = map.clone();
        corrupt[40] ^= 1;
        HttpResponse<byte[]> refused = http.put("/v3.caibx.camap", corrupt);
        assertThat(refused.statusCode()).isEqualTo(415);
        assertThat(Http.text(refused)).contains("checksum mismatch");
        assertThat(http.put("/v3.caibx.camap", idx).statusCode()).isEqualTo(415);
        assertThat(Files.exists(dir.resolve("v3.caibx.camap"))).isFalse();
        Files.write(dir.resolve("v4.caibx.camap"), corrupt);
        assertThat(http.get("/v4.caibx.camap").statusCode()).isEqualTo(500);
    }

    @Test
    void getAndHeadOfIndexFiles() throws Exception {
        byte[] idx = index(10);
        Files.write(dir.resolve("v1.caibx"), idx);
        start(ServerOptions.loopback());
        HttpResponse<byte[]> r = http.get("/v1.caibx");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(idx);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        assertThat(http.get("/some/prefix/v1.caibx").body()).isEqualTo(idx);
        assertThat(http.head("/v1.caibx").statusCode()).isEqualTo(200);
        assertThat(http.head("/v2.caibx").statusCode()).isEqualTo(404);
        assertThat(http.get("/v2.caibx").statusCode()).isEqualTo(404);
        assertThat(Http.text(http.get("/"))).isEqualTo("jcasync index-server\n");
    }

    @Test
    void aStoredFileThatIsNoIndexIsNotServedAsOne() throws Exception {
        Files.writeString(dir.resolve("broken.caibx"), "not an index");
        start(ServerOptions.loopback());
        HttpResponse<byte[]> r = http.get("/broken.caibx");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(Http.text(r)).contains("broken.caibx").contains("not valid");
    }

    @Test
    void badNamesAre400() throws Exception {
        Files.write(dir.resolve("v1.caibx"), index(1));
        Files.writeString(dir.resolve("secret.txt"), "no");
        start(ServerOptions.loopback());
        for (String bad : List.of("/secret.txt", "/.v1.caibx", "/v1.caibx/", "/a..caibx", "/v1.caibx.tmp",
                "/x%0A.caibx")) {
            HttpResponse<byte[]> r = http.get(bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
        }
        assertThat(http.put("/secret.txt", index(1)).statusCode()).isEqualTo(400);
    }

    @Test
    void putNeedsWritable() throws Exception {
        start(ServerOptions.loopback());
        HttpResponse<byte[]> r = http.put("/new.caibx", index(3));
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(Http.text(r)).contains("read-only");
        assertThat(dir.resolve("new.caibx")).doesNotExist();
    }

    @Test
    void putStoresValidIndexesOnly() throws Exception {
        start(ServerOptions.loopback().withWritable(true));
        byte[] idx = index(5);
        assertThat(http.put("/new.caidx", idx).statusCode()).isEqualTo(200);
        assertThat(dir.resolve("new.caidx")).hasBinaryContent(idx);
        byte[] idx2 = index(7);
        assertThat(http.put("/deep/path/new.caidx", idx2).statusCode()).isEqualTo(200);
        assertThat(dir.resolve("new.caidx")).hasBinaryContent(idx2);
        byte[] truncated = java.util.Arrays.copyOf(idx, idx.length - 3);
        HttpResponse<byte[]> r = http.put("/bad.caibx", truncated);
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(Http.text(r)).contains("bad.caibx");
        assertThat(http.put("/new.caidx", "garbage".getBytes()).statusCode()).isEqualTo(415);
        assertThat(dir.resolve("new.caidx")).hasBinaryContent(idx2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("new.caidx");
        }
    }

    @Test
    void authorizationAppliesToIndexesToo() throws Exception {
        Files.write(dir.resolve("v1.caibx"), index(1));
        start(ServerOptions.loopback().withAuthorization("token"));
        assertThat(http.get("/v1.caibx").statusCode()).isEqualTo(401);
        http.authorization = "token";
        assertThat(http.get("/v1.caibx").statusCode()).isEqualTo(200);
    }

    @Test
    void aMissingDirectoryIsRefusedAtStart() {
        assertThatThrownBy(() -> new IndexServer(tmp.resolve("nope").toString(), new StoreRegistry(List.of()),
                TransportOptions.DEFAULT, 1000, ServerOptions.loopback()))
                .isInstanceOf(java.nio.file.NoSuchFileException.class).hasMessageContaining("nope");
    }
}
