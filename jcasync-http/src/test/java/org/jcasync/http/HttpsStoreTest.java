package org.jcasync.http;

import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.jcasync.chunk.ChunkId;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * https stores against Jetty with a self-signed certificate made by keytool: trusted through a CA file
 * ({@code --ca-cert}), refused without it, accepted with trust-any, and TLS client authentication with a PEM
 * certificate and PKCS#8 key (RSA and EC).
 */
class HttpsStoreTest {
    static final String PASS = TestKeys.PASS;

    @TempDir
    static Path dir;
    static byte[] data;
    static ChunkId id;

    @BeforeAll
    static void keysAndStore() throws Exception {
        TestKeys.server(dir);
        TestKeys.keytool(dir, "-genkeypair", "-alias", "client", "-keyalg", "RSA", "-keysize", "2048", "-dname",
                "CN=client", "-validity", "2", "-keystore", "client.p12");
        TestKeys.keytool(dir, "-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp384r1",
                "-dname", "CN=client-ec", "-validity", "2", "-keystore", "client-ec.p12");
        TestKeys.writePem(dir, "client.p12", "client", "client.pem", "client-key.pem");
        TestKeys.writePem(dir, "client-ec.p12", "client", "client-ec.pem", "client-ec-key.pem");
        data = "a chunk served over TLS ".repeat(500).getBytes(StandardCharsets.UTF_8);
        id = HttpStoreTest.id(data);
        new LocalStore(dir.resolve("store"), StoreOptions.DEFAULT).put(id, data, 0, data.length);
    }

    /** The client certificates, trusted by the server. */
    private static KeyStore clientTrust() throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        int i = 0;
        for (String f : List.of("client.pem", "client-ec.pem")) {
            for (Certificate c : TlsContexts.certificates(dir.resolve(f))) {
                ts.setCertificateEntry("client" + i++, c);
            }
        }
        return ts;
    }

    private static StaticWebServer server(boolean needClientAuth) throws Exception {
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStorePath(dir.resolve("server.p12").toString());
        tls.setKeyStorePassword(PASS);
        tls.setKeyStoreType("PKCS12");
        if (needClientAuth) {
            tls.setTrustStore(clientTrust());
            tls.setNeedClientAuth(true);
        }
        return StaticWebServer.startTls(dir, tls);
    }

    private static TransportOptions tls(Path cert, Path key, Path ca, boolean insecure) {
        // TLS handshakes with RSA keys take their time on a busy machine.
        return new TransportOptions(java.time.Duration.ofSeconds(10), 8, 1, HttpStoreTest.FAST.retryDelay(), null, cert,
                key, ca, insecure, 0);
    }

    private static byte[] fetch(StaticWebServer s, TransportOptions t) throws IOException {
        try (HttpStore store = new HttpStore(URI.create(s.url("store")), StoreOptions.DEFAULT, t)) {
            return store.get(id);
        }
    }

    @Test
    void trustedThroughTheCaFile() throws Exception {
        try (StaticWebServer s = server(false); HttpStore store = new HttpStore(URI.create(s.url("store")),
                StoreOptions.DEFAULT, tls(null, null, dir.resolve("server.pem"), false))) {
            assertThat(store.get(id)).isEqualTo(data);
            // This server offers no h2 by ALPN: the client asks for HTTP/2 and goes on with HTTP/1.1.
            assertThat(store.replies(HttpClient.Version.HTTP_1_1)).isEqualTo(1);
            assertThat(store.replies(HttpClient.Version.HTTP_2)).isZero();
        }
    }

    @Test
    void untrustedCertificateIsRefusedWithoutRetrying() throws Exception {
        try (StaticWebServer s = server(false)) {
            assertThatThrownBy(() -> fetch(s, tls(null, null, null, false))).isInstanceOf(StoreException.class)
                    .hasMessageContaining("TLS handshake failed").message().doesNotContain("attempts");
            assertThat(s.log()).isEmpty();
        }
    }

    @Test
    void trustAnyCertificate() throws Exception {
        try (StaticWebServer s = server(false)) {
            assertThat(fetch(s, tls(null, null, null, true))).isEqualTo(data);
        }
    }

    @Test
    void clientCertificateRsaAndEc() throws Exception {
        try (StaticWebServer s = server(true)) {
            Path ca = dir.resolve("server.pem");
            assertThat(fetch(s, tls(dir.resolve("client.pem"), dir.resolve("client-key.pem"), ca, false)))
                    .isEqualTo(data);
            assertThat(fetch(s, tls(dir.resolve("client-ec.pem"), dir.resolve("client-ec-key.pem"), ca, false)))
                    .isEqualTo(data);
            assertThatThrownBy(() -> fetch(s, tls(null, null, ca, false))).isInstanceOf(StoreException.class)
                    .hasMessageContaining("chunk " + id);
            assertThat(s.log()).hasSize(2);
        }
    }

    @Test
    void badKeyFilesAreNamed() throws Exception {
        Path pkcs1 = dir.resolve("rsa1.pem");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsContexts.privateKey(pkcs1)).hasMessageContaining(pkcs1.toString())
                .hasMessageContaining("PKCS#8");
        assertThatThrownBy(() -> TlsContexts.privateKey(dir.resolve("server.pem")))
                .hasMessageContaining("no private key");
        assertThatThrownBy(() -> TlsContexts.certificates(dir.resolve("absent.pem")))
                .hasMessageContaining("absent.pem");
        assertThatThrownBy(() -> TlsContexts.certificates(dir.resolve("client-key.pem")))
                .hasMessageContaining("client-key.pem");
    }
}
