package org.jcasync.server;

import org.jcasync.index.IndexReader;
import org.jcasync.io.RegularFile;
import org.jcasync.pack.ChunkMap;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.TransportOptions;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;

/**
 * An HTTP index store, as desync's index-server: {@code GET/HEAD/PUT /<name>} where the name is the last path
 * segment and a plain {@code .caibx}/{@code .caidx} file name, or the {@code .camap} chunk map beside one (else
 * 400). Chunk maps are checked for their magic, size and checksum. Files live in one upstream: a local
 * directory or any location {@link StoreRegistry} reads and writes. GET checks the file is a valid index before
 * sending it; PUT (only when writable) needs a body that is a valid index (else 415) and replaces the file
 * atomically. At most a few index files are held in memory at once.
 */
public final class IndexServer extends ProtocolServer<IndexServer> {
    /** Largest index accepted by default (256 MiB: about 6.7 million chunks). */
    public static final int DEFAULT_MAX_INDEX_SIZE = 256 << 20;
    private static final int TRANSFERS = 4;

    private final String location;
    private final StoreRegistry registry;
    private final TransportOptions transport;
    private final int maxIndexSize;
    private final boolean writable;
    private final Semaphore transfers = new Semaphore(TRANSFERS, true);

    /**
     * An index server (not started) for the files at {@code location} (a local directory, which must exist, or a
     * URL of a scheme {@code registry} knows).
     */
    public IndexServer(String location, StoreRegistry registry, TransportOptions transport, int maxIndexSize,
                       ServerOptions options) throws IOException {
        Path local = StoreRegistry.localPath(location);
        if (local != null && !Files.isDirectory(local)) {
            throw new NoSuchFileException(local.toString(), null, "index store directory not found");
        }
        super("index-server", options);
        this.location = location;
        this.registry = registry;
        this.transport = transport;
        this.maxIndexSize = maxIndexSize;
        this.writable = options.writable();
    }

    @Override
    public void admit(Call call) throws HttpStatusException {
        IndexName.of(call.decodedPath());
        String method = call.method();
        if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("PUT")) {
            throw new HttpStatusException(405, "only GET, HEAD and PUT are supported");
        }
        if (method.equals("PUT") && !writable) {
            throw new HttpStatusException(405, "this index-server is read-only (start it with -w to accept uploads)");
        }
    }

    @Override
    public long bodyLimit(Call call) {
        return call.method().equals("PUT") ? maxIndexSize : 0;
    }

    @Override
    public Reply serve(Call call) throws IOException {
        admit(call);
        String name = IndexName.of(call.decodedPath());
        String method = call.method();
        Path local = StoreRegistry.localPath(location);
        if (method.equals("HEAD") && local != null) {
            return RegularFile.isRegularBelow(local, name) ? Reply.status(200) : Reply.status(404);
        }
        try {
            transfers.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpStatusException(503, "the index-server is stopping");
        }
        try {
            return method.equals("PUT") ? put(name, call) : get(name, method.equals("HEAD"));
        } finally {
            transfers.release();
        }
    }

    private String locate(String name) {
        Path local = StoreRegistry.localPath(location);
        if (local != null) {
            return local.resolve(name).toString();
        }
        return location.endsWith("/") ? location + name : location + "/" + name;
    }

    private Reply get(String name, boolean head) throws IOException {
        byte[] b;
        try {
            b = read(name);
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw new HttpStatusException(404, kind(name) + " " + name + " not found");
        } catch (RegularFile.NotRegularException e) {
            throw new HttpStatusException(500, kind(name) + " " + name + " is not served: it " + e.getReason());
        }
        if (b == null) {
            throw new HttpStatusException(500, "stored " + kind(name) + " " + name + " is larger than "
                    + maxIndexSize + " bytes");
        }
        if (head) {
            return Reply.status(200);
        }
        try {
            validate(b, name);
        } catch (IOException e) {
            throw new HttpStatusException(500, "stored " + kind(name) + " " + name + " is not valid: "
                    + e.getMessage());
        }
        return Reply.octets(b);
    }

    /**
     * The file {@code name}: from a local directory only a regular file in it (no symlink, nothing that blocks),
     * null when larger than the index limit.
     */
    private byte[] read(String name) throws IOException {
        Path local = StoreRegistry.localPath(location);
        if (local == null) {
            return registry.readFile(locate(name), transport);
        }
        try (RegularFile f = RegularFile.openBelow(local, name)) {
            return f.readAll(maxIndexSize);
        }
    }

    /** Checks an index file, or a chunk map's magic, size and checksum (its index may not be there yet). */
    private static void validate(byte[] file, String name) throws IOException {
        if (IndexName.isChunkMap(name)) {
            ChunkMap.check(file, name);
        } else {
            IndexReader.read(new ByteArrayInputStream(file), name);
        }
    }

    private static String kind(String name) {
        return IndexName.isChunkMap(name) ? "chunk map" : "index";
    }

    private Reply put(String name, Call call) throws IOException {
        byte[] body = call.body();
        try {
            validate(body, name);
        } catch (IOException e) {
            throw new HttpStatusException(415, kind(name) + " " + name + " refused: " + e.getMessage());
        }
        registry.writeFile(locate(name), body, transport);
        return Reply.text(200, "stored");
    }
}
