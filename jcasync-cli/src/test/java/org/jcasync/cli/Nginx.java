package org.jcasync.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * The Debian nginx serving a directory as static files on 127.0.0.1 (a free port), taking PUT uploads below
 * {@code /upload/} and answering requests of several ranges with the whole file below {@code /onerange/} (max_ranges
 * 1), run in the foreground with a configuration written here
 * ({@code nginx -c CONF -p PREFIX -e stderr -g 'daemon off;'}); stopped by close().
 */
final class Nginx implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/sbin/nginx");

    private final Process process;
    private final int port;
    private final Path prefix;

    private Nginx(Process process, int port, Path prefix) {
        this.process = process;
        this.port = port;
        this.prefix = prefix;
    }

    /** Skips (or, with CI=true, fails) when nginx is not installed. */
    static void require() {
        boolean present = Files.isExecutable(BINARY);
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("nginx is not installed; run-tests installs it");
        }
        Assumptions.assumeTrue(present, "nginx not installed (apt-get install nginx)");
    }

    /** Serves {@code root}; nginx's own files go to {@code prefix}. */
    static Nginx serve(Path root, Path prefix) throws IOException, InterruptedException {
        require();
        Files.createDirectories(prefix.resolve("tmp"));
        int port = freePort();
        Path conf = prefix.resolve("nginx.conf");
        boolean root0 = "root".equals(System.getProperty("user.name"));
        Files.writeString(conf, (root0 ? "user root root;\n" : "") + """
                worker_processes 2;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log;
                events { worker_connections 512; }
                http {
                    log_format requests '$request_method $uri $status $body_bytes_sent "$http_range"';
                    access_log %1$s/access.log requests;
                    client_body_temp_path %1$s/tmp/body;
                    proxy_temp_path %1$s/tmp/proxy;
                    fastcgi_temp_path %1$s/tmp/fastcgi;
                    uwsgi_temp_path %1$s/tmp/uwsgi;
                    scgi_temp_path %1$s/tmp/scgi;
                    default_type application/octet-stream;
                    keepalive_requests 10000;
                    server {
                        listen 127.0.0.1:%2$d;
                        root %3$s;
                        location / { }
                        location /onerange/ { max_ranges 1; }
                        location /upload/ {
                            dav_methods PUT;
                            create_full_put_path on;
                            client_max_body_size 0;
                        }
                    }
                }
                """.formatted(prefix, port, root));
        Process p = new ProcessBuilder(BINARY.toString(), "-c", conf.toString(), "-p", prefix.toString(), "-e",
                "stderr", "-g", "daemon off;").redirectErrorStream(true)
                .redirectOutput(prefix.resolve("nginx.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return new Nginx(p, port, prefix);
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    fail("nginx did not start: " + Files.readString(prefix.resolve("nginx.out")));
                }
                Thread.sleep(50);
            }
        }
    }

    /** A port nothing listens on (just now). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code http://127.0.0.1:PORT/path}. */
    String url(String path) {
        return "http://127.0.0.1:" + port + "/" + path;
    }

    /** The requests nginx logged so far: {@code METHOD URI STATUS BYTES "RANGE HEADER"} ("-" for none). */
    List<String> accessLog() throws IOException {
        Path log = prefix.resolve("access.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
