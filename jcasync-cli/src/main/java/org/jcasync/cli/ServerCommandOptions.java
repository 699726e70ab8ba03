package org.jcasync.cli;

import org.jcasync.server.ListenAddress;
import org.jcasync.server.RequestLogger;
import org.jcasync.server.ServerLimits;
import org.jcasync.server.ServerOptions;
import org.jcasync.server.ProtocolServer;
import org.jcasync.server.TlsFiles;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The options chunk-server and index-server share (desync's server flags). The servers' own option class, not
 * {@link CasyncOptions}: their short flags ({@code -l}, {@code -w}...) mean other things there.
 */
final class ServerCommandOptions {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;

    @Option(names = {"-l", "--listen"}, paramLabel = "ADDR",
            description = "Address to listen on: HOST:PORT, :PORT (every interface) or [IPv6]:PORT; repeatable;"
                    + " port 0 picks a free one (default: 127.0.0.1:8080)")
    List<String> listen = new ArrayList<>();

    @Option(names = {"-w", "--writable", "--writeable"},
            description = "Accept uploads (PUT) from clients with the --authorization value (required with -w)")
    boolean writable;

    @Option(names = "--cert", paramLabel = "PEM", description = "Serve HTTPS with this certificate (chain); "
            + "HTTP/2 or HTTP/1.1 as the client chooses (ALPN)")
    Path cert;

    @Option(names = "--key", paramLabel = "PEM", description = "Private key of --cert (PKCS#8 PEM)")
    Path key;

    @Option(names = "--mutual-tls", description = "Require a client certificate issued by --client-ca")
    boolean mutualTls;

    @Option(names = "--client-ca", paramLabel = "PEM", description = "CA certificate(s) for --mutual-tls")
    Path clientCa;

    @Option(names = "--authorization", paramLabel = "VALUE",
            description = "Authorization header value every request must carry, else 401 (default:"
                    + " $DESYNC_HTTP_AUTH, else $CASYNC_HTTP_AUTHORIZATION)")
    String authorization;

    @Option(names = "--log", paramLabel = "FILE",
            description = "Log each request as one line to FILE (appended), or - for standard error")
    String log;

    @Option(names = "--max-requests", paramLabel = "N",
            description = "Requests worked on at once; more wait their turn (default: "
                    + ServerLimits.DEFAULT_MAX_REQUESTS + ")")
    int maxRequests = ServerLimits.DEFAULT_MAX_REQUESTS;

    /** The server options; {@code requestLog} is the opened {@link #log}, or null. */
    ServerOptions serverOptions(RequestLogger requestLog) {
        if ((cert == null) != (key == null)) {
            throw new UserException("--cert and --key go together");
        }
        if (mutualTls && clientCa == null) {
            throw new UserException("--mutual-tls needs --client-ca");
        }
        if (clientCa != null && !mutualTls) {
            throw new UserException("--client-ca is only used with --mutual-tls");
        }
        if (mutualTls && cert == null) {
            throw new UserException("--mutual-tls needs TLS (--cert and --key)");
        }
        if (maxRequests < 1) {
            throw new UserException("--max-requests must be at least 1");
        }
        List<ListenAddress> addresses = new ArrayList<>();
        for (String l : listen) {
            addresses.add(ListenAddress.parse(l));
        }
        if (addresses.isEmpty()) {
            addresses.add(ListenAddress.DEFAULT);
        }
        if (writable && authorization() == null) {
            throw new UserException("-w needs --authorization (or $DESYNC_HTTP_AUTH): uploads are accepted only from "
                    + "clients that present it");
        }
        return new ServerOptions(addresses, writable, authorization(),
                cert == null ? null : new TlsFiles(cert, key, mutualTls ? clientCa : null), requestLog,
                ServerLimits.DEFAULT.withMaxRequests(maxRequests));
    }

    private String authorization() {
        for (String a : new String[] {authorization, System.getenv("DESYNC_HTTP_AUTH"),
                System.getenv("CASYNC_HTTP_AUTHORIZATION")}) {
            if (a != null && !a.isEmpty()) {
                return a;
            }
        }
        return null;
    }

    /** The request log asked for with --log, or null. */
    RequestLogger openLog() throws IOException {
        return log == null ? null : RequestLogger.open(log);
    }

    /**
     * Starts {@code server}, says where it listens on one line of standard error, and serves until the process is
     * told to stop (SIGTERM, SIGINT): then the server stops cleanly (requests in progress get a few seconds).
     */
    static int serveUntilStopped(String verb, ProtocolServer<?> server, AutoCloseable... alsoClose) throws IOException {
        Thread hook = new Thread(() -> {
            server.close();
            for (AutoCloseable c : alsoClose) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (Exception e) {
                    // Stopping anyway.
                }
            }
        }, "jcasync-" + verb + "-stop");
        server.start();
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter err = new PrintWriter(System.err, true);
        err.println("jcasync " + verb + " listening on "
                + server.uris().stream().map(URI::toString).collect(Collectors.joining(" and ")));
        try {
            server.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
