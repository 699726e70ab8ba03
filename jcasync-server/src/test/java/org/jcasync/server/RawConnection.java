package org.jcasync.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/1.1 connection written byte by byte, as hostile or very simple clients do: requests are sent as the test
 * writes them (a header without its body, half a header line...) and replies are read as they come. Shared with the
 * server benchmarks (jcasync-bench: {@code ./bench serve-load}, {@code serve-attack}).
 */
public final class RawConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** Connects to the server at {@code base}; reads wait at most {@code readTimeoutMillis}. */
    public RawConnection(URI base, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 60_000);
        socket.setSoTimeout(readTimeoutMillis);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends {@code text} (US-ASCII) as it is. */
    public RawConnection send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Sends {@code bytes} as they are. */
    public RawConnection send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** The header of a request for {@code path}, with {@code moreHeaders} (each ending in CRLF) and the blank line. */
    public static String request(String method, String path, String moreHeaders) {
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + moreHeaders + "\r\n";
    }

    /** The next reply's status line and header fields, up to the blank line. */
    public String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the reply's header");
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** The status code of a reply's head. */
    public static int status(String head) {
        return Integer.parseInt(head.substring(9, 12));
    }

    /** The next reply: its status and its body (which must have a Content-Length). */
    public Reply readReply() throws IOException {
        String head = readHead();
        long length = -1;
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        if (length < 0) {
            throw new IOException("reply without Content-Length: " + head.lines().findFirst().orElse(""));
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new IOException("connection closed in the reply's body");
        }
        return new Reply(status(head), head, body);
    }

    /** One reply read from the connection. */
    public record Reply(int status, String head, byte[] body) {
    }

    /** Whether the server has closed the connection (end of stream or reset), reading and dropping what comes first. */
    public boolean closedByServer() throws IOException {
        try {
            while (in.read() >= 0) {
                // Whatever the server still sends before it closes.
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
