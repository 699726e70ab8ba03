package org.jcasync.server;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.List;

/**
 * A server speaking one {@link StoreProtocol} on its own Jetty server ({@code JettyServer}): what the chunk server
 * and the index server share about starting, asking where they listen, waiting and stopping.
 *
 * @param <S> the concrete server, which {@link #start} returns
 */
public abstract class ProtocolServer<S extends ProtocolServer<S>> implements StoreProtocol, Closeable {
    private final JettyServer http;

    /** Serves this protocol as {@code name} (for logs and the health line) with {@code options}. */
    protected ProtocolServer(String name, ServerOptions options) throws IOException {
        this.http = new JettyServer(name, options, this);
    }

    /** Binds every listen address and starts serving. */
    @SuppressWarnings("unchecked")
    public S start() throws IOException {
        http.start();
        return (S) this;
    }

    /** The base URL of each listen address (with the real port when 0 was asked for), once started. */
    public List<URI> uris() {
        return http.uris();
    }

    /** Waits until the server stops. */
    public void join() throws InterruptedException {
        http.join();
    }

    /** Stops serving: requests in progress get a few seconds to finish. Stores stay open (the caller's). */
    @Override
    public void close() {
        http.close();
    }
}
