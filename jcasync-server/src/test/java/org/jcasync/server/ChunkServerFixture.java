package org.jcasync.server;

import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An empty local store in a temporary directory, and the chunk-server a test starts (closed after the test). */
abstract class ChunkServerFixture {
    @TempDir
    Path tmp;
    LocalStore store;
    ChunkServer server;

    @BeforeEach
    void createStore() throws IOException {
        store = new LocalStore(tmp.resolve("store.castr"), StoreOptions.DEFAULT);
        Files.createDirectories(store.root());
    }

    @AfterEach
    void closeServer() {
        if (server != null) {
            server.close();
        }
    }

    /** How the tests reach the server: plain HTTP/1.1 (a subclass runs them all again over HTTP/2). */
    Protocol protocol() throws Exception {
        return Protocol.HTTP_1_1;
    }
}
