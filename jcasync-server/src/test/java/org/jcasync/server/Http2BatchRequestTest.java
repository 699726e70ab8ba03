package org.jcasync.server;

/** Every test of {@link BatchRequestTest} again, over HTTP/2 (h2 negotiated by ALPN over TLS). */
class Http2BatchRequestTest extends BatchRequestTest {
    @Override
    Protocol protocol() throws Exception {
        return Protocol.h2(tmp);
    }
}
