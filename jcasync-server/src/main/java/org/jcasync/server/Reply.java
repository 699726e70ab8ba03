package org.jcasync.server;

import java.nio.charset.StandardCharsets;

/**
 * What a server answers to one request.
 *
 * @param status the HTTP status
 * @param contentType the body's media type
 * @param body the body (also used for the {@code Content-Length} of a {@code HEAD} reply, which sends none), or
 *     null for a reply without content and without a length (a {@code HEAD} that only tells existence)
 */
public record Reply(int status, String contentType, byte[] body) {
    /** Media type of chunks and index files. */
    public static final String OCTETS = "application/octet-stream";

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
}
