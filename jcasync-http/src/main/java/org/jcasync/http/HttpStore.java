package org.jcasync.http;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.Compression;
import org.jcasync.store.FetchListener;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransportOptions;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * A chunk store on a web server, in casync's layout: chunk {@code <id>} is at
 * {@code <base>/<first 4 hex>/<id>.cacnk}, so any static file server in front of a casync store directory serves
 * it (desync's chunk-server too). {@code GET} reads (200: the compressed frame; 404 or 410: missing), {@code HEAD}
 * tells whether a chunk is there, {@code PUT} adds one. Every chunk read is decompressed (at most the index's
 * maximum chunk size) and verified against its id; a batch ({@link #getAll}) is put in flight at once and verified
 * with one multi-buffer digest call. Failures that may pass (transport errors, timeouts, 5xx, 429, short or
 * undecodable bodies) are retried with back-off; see {@link HttpTransport}.
 */
public final class HttpStore implements WritableChunkStore {
    private final HttpLocation base;
    private final StoreOptions options;
    private final HttpTransport transport;
    private final long maxBody;
    private final LongAdder delivered = new LongAdder();

    /** The store at {@code location} (user info becomes Basic authentication, in place of the transport's). */
    public HttpStore(URI location, StoreOptions options, TransportOptions transport) throws IOException {
        this(location, options, transport, System.getenv());
    }

    /** The store at {@code location}, with proxies from {@code environment}. */
    HttpStore(URI location, StoreOptions options, TransportOptions transport, java.util.Map<String, String> environment)
            throws IOException {
        this.base = HttpLocation.of(location, true);
        this.options = options;
        String auth = base.basicAuthorization() != null ? base.basicAuthorization() : transport.authorization();
        this.transport = new HttpTransport(base.uri().getScheme(), auth, transport,
                new EnvironmentProxySelector(environment));
        this.maxBody = maxCompressedSize(options.maxChunkSize());
    }

    /**
     * The largest body accepted for a chunk of at most {@code maxChunkSize} bytes: what a compressor makes of
     * incompressible data is only slightly larger than it, and casync's uncompressed chunks are exactly it.
     */
    static long maxCompressedSize(int maxChunkSize) {
        return maxChunkSize + maxChunkSize / 8L + 65536;
    }

    private static String relative(ChunkId id) {
        String hex = id.toHex();
        return hex.substring(0, 4) + "/" + hex + LocalStore.SUFFIX;
    }

    private HttpTransport.Request request(String method, ChunkId id, byte[] body) {
        String rel = relative(id);
        return new HttpTransport.Request(method, base.resolve(rel), body, body == null ? null
                : Compression.detect(body, body.length) == Compression.ZSTD ? "application/zstd"
                : "application/octet-stream", maxBody, id, "chunk " + id + " from " + base.display());
    }

    @Override
    public String location() {
        return base.display();
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        byte[] d = getAll(List.of(id))[0];
        if (d == null) {
            throw new ChunkMissingException(id, location());
        }
        return d;
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids) throws IOException {
        return getAll(ids, null);
    }

    /** A downloaded chunk: its frame and what it decompresses to (not yet verified). */
    private record Fetched(byte[] stored, byte[] data) {
    }

    /** Puts every chunk of the batch in flight, then verifies them together; a missing chunk is null. */
    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        List<CompletableFuture<Fetched>> inFlight = new ArrayList<>(ids.size());
        for (ChunkId id : ids) {
            inFlight.add(transport.send(request("GET", id, null), new HttpTransport.Reply<>() {
                @Override
                public Fetched ok(byte[] body) throws IOException {
                    return new Fetched(body, decompress(id, body));
                }

                @Override
                public Fetched missing() {
                    return null;
                }
            }));
        }
        byte[][] out = new byte[ids.size()][];
        byte[][] stored = new byte[ids.size()][];
        IOException first = null;
        for (int i = 0; i < out.length; i++) {
            try {
                Fetched f = HttpTransport.await(inFlight.get(i));
                if (f != null) {
                    out[i] = f.data();
                    stored[i] = f.stored();
                }
            } catch (IOException e) {
                // Wait for the rest too, so no request of this batch outlives the call.
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
        ChunkId[] actual = options.digest().ids(out);
        for (int i = 0; i < out.length; i++) {
            if (out[i] != null && !actual[i].equals(ids.get(i))) {
                throw new ChunkInvalidException(ids.get(i), location(), "its content (from "
                        + base.display(relative(ids.get(i))) + ") has digest " + actual[i], null);
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] != null) {
                delivered.increment();
                if (listener != null) {
                    listener.fetched(ids.get(i), out[i], stored[i]);
                }
            }
        }
        return out;
    }

    /** Decompresses a downloaded frame; one that does not decompress may be a transfer fault, so it is retried. */
    private byte[] decompress(ChunkId id, byte[] stored) throws IOException {
        String url = base.display(relative(id));
        if (stored.length == 0) {
            throw new ChunkInvalidException(id, location(), "empty reply for " + url, null);
        }
        try {
            return Compression.decompress(stored, stored.length, options.maxChunkSize());
        } catch (IOException e) {
            throw new HttpTransport.RetryableException("chunk " + id + " from " + url + ": " + e.getMessage(),
                    attempts -> new ChunkInvalidException(id, location(), e.getMessage() + " (from " + url
                            + ", " + attempts + (attempts == 1 ? " attempt" : " attempts") + ")", e));
        }
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        byte[] b = HttpTransport.await(transport.send(request("GET", id, null), new HttpTransport.Reply<>() {
            @Override
            public byte[] ok(byte[] body) {
                return body;
            }

            @Override
            public byte[] missing() {
                return null;
            }
        }));
        if (b == null) {
            throw new ChunkMissingException(id, location());
        }
        return b;
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        return HttpTransport.await(transport.send(request("HEAD", id, null), new HttpTransport.Reply<>() {
            @Override
            public Boolean ok(byte[] body) {
                return true;
            }

            @Override
            public Boolean missing() {
                return false;
            }
        }));
    }

    /** Asks whether the server has the chunk ({@code HEAD}); compresses and uploads it when not. */
    @Override
    public boolean put(ChunkId id, byte[] data, int off, int len) throws IOException {
        return !has(id) && upload(id, options.compression().compress(data, off, len));
    }

    /** Uploads the frame as it is ({@code PUT}) unless the server has the chunk already. */
    @Override
    public boolean putStored(ChunkId id, byte[] stored) throws IOException {
        return !has(id) && upload(id, stored);
    }

    /** {@code PUT}: a server that answers 2xx has the chunk. */
    private boolean upload(ChunkId id, byte[] stored) throws IOException {
        return HttpTransport.await(transport.send(request("PUT", id, stored), new HttpTransport.Reply<>() {
            @Override
            public Boolean ok(byte[] body) {
                return true;
            }

            @Override
            public Boolean missing() throws IOException {
                throw new IOException("cannot upload chunk " + id + " to " + base.display()
                        + ": HTTP 404 (the server does not accept uploads there)");
            }
        }));
    }

    @Override
    public long bytesRead() {
        return transport.downloaded();
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(location(), delivered.sum(), transport.downloaded(), transport.requests(),
                transport.retries(), transport.errors()));
    }

    /** The concurrency limit (for tests and reports). */
    AdaptiveLimit limit() {
        return transport.limit();
    }

    @Override
    public void close() {
        transport.close();
    }

    @Override
    public String toString() {
        return location();
    }
}
