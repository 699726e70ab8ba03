package org.jcasync.http;

import org.jcasync.server.TlsFiles;
import org.jcasync.store.TransportOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every test of {@link HttpStoreBatchTest} again with the chunk-server on HTTPS, where the client and the server
 * agree on HTTP/2: a reply broken off is a reset stream there, not a closed connection.
 */
class Http2StoreBatchTest extends HttpStoreBatchTest {
    @TempDir
    static Path keys;
    static TlsFiles tls;

    @BeforeAll
    static void certificate() throws Exception {
        tls = TestKeys.server(keys);
    }

    @Override
    TlsFiles tls() {
        return tls;
    }

    @Override
    TransportOptions transport() {
        return TestKeys.trusting(keys, null);
    }

    @AfterEach
    void everyReplyCameOverHttp2() {
        if (served != null) {
            assertThat(served.replies(HttpClient.Version.HTTP_2)).isPositive();
            assertThat(served.replies(HttpClient.Version.HTTP_1_1)).isZero();
        }
    }
}
