package org.jcasync.server;

/** Every test of {@link ChunkServerTest} again, over HTTP/2 (h2 negotiated by ALPN over TLS). */
class Http2ChunkServerTest extends ChunkServerTest {
    @Override
    Protocol protocol() throws Exception {
        return Protocol.h2(tmp);
    }
}
