package org.jcasync.server;

import java.io.IOException;
import java.net.URI;
import java.util.List;

/**
 * A {@link Service} with its own {@link StoreHttpServer}: the starting, waiting and stopping that the chunk server
 * and the index server share.
 *
 * @param <S> the concrete server, which {@link #start} returns
 */
public abstract class ServedService<S extends ServedService<S>> implements Service, StoreServer {
    private final StoreHttpServer http;

    /** Serves this service as {@code name} (for logs and the health line) with {@code options}. */
    protected ServedService(String name, ServerOptions options) throws IOException {
        this.http = new StoreHttpServer(name, options, this);
    }

    @SuppressWarnings("unchecked")
    @Override
    public S start() throws IOException {
        http.start();
        return (S) this;
    }

    @Override
    public List<URI> uris() {
        return http.uris();
    }

    @Override
    public void join() throws InterruptedException {
        http.join();
    }

    @Override
    public void close() {
        http.close();
    }
}
