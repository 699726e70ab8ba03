package org.jcasync.server;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.List;

/** A chunk or index server: started, asked where it listens, waited for and stopped. */
public interface StoreServer extends Closeable {
    /** Binds every listen address and starts serving. */
    StoreServer start() throws IOException;

    /** The base URL of each listen address (with the real port when 0 was asked for), once started. */
    List<URI> uris();

    /** Waits until the server stops. */
    void join() throws InterruptedException;

    /** Stops serving: requests in progress get a few seconds to finish. Stores stay open (the caller's). */
    @Override
    void close();
}
