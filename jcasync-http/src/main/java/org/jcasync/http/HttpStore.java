package org.jcasync.http;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.BatchReadStore;
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
 * <p>
 * A batch goes to a jcasync chunk-server as one {@code POST <base>/batch} request ({@link BatchFrames}), whose
 * reply streams every frame. The first batch tells whether the server offers it: a 4xx (but 408 and 429) or 501
 * reply (static servers, casync's and desync's servers, CDNs refusing POST) means no, remembered for the store's life, and chunks are then
 * fetched one request each. Frames of a reply that breaks off are kept; the rest are asked for again.
 */
public final class HttpStore extends BatchReadStore implements WritableChunkStore {
    private final HttpLocation base;
    private final StoreOptions options;
    private final HttpTransport transport;
    private final long maxBody;
    private final LongAdder delivered = new LongAdder();
    private final TransportOptions transportOptions;
    /** Whether the server answers batch requests: {@link #UNKNOWN} until the first batch tells. */
    private final java.util.concurrent.atomic.AtomicInteger batches =
            new java.util.concurrent.atomic.AtomicInteger(UNKNOWN);
    /** Taken by the batch that finds out whether the server answers batches; the others wait for it. */
    private final java.util.concurrent.Semaphore probe = new java.util.concurrent.Semaphore(1);
    private static final int UNKNOWN = 0;
    private static final int SUPPORTED = 1;
    private static final int UNSUPPORTED = 2;

    /** The store at {@code location} (user info becomes Basic authentication, in place of the transport's). */
    public HttpStore(URI location, StoreOptions options, TransportOptions transport) throws IOException {
        this(location, options, transport, System.getenv());
    }

    /** The store at {@code location}, with proxies from {@code environment}. */
    HttpStore(URI location, StoreOptions options, TransportOptions transport, java.util.Map<String, String> environment)
            throws IOException {
        this.base = HttpLocation.of(location, true);
        this.options = options;
        this.transportOptions = transport;
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

    /** A downloaded chunk: its frame and what it decompresses to (not yet verified). */
    private record Fetched(byte[] stored, byte[] data) {
    }

    /**
     * Fetches the batch (in one batch request when the server offers them, else with every chunk's request in
     * flight at once), then verifies the chunks together; a missing chunk is null.
     */
    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        Fetched[] fetched = ids.size() > 1 ? inBatches(ids) : null;
        if (fetched == null) {
            fetched = oneByOne(ids);
        }
        byte[][] out = new byte[ids.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = fetched[i] == null ? null : fetched[i].data();
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
                    listener.fetched(ids.get(i), out[i], fetched[i].stored());
                }
            }
        }
        return out;
    }

    /** One GET per chunk, all in flight at once; a missing chunk is null. */
    private Fetched[] oneByOne(List<ChunkId> ids) throws IOException {
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
        Fetched[] out = new Fetched[ids.size()];
        IOException first = null;
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = HttpTransport.await(inFlight.get(i));
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
        return out;
    }

    /**
     * The batch through batch requests, or null when the server does not offer them. Chunks a reply did not bring
     * (it broke off, or a frame did not decompress) are asked for again, as many times as the transport retries.
     */
    private Fetched[] inBatches(List<ChunkId> ids) throws IOException {
        if (batches.get() == UNKNOWN) {
            try {
                probe.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for a batch request");
            }
            try {
                if (batches.get() == UNKNOWN) {
                    return batchRounds(ids);
                }
            } finally {
                probe.release();
            }
        }
        return batches.get() == SUPPORTED ? batchRounds(ids) : null;
    }

    /** What one batch request brought. */
    private record BatchResult(boolean supported, Fetched[] fetched, boolean[] done, String problem) {
    }

    private Fetched[] batchRounds(List<ChunkId> ids) throws IOException {
        Fetched[] out = new Fetched[ids.size()];
        List<Integer> todo = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            todo.add(i);
        }
        for (int attempt = 1; ; attempt++) {
            List<ChunkId> ask = todo.stream().map(ids::get).toList();
            BatchResult r = HttpTransport.await(transport.send(batchRequest(ask), new BatchReply(ask)));
            if (!r.supported()) {
                batches.set(UNSUPPORTED);
                return null;
            }
            batches.set(SUPPORTED);
            List<Integer> left = new ArrayList<>();
            for (int k = 0; k < ask.size(); k++) {
                if (r.done()[k]) {
                    out[todo.get(k)] = r.fetched()[k];
                } else {
                    left.add(todo.get(k));
                }
            }
            if (left.isEmpty()) {
                return out;
            }
            if (attempt > transportOptions.retries()) {
                ChunkId first = ids.get(left.getFirst());
                throw new org.jcasync.store.StoreException(first, "batch request to " + base.display("batch")
                        + ": " + r.problem() + "; " + left.size() + " of " + ids.size() + " chunks (the first "
                        + first + ") not received after " + attempt + (attempt == 1 ? " attempt" : " attempts"),
                        null);
            }
            todo = left;
            try {
                Thread.sleep(transportOptions.retryDelay().toMillis() << Math.min(20, attempt - 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while retrying a batch request");
            }
        }
    }

    private HttpTransport.Request batchRequest(List<ChunkId> ids) {
        long max = Math.min(Long.MAX_VALUE / 2, ids.size() * (maxBody + BatchFrames.HEADER));
        return new HttpTransport.Request("POST", base.resolve("batch"), BatchFrames.request(ids),
                "application/octet-stream", max, null, "batch of " + ids.size() + " chunks from " + base.display());
    }

    /** Reads a batch reply: decompresses each frame that arrived whole; the rest are left for the next round. */
    private final class BatchReply implements HttpTransport.Reply<BatchResult> {
        private final List<ChunkId> ids;

        BatchReply(List<ChunkId> ids) {
            this.ids = ids;
        }

        @Override
        public BatchResult ok(byte[] body) {
            Fetched[] fetched = new Fetched[ids.size()];
            boolean[] done = new boolean[ids.size()];
            StringBuilder problem = new StringBuilder();
            int n = BatchFrames.read(body, ids, maxBody, (i, frame) -> {
                if (frame.missing()) {
                    done[i] = true;
                    return;
                }
                try {
                    fetched[i] = new Fetched(frame.stored(), decompress(ids.get(i), frame.stored()));
                    done[i] = true;
                } catch (IOException e) {
                    if (problem.isEmpty()) {
                        problem.append(e.getMessage());
                    }
                }
            }, problem);
            if (n >= 0 && n < ids.size() && problem.isEmpty()) {
                problem.append("the reply broke off after ").append(n).append(" of ").append(ids.size())
                        .append(" chunks");
            }
            return new BatchResult(true, fetched, done, problem.toString());
        }

        @Override
        public BatchResult missing() {
            return unsupported(404);
        }

        @Override
        public boolean optional() {
            return true;
        }

        @Override
        public BatchResult unsupported(int status) {
            return new BatchResult(false, null, null, "HTTP " + status);
        }

        @Override
        public boolean acceptsTruncatedBody() {
            return true;
        }
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

    /** Replies that came over {@code version} (for tests). */
    long replies(java.net.http.HttpClient.Version version) {
        return transport.replies(version);
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
