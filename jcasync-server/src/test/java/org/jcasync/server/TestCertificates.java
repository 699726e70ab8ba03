package org.jcasync.server;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Self-signed certificates made by the openssl command, and client TLS contexts that use them. */
final class TestCertificates {
    private TestCertificates() {
    }

    /** NAME.pem (certificate) and NAME.key (PKCS#8 key) in {@code dir}, self-signed, valid for a day. */
    static void selfSigned(Path dir, String name, String extension) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=" + name, "-addext", extension, "-keyout", dir.resolve(name + ".key").toString(),
                "-out", dir.resolve(name + ".pem").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** A certificate for a server on 127.0.0.1: server.pem and server.key in {@code dir}. */
    static TlsFiles server(Path dir) throws Exception {
        selfSigned(dir, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        return new TlsFiles(dir.resolve("server.pem"), dir.resolve("server.key"), null);
    }

    /**
     * A client context trusting {@code dir}/server.pem and presenting the certificate {@code clientName}.pem (with
     * its key) when the server asks for one, or none when {@code clientName} is null.
     */
    static SSLContext client(Path dir, String clientName) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(PemKeys.trustStore(dir.resolve("server.pem")));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        if (clientName != null) {
            kmf.init(PemKeys.keyStore(dir.resolve(clientName + ".pem"), dir.resolve(clientName + ".key")),
                    PemKeys.PASSWORD);
        } else {
            KeyStore empty = KeyStore.getInstance("PKCS12");
            empty.load(null, null);
            kmf.init(empty, PemKeys.PASSWORD);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }
}
