package org.jcasync.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What a server answers to one request.
 *
 * @param status the HTTP status
 * @param contentType the body's media type
 * @param body the body (also used for the {@code Content-Length} of a {@code HEAD} reply, which sends none), or
 *     null for a reply without content and without a length (a {@code HEAD} that only tells existence) or with a
 *     {@code stream}
 * @param headers more response headers (e.g. {@code Content-Range})
 * @param stream writes the body as it is produced, when {@code body} is null; not called for {@code HEAD}
 * @param length the length of what {@code stream} writes, or -1 when it is not known in advance (chunked)
 */
public record Reply(int status, String contentType, byte[] body, Map<String, String> headers, Stream stream,
                   long length) {
    /** Media type of chunks and index files. */
    public static final String OCTETS = "application/octet-stream";

    /** A body written to the connection while it is produced (memory stays bounded whatever its size). */
    @FunctionalInterface
    public interface Stream {
        /**
         * Writes the body. A failure once the reply has begun aborts the connection, so the client sees a
         * truncated reply, never a short one that looks complete.
         */
        void writeTo(OutputStream out) throws IOException;
    }

    public Reply {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /** A reply with a body held in memory (or none). */
    public Reply(int status, String contentType, byte[] body) {
        this(status, contentType, body, Map.of(), null, -1);
    }

    /** 200 with binary content. */
    public static Reply octets(byte[] body) {
        return new Reply(200, OCTETS, body);
    }

    /** A status alone: no content, no length. */
    public static Reply status(int status) {
        return new Reply(status, null, null);
    }

    /** A status with a one-line plain-text message (a newline is added). */
    public static Reply text(int status, String message) {
        return new Reply(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** A streamed body of {@code length} bytes (-1: unknown) with extra {@code headers}. */
    public static Reply streamed(int status, String contentType, long length, Map<String, String> headers,
                                 Stream stream) {
        return new Reply(status, contentType, null, headers, stream, length);
    }

    /** The same reply with one more header. */
    public Reply withHeader(String name, String value) {
        Map<String, String> h = new java.util.LinkedHashMap<>(headers);
        h.put(name, value);
        return new Reply(status, contentType, body, h, stream, length);
    }
}
