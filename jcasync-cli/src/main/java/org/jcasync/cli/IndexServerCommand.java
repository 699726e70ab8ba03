package org.jcasync.cli;

import org.jcasync.location.StoreStack;
import org.jcasync.server.IndexServer;
import org.jcasync.server.RequestLogger;
import org.jcasync.store.TransportOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code index-server}: serve index files over HTTP(S), as desync's index-server. */
@Command(name = "index-server", sortOptions = false, usageHelpWidth = 80,
        description = {"Serve index files over HTTP(S), as desync's index-server.",
                "The .caibx/.caidx files of one directory (or other location jcasync reads):",
                "GET/HEAD/PUT /NAME, where NAME is the last path segment (e.g.",
                "casync extract http://HOST:PORT/v1.caibx OUT), and the .camap chunk maps",
                "beside them (NAME.caibx.camap). Files are checked to be valid indexes (maps:",
                "magic, size, checksum) before they are sent; only regular files in a local",
                "directory are (no symlinks, FIFOs or devices). With -w, uploads that are",
                "valid replace the file atomically (else 415). Prints 'jcasync index-server",
                "listening on URL' on standard error when ready and serves until SIGTERM or",
                "SIGINT. GET / answers a health line."})
final class IndexServerCommand implements Callable<Integer> {
    @Mixin
    ServerCommandOptions server;

    @Option(names = {"-s", "--store"}, paramLabel = "DIR", required = true,
            description = "Directory (or URL) holding the index files")
    String store;

    @Override
    public Integer call() throws Exception {
        var options = server.serverOptions(null);
        RequestLogger log = server.openLog();
        IndexServer is = new IndexServer(store, StoreStack.standardRegistry(), TransportOptions.DEFAULT,
                IndexServer.DEFAULT_MAX_INDEX_SIZE, options.withRequestLog(log));
        return ServerCommandOptions.serveUntilStopped("index-server", is, log);
    }
}
