package org.jcasync.server;

import org.jcasync.pack.PackId;
import org.jcasync.store.Compression;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Only the regular files inside a served store or index directory are served: a symlink (of a file or of a directory
 * on the way) pointing out of it, a FIFO or a device is refused, at once; with {@code --verify} a chunk file is sent
 * only when it decompresses to the chunk its name says.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServedFilesTest {
    private static final String SECRET = "root:$6$secret-hash-of-the-server:19000:0:99999:7:::\n";

    @TempDir
    Path tmp;
    ProtocolServer<?> server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A secret outside the store, and a store opened as chunk-server opens its stores. */
    private LocalStore store() throws IOException {
        Files.writeString(tmp.resolve("shadow"), SECRET);
        LocalStore store = new LocalStore(tmp.resolve("store.castr"), StoreOptions.DEFAULT.withConfinedFiles());
        Files.createDirectories(store.root());
        return store;
    }

    private Http chunkServer(LocalStore store, boolean verify) throws IOException {
        ChunkServer cs = new ChunkServer(store, null, StoreOptions.DEFAULT, store.root(), verify,
                ServerOptions.loopback()).start();
        server = cs;
        return new Http(cs.uris().getFirst());
    }

    private static void mkfifo(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        assertThat(new ProcessBuilder("mkfifo", p.toString()).start().waitFor()).isZero();
    }

    /** What a reply brings before it ends or breaks off. */
    private static byte[] readUntilBroken(InputStream in) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try (in) {
            for (int n; (n = in.read(b)) >= 0; ) {
                got.write(b, 0, n);
            }
        } catch (IOException e) {
            // Broken off: what came before is what the client saw.
        }
        return got.toByteArray();
    }

    /** The reply is not the secret and not a success. */
    private static void refused(HttpResponse<byte[]> r) {
        assertThat(r.statusCode()).isNotEqualTo(200);
        assertThat(Http.text(r)).doesNotContain("secret-hash");
    }

    @Test
    void chunkFilesThatAreSymlinksOrFifosAreNotServed() throws Exception {
        LocalStore store = store();
        TestChunks good = TestChunks.random(1, 30_000).putInto(store);
        TestChunks linked = TestChunks.random(2, 1000);
        Files.createDirectories(store.chunkPath(linked.id()).getParent());
        Files.createSymbolicLink(store.chunkPath(linked.id()), tmp.resolve("shadow"));
        TestChunks fifo = TestChunks.random(3, 1000);
        mkfifo(store.chunkPath(fifo.id()));
        // A directory of the store that is a symlink to one holding a file of the right name.
        TestChunks viaDir = TestChunks.random(4, 1000);
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.copy(tmp.resolve("shadow"), outside.resolve(store.chunkPath(viaDir.id()).getFileName()));
        Files.deleteIfExists(store.chunkPath(viaDir.id()).getParent());
        if (!Files.exists(store.chunkPath(viaDir.id()).getParent())) {
            Files.createSymbolicLink(store.chunkPath(viaDir.id()).getParent(), outside);
        }
        Http http = chunkServer(store, false);
        for (TestChunks c : List.of(linked, fifo, viaDir)) {
            HttpResponse<byte[]> r = http.get(c.path());
            refused(r);
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(Http.text(r)).contains("not a regular file");
            assertThat(http.head(c.path()).statusCode()).isEqualTo(404);
        }
        // A batch that asks for one of them breaks off before it (never the secret).
        HttpResponse<InputStream> batch = http.send(http.request(ChunkServer.BATCH).POST(HttpRequest.BodyPublishers
                .ofByteArray(BatchMessages.request(List.of(good.id(), linked.id())))),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(new String(readUntilBroken(batch.body()), StandardCharsets.ISO_8859_1)).doesNotContain(
                "secret-hash");
        assertThat(http.get(good.path()).body()).isEqualTo(Files.readAllBytes(store.chunkPath(good.id())));
    }

    @Test
    void packFilesThatAreSymlinksOrFifosAreNotServed() throws Exception {
        LocalStore store = store();
        Path packs = Files.createDirectories(store.root().resolve(PackId.DIRECTORY));
        String hex = "ab".repeat(32);
        Files.createSymbolicLink(packs.resolve(hex + PackId.PACK_SUFFIX), tmp.resolve("shadow"));
        mkfifo(packs.resolve(hex + PackId.INDEX_SUFFIX));
        Http http = chunkServer(store, false);
        for (String suffix : List.of(PackId.PACK_SUFFIX, PackId.INDEX_SUFFIX)) {
            String path = "/" + PackId.DIRECTORY + "/" + hex + suffix;
            refused(http.get(path));
            assertThat(http.get(path).statusCode()).isEqualTo(500);
            refused(http.send(http.request(path).header("Range", "bytes=0-10"), HttpResponse.BodyHandlers
                    .ofByteArray()));
        }
        // The packs directory itself a symlink.
        Path real = Files.createDirectories(tmp.resolve("real-packs"));
        Files.writeString(real.resolve(hex + PackId.PACK_SUFFIX), SECRET);
        LocalStore other = new LocalStore(tmp.resolve("other.castr"), StoreOptions.DEFAULT.withConfinedFiles());
        Files.createDirectories(other.root());
        Files.createSymbolicLink(other.root().resolve(PackId.DIRECTORY), real);
        server.close();
        Http o = chunkServer(other, false);
        refused(o.get("/" + PackId.DIRECTORY + "/" + hex + PackId.PACK_SUFFIX));
    }

    @Test
    void indexFilesThatAreSymlinksOrFifosAreNotServed() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("indexes"));
        Files.writeString(tmp.resolve("shadow"), SECRET);
        Files.createSymbolicLink(dir.resolve("v1.caibx"), tmp.resolve("shadow"));
        mkfifo(dir.resolve("v2.caibx"));
        IndexServer is = new IndexServer(dir.toString(), new StoreRegistry(List.of()), TransportOptions.DEFAULT,
                IndexServer.DEFAULT_MAX_INDEX_SIZE, ServerOptions.loopback()).start();
        server = is;
        Http http = new Http(is.uris().getFirst());
        for (String name : List.of("/v1.caibx", "/v2.caibx")) {
            HttpResponse<byte[]> r = http.get(name);
            refused(r);
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(http.head(name).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void verifySendsOnlyChunksThatAreWhatTheirNameSays() throws Exception {
        LocalStore store = store();
        TestChunks good = TestChunks.random(5, 40_000).putInto(store);
        TestChunks bad = TestChunks.random(6, 40_000);
        // The frame of another chunk under this chunk's name: a valid zstd frame, the wrong content.
        Files.createDirectories(store.chunkPath(bad.id()).getParent());
        Files.write(store.chunkPath(bad.id()), TestChunks.random(7, 40_000).frame());
        TestChunks garbage = TestChunks.random(8, 1000);
        Files.createDirectories(store.chunkPath(garbage.id()).getParent());
        Files.write(store.chunkPath(garbage.id()), Compression.ZSTD.compress(new byte[0], 0, 0));
        Http plain = chunkServer(store, false);
        assertThat(plain.get(bad.path()).statusCode()).isEqualTo(200);
        server.close();
        Http verifying = chunkServer(store, true);
        assertThat(verifying.get(good.path()).body()).isEqualTo(Files.readAllBytes(store.chunkPath(good.id())));
        HttpResponse<byte[]> r = verifying.get(bad.path());
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(Http.text(r)).contains("chunk " + bad.id() + " is invalid").contains("its content is chunk ");
        assertThat(Http.text(verifying.get(garbage.path()))).contains("empty");
        HttpResponse<InputStream> batch = verifying.send(verifying.request(ChunkServer.BATCH).POST(
                HttpRequest.BodyPublishers.ofByteArray(BatchMessages.request(List.of(good.id(), bad.id())))),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(batch.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> BatchMessages.frames(batch.body())).isInstanceOf(IOException.class);
    }
}
