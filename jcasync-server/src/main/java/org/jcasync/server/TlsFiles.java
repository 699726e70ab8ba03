package org.jcasync.server;

import java.nio.file.Path;

/**
 * The files a server needs for HTTPS.
 *
 * @param certificate PEM certificate chain, the server's own certificate first
 * @param key PEM private key of that certificate (PKCS#8: {@code BEGIN PRIVATE KEY})
 * @param clientCa PEM certificate(s) a client certificate must be issued by (mutual TLS), or null for none
 */
public record TlsFiles(Path certificate, Path key, Path clientCa) {
    public TlsFiles {
        if (certificate == null || key == null) {
            throw new IllegalArgumentException("TLS needs both a certificate and its key");
        }
    }

    /** Whether clients must present a certificate issued by {@link #clientCa}. */
    public boolean mutual() {
        return clientCa != null;
    }
}
