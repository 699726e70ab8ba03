package org.jcasync.http;

import org.jcasync.store.TransportOptions;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TLS setup of {@link TransportOptions}: a client certificate with its PKCS#8 PEM key (RSA, EC or EdDSA), CA
 * certificates trusted instead of the system's, or (tests only) trust in any server certificate.
 */
final class TlsContexts {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
    private static final char[] NO_PASSWORD = "jcasync".toCharArray();

    private TlsContexts() {
    }

    /** The context for {@code t}, or null when it asks for nothing but the JDK's defaults. */
    static SSLContext create(TransportOptions t) throws IOException {
        if (t.clientCertificate() == null && t.caCertificate() == null && !t.insecure()) {
            return null;
        }
        try {
            KeyManagerFactory kmf = null;
            if (t.clientCertificate() != null) {
                if (t.clientKey() == null) {
                    throw new IOException("a client certificate needs its key (--client-key)");
                }
                List<Certificate> chain = certificates(t.clientCertificate());
                PrivateKey key = privateKey(t.clientKey());
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("client", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, NO_PASSWORD);
            }
            TrustManager[] trust;
            if (t.insecure()) {
                trust = new TrustManager[] {new TrustAll()};
            } else {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                if (t.caCertificate() != null) {
                    KeyStore ts = KeyStore.getInstance("PKCS12");
                    ts.load(null, null);
                    int i = 0;
                    for (Certificate c : certificates(t.caCertificate())) {
                        ts.setCertificateEntry("ca" + i++, c);
                    }
                    tmf.init(ts);
                } else {
                    tmf.init((KeyStore) null);
                }
                trust = tmf.getTrustManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), trust, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** Every certificate in a PEM file. */
    static List<Certificate> certificates(Path pem) throws IOException {
        try (InputStream in = open(pem)) {
            Collection<? extends Certificate> cs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (cs.isEmpty()) {
                throw new IOException(pem + ": no certificate in it (PEM expected)");
            }
            return List.copyOf(cs);
        } catch (CertificateException e) {
            throw new IOException(pem + ": not a PEM certificate (" + e.getMessage() + ")", e);
        }
    }

    /** The PKCS#8 private key in a PEM file. */
    static PrivateKey privateKey(Path pem) throws IOException {
        String text;
        try (InputStream in = open(pem)) {
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            switch (type) {
                case "PRIVATE KEY" -> {
                    byte[] der;
                    try {
                        der = Base64.getMimeDecoder().decode(m.group(2));
                    } catch (IllegalArgumentException e) {
                        throw new IOException(pem + ": bad base64 in the private key", e);
                    }
                    for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448")) {
                        try {
                            return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                        } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                            // Try the next algorithm.
                        }
                    }
                    throw new IOException(pem + ": a PKCS#8 key of an unsupported algorithm (RSA, EC, EdDSA)");
                }
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new IOException(pem + ": the key is in "
                        + (type.startsWith("RSA") ? "PKCS#1" : "SEC1") + " form; convert it to PKCS#8 with "
                        + "'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY8'");
                case "ENCRYPTED PRIVATE KEY" -> throw new IOException(pem
                        + ": the key is encrypted; decrypt it with 'openssl pkcs8 -in KEY -out KEY8'");
                default -> {
                    // A certificate or parameters: look further.
                }
            }
        }
        throw new IOException(pem + ": no private key in it (PKCS#8 PEM expected)");
    }

    private static InputStream open(Path p) throws IOException {
        try {
            return Files.newInputStream(p);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(p.toString(), null, "no such file");
        }
    }

    /** Accepts every server certificate and host name: {@code --trust-any-cert}, for tests. */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
