package org.jcasync.server;

import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTPS with PEM files made by the openssl command, and mutual TLS with a client certificate. */
class TlsTest extends ChunkServerFixture {
    @BeforeEach
    void setUp() throws Exception {
        TestCertificates.selfSigned(tmp, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        TestCertificates.selfSigned(tmp, "client", "extendedKeyUsage=clientAuth");
        TestCertificates.selfSigned(tmp, "stranger", "extendedKeyUsage=clientAuth");
    }

    private HttpClient client(String clientName) throws Exception {
        return HttpClient.newBuilder().sslContext(TestCertificates.client(tmp, clientName))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    @Test
    void servesChunksOverHttps() throws Exception {
        TestChunks c = TestChunks.random(1, 20_000).putInto(store);
        server = new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback()
                .withTls(new TlsFiles(tmp.resolve("server.pem"), tmp.resolve("server.key"), null))).start();
        assertThat(server.uris().getFirst().toString()).startsWith("https://127.0.0.1:");
        HttpResponse<byte[]> r = new Http(server.uris().getFirst(), client(null)).get(c.path());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(Files.readAllBytes(store.chunkPath(c.id())));
        // A client that does not trust the certificate cannot connect.
        Http untrusting = new Http(server.uris().getFirst());
        assertThatThrownBy(() -> untrusting.get(c.path())).isInstanceOf(IOException.class);
    }

    @Test
    void mutualTlsNeedsACertificateOfTheClientCa() throws Exception {
        TestChunks c = TestChunks.random(2, 20_000).putInto(store);
        server = new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback().withTls(
                new TlsFiles(tmp.resolve("server.pem"), tmp.resolve("server.key"), tmp.resolve("client.pem"))))
                .start();
        HttpResponse<byte[]> r = new Http(server.uris().getFirst(), client("client")).get(c.path());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(Files.readAllBytes(store.chunkPath(c.id())));
        for (String other : List.of("stranger", "")) {
            Http h = new Http(server.uris().getFirst(), client(other.isEmpty() ? null : other));
            assertThatThrownBy(() -> h.get(c.path())).as(other).isInstanceOf(IOException.class);
        }
    }

    @Test
    void badKeyFilesAreNamedInTheError() throws Exception {
        Files.writeString(tmp.resolve("rsa.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback()
                .withTls(new TlsFiles(tmp.resolve("server.pem"), tmp.resolve("rsa.key"), null))))
                .hasMessageContaining("rsa.key").hasMessageContaining("not PKCS#8");
        assertThatThrownBy(() -> new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback()
                .withTls(new TlsFiles(tmp.resolve("missing.pem"), tmp.resolve("server.key"), null))))
                .hasMessageContaining("missing.pem");
        assertThatThrownBy(() -> new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback()
                .withTls(new TlsFiles(tmp.resolve("server.key"), tmp.resolve("server.key"), null))))
                .hasMessageContaining("server.key");
        assertThatThrownBy(() -> new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback()
                .withTls(new TlsFiles(tmp.resolve("client.pem"), tmp.resolve("server.key"), null))))
                .hasMessageContaining("server.key").hasMessageContaining("client.pem");
    }
}
