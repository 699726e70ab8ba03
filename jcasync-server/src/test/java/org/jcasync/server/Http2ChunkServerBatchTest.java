package org.jcasync.server;

/** Every test of {@link ChunkServerBatchTest} again, over HTTP/2 (h2 negotiated by ALPN over TLS). */
class Http2ChunkServerBatchTest extends ChunkServerBatchTest {
    @Override
    Protocol protocol() throws Exception {
        return Protocol.h2(tmp);
    }
}
