package org.jcasync.server;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a test reaches its server: the TLS the server gets (or none) and the protocol its client asks for. Test
 * classes take one, so that their subclasses run every test again over HTTP/2.
 *
 * @param tls the server's certificate, or null for plain http
 * @param trust the client's TLS context, or null for plain http
 * @param version the protocol the client asks for, and every reply must come over
 */
record Protocol(TlsFiles tls, SSLContext trust, HttpClient.Version version) {
    /** Plain HTTP/1.1, as casync's libcurl and nginx-style clients speak it. */
    static final Protocol HTTP_1_1 = new Protocol(null, null, HttpClient.Version.HTTP_1_1);

    /** HTTPS with a certificate made in {@code dir}, the client asking for HTTP/2 by ALPN (h2). */
    static Protocol h2(Path dir) throws Exception {
        TlsFiles tls = TestCertificates.server(dir);
        return new Protocol(tls, TestCertificates.client(dir, null), HttpClient.Version.HTTP_2);
    }

    /** {@code options} served this way. */
    ServerOptions serve(ServerOptions options) {
        return tls == null ? options : options.withTls(tls);
    }

    /** http or https. */
    String scheme() {
        return tls == null ? "http" : "https";
    }

    /** A client of the server at {@code base}. */
    Http client(URI base) {
        HttpClient.Builder b = HttpClient.newBuilder().version(version).connectTimeout(Duration.ofSeconds(10));
        if (trust != null) {
            b.sslContext(trust);
        }
        return new Http(base, b.build());
    }
}
