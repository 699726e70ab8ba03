package org.jcasync.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM certificates and PKCS#8 keys turned into in-memory key stores, for TLS without keytool files. */
public final class PemKeys {
    /** The password of the in-memory key stores (they never leave the process). */
    public static final char[] PASSWORD = "jcasync".toCharArray();
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    private PemKeys() {
    }

    /** A key store holding {@code key} (alias "server") with the certificate chain of {@code certificates}. */
    public static KeyStore keyStore(Path certificates, Path key) throws IOException {
        List<Certificate> chain = certificates(certificates);
        PrivateKey pk = privateKey(key);
        if (!matches(pk, chain.getFirst())) {
            throw new IOException("the key " + key + " does not belong to the certificate " + certificates);
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", pk, PASSWORD, chain.toArray(new Certificate[0]));
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException(key + " does not go with the certificate " + certificates + ": " + e.getMessage(),
                    e);
        }
    }

    /** Whether {@code key} is the private key of {@code cert}: a signature made with it verifies with the cert. */
    private static boolean matches(PrivateKey key, Certificate cert) throws IOException {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (alg == null) {
            return true;
        }
        byte[] probe = "jcasync".getBytes(StandardCharsets.US_ASCII);
        try {
            java.security.Signature sign = java.security.Signature.getInstance(alg);
            sign.initSign(key);
            sign.update(probe);
            byte[] sig = sign.sign();
            java.security.Signature verify = java.security.Signature.getInstance(alg);
            verify.initVerify(cert.getPublicKey());
            verify.update(probe);
            return verify.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** A key store trusting every certificate in the PEM file {@code certificates}. */
    public static KeyStore trustStore(Path certificates) throws IOException {
        List<Certificate> all = certificates(certificates);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < all.size(); i++) {
                ks.setCertificateEntry("ca" + i, all.get(i));
            }
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException(certificates + ": " + e.getMessage(), e);
        }
    }

    /** The certificates of a PEM file, in file order; at least one. */
    public static List<Certificate> certificates(Path pem) throws IOException {
        byte[] content = read(pem);
        try {
            Collection<? extends Certificate> c = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(content));
            if (c.isEmpty()) {
                throw new IOException(pem + ": no certificate in it (expected PEM: BEGIN CERTIFICATE)");
            }
            return List.copyOf(c);
        } catch (GeneralSecurityException e) {
            throw new IOException(pem + ": not a PEM certificate file (" + e.getMessage() + ")", e);
        }
    }

    /** The private key of a PEM file holding a PKCS#8 key (RSA, EC, Ed25519 or Ed448). */
    public static PrivateKey privateKey(Path pem) throws IOException {
        String text = new String(read(pem), StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
                    try {
                        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (GeneralSecurityException e) {
                        // try the next algorithm
                    }
                }
                throw new IOException(pem + ": unsupported private key (RSA, EC, Ed25519 or Ed448 expected)");
            }
            if (type.endsWith("PRIVATE KEY")) {
                throw new IOException(pem + ": '" + type + "' is not PKCS#8; convert it with 'openssl pkcs8 -topk8"
                        + " -nocrypt -in " + pem + "'");
            }
        }
        throw new IOException(pem + ": no private key in it (expected PEM: BEGIN PRIVATE KEY)");
    }

    private static byte[] read(Path p) throws IOException {
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(p.toString(), null, "no such file");
        }
    }
}
