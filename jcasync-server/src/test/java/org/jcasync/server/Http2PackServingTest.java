package org.jcasync.server;

/** Every test of {@link PackServingTest} again, over HTTP/2 (h2 negotiated by ALPN over TLS). */
class Http2PackServingTest extends PackServingTest {
    @Override
    Protocol protocol() throws Exception {
        return Protocol.h2(tmp);
    }
}
