package org.jcasync.http;

import org.jcasync.server.TlsFiles;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Keys and self-signed certificates made by the JDK's keytool, as PKCS#12 stores and as PEM files. */
final class TestKeys {
    static final String PASS = "changeit";

    private TestKeys() {
    }

    /** Runs keytool in {@code dir} on a PKCS#12 store with password {@link #PASS}. */
    static void keytool(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool")
                .toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", PASS));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    /**
     * A server certificate for 127.0.0.1 (EC): server.p12, its certificate as server.pem and its key as
     * server-key.pem, in {@code dir}; returns them as the chunk-server's TLS files.
     */
    static TlsFiles server(Path dir) throws Exception {
        keytool(dir, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", "server.p12");
        writePem(dir, "server.p12", "server", "server.pem", "server-key.pem");
        return new TlsFiles(dir.resolve("server.pem"), dir.resolve("server-key.pem"), null);
    }

    /** The certificate (and key, as PKCS#8, unless null) of a keytool store as PEM files, as openssl writes them. */
    static void writePem(Path dir, String p12, String alias, String certPem, String keyPem) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve(p12))) {
            ks.load(in, PASS.toCharArray());
        }
        Files.writeString(dir.resolve(certPem), pem("CERTIFICATE", ks.getCertificate(alias).getEncoded()));
        if (keyPem != null) {
            PrivateKey k = (PrivateKey) ks.getKey(alias, PASS.toCharArray());
            assertThat(k.getFormat()).isEqualTo("PKCS#8");
            Files.writeString(dir.resolve(keyPem), pem("PRIVATE KEY", k.getEncoded()));
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** Transport options that trust {@code dir}/server.pem, with quick retries (and {@code authorization}). */
    static org.jcasync.store.TransportOptions trusting(Path dir, String authorization) {
        // TLS handshakes take their time on a busy machine.
        return new org.jcasync.store.TransportOptions(java.time.Duration.ofSeconds(10), 64,
                HttpStoreTest.FAST.retries(), HttpStoreTest.FAST.retryDelay(), authorization, null, null,
                dir.resolve("server.pem"), false, 0);
    }
}
