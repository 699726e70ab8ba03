package org.jcasync.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 server on 127.0.0.1 that answers every request with what a test tells it, e.g. a body that never ends
 * or one that trickles, and counts the body bytes it managed to send (a client that stops reading stops it, once
 * the socket buffers are full). One thread per connection; every reply ends its connection.
 */
public final class HostileHttpServer implements AutoCloseable {
    /** Writes a reply body. */
    @FunctionalInterface
    public interface Body {
        /** Writes to {@code out} (counted) until done or the client goes away (then {@code out} throws). */
        void write(OutputStream out) throws IOException, InterruptedException;
    }

    /** The body for a request path; null answers 404. */
    @FunctionalInterface
    public interface Replies {
        Body forPath(String path);
    }

    private final ServerSocket socket;
    private final Replies replies;
    private final AtomicLong sent = new AtomicLong();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private HostileHttpServer(Replies replies) throws IOException {
        this.replies = replies;
        this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform().daemon().name("hostile-http").start(this::accept);
    }

    /** Starts a server answering with {@code replies}. */
    public static HostileHttpServer start(Replies replies) throws IOException {
        return new HostileHttpServer(replies);
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
    }

    /** Body bytes written to clients so far. */
    public long bodyBytesSent() {
        return sent.get();
    }

    /** The request lines received ("GET /x.caibx HTTP/1.1"). */
    public List<String> requests() {
        return requests;
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                Thread.ofPlatform().daemon().name("hostile-http-conn").start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSendBufferSize(64 << 10);
            String requestLine = readHead(s.getInputStream());
            if (requestLine == null) {
                return;
            }
            requests.add(requestLine);
            String[] parts = requestLine.split(" ");
            String path = parts.length > 1 ? parts[1] : "/";
            Body body = replies.forPath(path);
            OutputStream raw = s.getOutputStream();
            if (body == null) {
                raw.write(("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                raw.flush();
                return;
            }
            raw.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            raw.flush();
            body.write(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    raw.write(b, off, len);
                    raw.flush();
                    sent.addAndGet(len);
                }
            });
        } catch (IOException | InterruptedException e) {
            // The client went away: what it did not take was not sent.
        }
    }

    /** Reads the request head; returns its first line, or null when the connection closed first. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            head.write(c);
            matched = c == end[matched] ? matched + 1 : c == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.indexOf("\r\n"));
    }

    /** A body of {@code prefix} followed by {@code filler} over and over, up to {@code cap} bytes in all. */
    public static Body endless(byte[] prefix, byte[] filler, long cap) {
        return out -> {
            out.write(prefix);
            for (long n = prefix.length; n < cap; n += filler.length) {
                out.write(filler);
            }
        };
    }

    /** A body of {@code bytes} sent one byte every {@code delayMillis}. */
    public static Body trickle(byte[] bytes, long delayMillis) {
        return out -> {
            for (byte b : bytes) {
                out.write(b);
                Thread.sleep(delayMillis);
            }
        };
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
