package org.jcasync.server;

import org.jcasync.chunk.ChunkId;
import org.jcasync.pack.PackId;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HTTP chunk store, as casync's and desync's HTTP clients expect: {@code GET /<4hex>/<id>.cacnk} answers the
 * chunk's compressed frame as the upstream store keeps it (404 when no upstream has it), {@code HEAD} tells
 * whether it exists, and {@code PUT} (only when writable) stores a frame after checking that it decompresses to
 * the chunk its path names. Two extensions for jcasync clients (docs/packs.md): {@code POST /batch} answers many
 * chunks in one streamed reply ({@link BatchReply}), and {@code GET/HEAD /packs/<id>.capack|.capidx} serves the
 * packs of a local store directory with range requests ({@link FileReply}). Any other path is 400. Concurrent
 * reads of one chunk share one upstream read.
 */
public final class ChunkServer extends ProtocolServer<ChunkServer> {
    /** Largest uncompressed chunk accepted by default (8 MiB; casync's default maximum is 256 KiB). */
    public static final int DEFAULT_MAX_CHUNK_SIZE = 8 << 20;

    private final ChunkStore store;
    private final WritableChunkStore writable;
    private final StoreOptions storeOptions;
    private final SingleFlight<ChunkId, byte[]> fetches = new SingleFlight<>();
    private final Path packStore;
    private final boolean verify;

    /**
     * A chunk server (not started) of {@code store}.
     *
     * @param store where chunks are read from (several upstreams: a {@link org.jcasync.store.StoreRouter}, maybe
     *     behind a {@link org.jcasync.store.CachedStore})
     * @param writable where uploads go when {@code options.writable()} (usually the same store), else null
     * @param storeOptions the digest uploads are checked with and the largest chunk accepted
     */
    public ChunkServer(ChunkStore store, WritableChunkStore writable, StoreOptions storeOptions,
                       ServerOptions options) throws IOException {
        this(store, writable, storeOptions, null, false, options);
    }

    /**
     * A chunk server (not started) of {@code store}.
     *
     * @param store where chunks are read from; local stores should be opened with
     *     {@link StoreOptions#withConfinedFiles()}, so that only the store's own regular files are served
     * @param writable where uploads go when {@code options.writable()} (usually the same store), else null
     * @param storeOptions the digest uploads (and with {@code verify} stored chunks) are checked with and the
     *     largest chunk accepted
     * @param packStore the local store directory whose {@code packs/} are served, or null for none
     * @param verify whether each chunk read from {@code store} is decompressed and hashed before it is sent (for
     *     stores that others can write to; a chunk that is not what its name says is a 500)
     */
    public ChunkServer(ChunkStore store, WritableChunkStore writable, StoreOptions storeOptions, Path packStore,
                       boolean verify, ServerOptions options) throws IOException {
        if (options.writable() && writable == null) {
            throw new IllegalArgumentException("a writable chunk-server needs a writable store");
        }
        super("chunk-server", options);
        this.store = store;
        this.writable = options.writable() ? writable : null;
        this.storeOptions = storeOptions;
        this.packStore = packStore;
        this.verify = verify;
    }

    @Override
    public List<String> capabilities() {
        return packStore != null ? List.of("batch", "packs") : List.of("batch");
    }

    @Override
    public String allowedMethods(String rawPath, boolean writable) {
        if (rawPath.equals(BATCH)) {
            return "POST";
        }
        return writable && !rawPath.startsWith(PACKS) ? "GET, HEAD, PUT" : "GET, HEAD";
    }

    /** The path of batch requests. */
    public static final String BATCH = "/batch";
    private static final String PACKS = "/" + PackId.DIRECTORY + "/";
    private static final Pattern PACK_FILE = Pattern.compile(Pattern.quote(PACKS) + "([0-9a-f]{64})("
            + Pattern.quote(PackId.PACK_SUFFIX) + "|" + Pattern.quote(PackId.INDEX_SUFFIX) + ")");

    /** What a request asks for, from its method and path: a batch, a pack file or a chunk. */
    private sealed interface Target {
    }

    private record Batch() implements Target {
    }

    private record PackFile(String name) implements Target {
    }

    private record Chunk(ChunkId id) implements Target {
    }

    /** The target of a request whose method and path can be served, else the refusal (400, 405). */
    private Target target(Call call) throws HttpStatusException {
        String path = call.rawPath();
        String method = call.method();
        if (path.equals(BATCH)) {
            if (!method.equals("POST")) {
                throw new HttpStatusException(405, "batch requests are POSTs");
            }
            return new Batch();
        }
        if (path.startsWith(PACKS)) {
            Matcher m = PACK_FILE.matcher(path);
            if (!m.matches()) {
                throw new HttpStatusException(400, "not a pack path: " + path
                        + " (expected /packs/<64 hex digits>.capack or .capidx)");
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                throw new HttpStatusException(405, "packs are read with GET and HEAD");
            }
            return new PackFile(m.group(1) + m.group(2));
        }
        ChunkId id = ChunkPath.parse(path);
        if (id == null) {
            throw new HttpStatusException(400, "not a chunk path: " + path
                    + " (expected /XXXX/<64 hex digits>.cacnk)");
        }
        return switch (method) {
            case "GET", "HEAD" -> new Chunk(id);
            case "PUT" -> {
                if (writable == null) {
                    throw new HttpStatusException(405, "this chunk-server is read-only (start it with -w to accept "
                            + "uploads)");
                }
                yield new Chunk(id);
            }
            default -> throw new HttpStatusException(405, "only GET, HEAD and PUT are supported");
        };
    }

    @Override
    public void admit(Call call) throws HttpStatusException {
        target(call);
    }

    @Override
    public long bodyLimit(Call call) {
        if (call.rawPath().equals(BATCH)) {
            return BatchReply.MAX_IDS * ChunkId.LENGTH;
        }
        return call.method().equals("PUT") ? uploadLimit() : 0;
    }

    /** The largest upload: a frame of the largest chunk accepted, as zstd may grow it. */
    private int uploadLimit() {
        int max = storeOptions.maxChunkSize();
        return (int) Math.min(Integer.MAX_VALUE - 16, max + (long) max / 128 + 4096);
    }

    @Override
    public Reply serve(Call call) throws IOException {
        return switch (target(call)) {
            case Batch b -> batch(call);
            case PackFile p -> pack(p.name(), call);
            case Chunk c -> switch (call.method()) {
                case "GET" -> get(c.id());
                // Uploaders ask HEAD before PUT: a writable server freshens what it has, so gc keeps it (grace period).
                case "HEAD" -> writable != null && writable.freshen(c.id()) || store.has(c.id()) ? Reply.status(200)
                        : Reply.status(404);
                default -> put(c.id(), call);
            };
        };
    }

    /**
     * {@code POST /batch}: the frames of the ids in the body, streamed in order; each upstream read takes a turn of
     * its own, so a client that reads the reply slowly holds none while it is written.
     */
    private Reply batch(Call call) throws IOException {
        List<ChunkId> ids = BatchReply.parseIds(call.body());
        return Reply.streamed(200, Reply.OCTETS, -1, null, new BatchReply(ids, id -> call.inTurn(() -> {
            try {
                return fetch(id);
            } catch (ChunkMissingException e) {
                return null;
            }
        })));
    }

    /** {@code GET/HEAD /packs/<id>.capack|.capidx}, with ranges. */
    private Reply pack(String name, Call call) throws IOException {
        if (packStore == null) {
            throw new HttpStatusException(404, "pack " + name + " not found (this chunk-server serves no packs: "
                    + "its first store is not a local directory)");
        }
        return FileReply.of(packStore, PackId.DIRECTORY + "/" + name, call.header("Range"), Reply.OCTETS,
                "pack " + name).withHeader("ETag", "\"" + name + "\"");
    }

    private Reply get(ChunkId id) throws IOException {
        try {
            return Reply.octets(fetch(id));
        } catch (ChunkMissingException e) {
            throw new HttpStatusException(404, "chunk " + id + " not found");
        }
    }

    /**
     * The stored frame of {@code id}; concurrent requests share one upstream read, and with {@code verify} the frame
     * is decompressed and hashed once for them all.
     */
    private byte[] fetch(ChunkId id) throws IOException {
        return fetches.get(id, () -> {
            byte[] frame = store.getStored(id);
            String problem = verify ? problem(id, frame) : null;
            if (problem != null) {
                throw new HttpStatusException(500, "chunk " + id + " is invalid in " + store.location() + ": "
                        + problem);
            }
            return frame;
        });
    }

    private Reply put(ChunkId id, Call call) throws IOException {
        byte[] body = call.body();
        String problem = problem(id, body);
        if (problem != null) {
            throw new HttpStatusException(400, "chunk " + id + " refused: " + problem);
        }
        return writable.putStored(id, body) ? Reply.text(201, "stored") : Reply.text(200, "already stored");
    }

    /** What is wrong with {@code frame} as the stored frame of chunk {@code id}, or null when it is that chunk. */
    private String problem(ChunkId id, byte[] frame) {
        int max = storeOptions.maxChunkSize();
        byte[] data;
        try {
            data = Compression.decompress(frame, frame.length, max);
        } catch (IOException e) {
            return "not a compressed chunk of at most " + max + " bytes (" + e.getMessage() + ")";
        }
        if (data.length == 0) {
            return "it is empty";
        }
        ChunkId actual = ChunkId.of(storeOptions.digest().digestBytes(data, 0, data.length));
        return actual.equals(id) ? null : "its content is chunk " + actual;
    }
}
