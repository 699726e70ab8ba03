package org.jcasync.http;

import org.jcasync.io.StreamParser;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreProvider;
import org.jcasync.store.TransportOptions;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.Set;

/** {@code http://} and {@code https://} stores ({@link HttpStore}) and index files (one GET or PUT). */
public final class HttpStoreProvider implements StoreProvider {
    @Override
    public Set<String> schemes() {
        return Set.of("http", "https");
    }

    @Override
    public ChunkStore open(URI location, StoreOptions options, TransportOptions transport) throws IOException {
        return new HttpStore(location, options, transport);
    }

    @Override
    public WritableChunkStore openWritable(URI location, StoreOptions options, TransportOptions transport)
            throws IOException {
        return new HttpStore(location, options, transport);
    }

    @Override
    public org.jcasync.pack.RangeSource openRanges(URI location, TransportOptions transport) throws IOException {
        return new HttpRangeSource(location, transport);
    }

    @Override
    public <T> T readFile(URI location, TransportOptions transport, StreamParser<T> parser) throws IOException {
        HttpLocation at = HttpLocation.of(location, false);
        try (HttpTransport t = transport(at, transport)) {
            return t.getStreamed(at.uri(), "index " + at.display(), parser,
                    () -> new NoSuchFileException(at.display(), null, "no such index (HTTP 404)"));
        }
    }

    @Override
    public void writeFile(URI location, byte[] content, TransportOptions transport) throws IOException {
        HttpLocation at = HttpLocation.of(location, false);
        try (HttpTransport t = transport(at, transport)) {
            HttpTransport.await(t.send(new HttpTransport.Request("PUT", at.uri(), content,
                    "application/octet-stream", 0, null, "upload of " + at.display()), new HttpTransport.Reply<>() {
                        @Override
                        public Boolean ok(byte[] body) {
                            return true;
                        }

                        @Override
                        public Boolean missing() throws IOException {
                            throw new IOException("cannot upload " + at.display()
                                    + ": HTTP 404 (the server does not accept uploads there)");
                        }
                    }));
        }
    }

    private static HttpTransport transport(HttpLocation at, TransportOptions t) throws IOException {
        return new HttpTransport(at.uri().getScheme(), at.basicAuthorization() != null ? at.basicAuthorization()
                : t.authorization(), t,
                new EnvironmentProxySelector(System.getenv()));
    }
}
