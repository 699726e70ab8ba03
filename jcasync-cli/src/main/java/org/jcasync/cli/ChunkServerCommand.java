package org.jcasync.cli;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.SizeParser;
import org.jcasync.location.StoreStack;
import org.jcasync.server.ChunkServer;
import org.jcasync.server.RequestLogger;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.WritableChunkStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code chunk-server}: serve chunk stores over HTTP(S), as desync's chunk-server. */
@Command(name = "chunk-server", sortOptions = false, usageHelpWidth = 80,
        description = {"Serve chunk stores over HTTP(S), as desync's chunk-server.",
                "GET/HEAD/PUT /XXXX/<id>.cacnk, the layout casync's and desync's HTTP clients",
                "read (e.g. casync extract --store=http://HOST:PORT/ ...).",
                "Chunks are looked up in each -s store in turn (any location jcasync reads:",
                "a directory, file://, other schemes of installed modules; A|B is a failover",
                "group), through the -c cache when given; concurrent requests for one chunk",
                "share one upstream read. Chunks are sent as stored (compressed); only regular",
                "files inside a local store are served (no symlinks, FIFOs or devices). With",
                "-w, uploads are accepted into the single -s store once they decompress to",
                "the chunk their path names. Prints 'jcasync chunk-server listening on URL'",
                "on standard error when ready and serves until SIGTERM or SIGINT. GET /",
                "answers a health line and the extensions offered. For jcasync clients:",
                "POST /batch answers many chunks in one streamed reply, and GET/HEAD",
                "/packs/<id>.capack|.capidx serves the packs of the first -s store (when it",
                "is a local directory) with range requests (see docs/packs.md)."})
final class ChunkServerCommand implements Callable<Integer> {
    @Mixin
    ServerCommandOptions server;

    @Option(names = {"-s", "--store"}, paramLabel = "STORE", required = true,
            description = "Upstream chunk store; repeatable, tried in order")
    List<String> stores = new ArrayList<>();

    @Option(names = {"-c", "--cache"}, paramLabel = "DIR",
            description = "Local store keeping every chunk fetched from the upstreams "
                    + "(not with -w)")
    String cache;

    @Option(names = "--digest", paramLabel = "DIGEST",
            description = "Digest uploaded chunks are checked with: sha512-256 (default) or sha256")
    String digest;

    @Option(names = "--max-chunk-size", paramLabel = "SIZE",
            description = "Largest uncompressed chunk accepted in an upload (default: 8M)")
    String maxChunkSize;

    @Option(names = "--verify",
            description = "Decompress and hash each chunk before sending it (for stores "
                    + "others can write to; costs CPU, see docs/reliability.md)")
    boolean verify;

    /** The store whose packs are served: the first one, when it is a local directory (not a failover group). */
    private Path packStore() {
        String first = stores.getFirst();
        return first.contains("|") ? null : StoreRegistry.localPath(first);
    }

    @Override
    public Integer call() throws Exception {
        if (server.writable && stores.size() != 1) {
            throw new UserException("-w needs exactly one store (-s), not " + stores.size());
        }
        if (server.writable && cache != null) {
            throw new UserException("-w cannot be combined with a cache (-c)");
        }
        if (!server.writable) {
            for (String s : stores) {
                for (String member : s.split("\\|")) {
                    Path local = StoreRegistry.localPath(member);
                    if (local != null && !Files.isDirectory(local)) {
                        throw new NoSuchFileException(local.toString(), null, "chunk store directory not found");
                    }
                }
            }
        }
        DigestAlgorithm d = digest == null ? DigestAlgorithm.SHA512_256 : DigestAlgorithm.parse(digest);
        long max = maxChunkSize == null ? ChunkServer.DEFAULT_MAX_CHUNK_SIZE : SizeParser.parse(maxChunkSize);
        if (max < 1 || max > ChunkerParams.LIMIT_MAX) {
            throw new UserException("--max-chunk-size must be between 1 and " + ChunkerParams.LIMIT_MAX);
        }
        // Only the stores' own regular files are served: no symlink out of a store, no FIFO that hangs a request.
        StoreOptions so = new StoreOptions(d, (int) max, Compression.ZSTD).withConfinedFiles();
        var options = server.serverOptions(null);
        StoreStack upstreams = StoreStack.builder().store(stores.getFirst())
                .extraStores(stores.subList(1, stores.size())).cache(cache);
        WritableChunkStore writable = null;
        ChunkStore upstream;
        if (server.writable) {
            Path local = StoreRegistry.localPath(stores.getFirst());
            if (local != null) {
                Files.createDirectories(local);
            }
            writable = upstreams.openWritable(null, so);
            upstream = writable;
        } else {
            upstream = upstreams.open(so);
        }
        RequestLogger log = server.openLog();
        ChunkServer cs = new ChunkServer(upstream, writable, so, packStore(), verify, options.withRequestLog(log));
        return ServerCommandOptions.serveUntilStopped("chunk-server", cs, upstream, log);
    }
}
