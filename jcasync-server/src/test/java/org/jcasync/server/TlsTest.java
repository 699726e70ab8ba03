package org.jcasync.server;

import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTPS with PEM files made by the openssl command, and mutual TLS with a client certificate. */
class TlsTest {
    @TempDir
    Path tmp;
    LocalStore store;
    ChunkServer server;

    @BeforeEach
    void setUp() throws Exception {
        store = new LocalStore(tmp.resolve("store.castr"), StoreOptions.DEFAULT);
        Files.createDirectories(store.root());
        selfSigned("server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        selfSigned("client", "extendedKeyUsage=clientAuth");
        selfSigned("stranger", "extendedKeyUsage=clientAuth");
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    /** NAME.pem (certificate) and NAME.key (PKCS#8 key), self-signed, valid for a day. */
    private void selfSigned(String name, String extension) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=" + name, "-addext", extension, "-keyout", tmp.resolve(name + ".key").toString(),
                "-out", tmp.resolve(name + ".pem").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    private HttpClient client(String clientName) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(PemKeys.trustStore(tmp.resolve("server.pem")));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        if (clientName != null) {
            kmf.init(PemKeys.keyStore(tmp.resolve(clientName + ".pem"), tmp.resolve(clientName + ".key")),
                    PemKeys.PASSWORD);
        } else {
            KeyStore empty = KeyStore.getInstance("PKCS12");
            empty.load(null, null);
            kmf.init(empty, PemKeys.PASSWORD);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_1_1).build();
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
