package org.jcasync.server;

import java.io.IOException;
import java.util.List;

/**
 * How one kind of HTTP store answers requests once they are authorized: the chunk protocol ({@link ChunkServer})
 * or the index protocol ({@link IndexServer}). {@code JettyServer} runs it on Jetty.
 */
@FunctionalInterface
public interface StoreProtocol {
    /**
     * Answers one request; may block (each request has its own virtual thread). A streamed reply is written while
     * the request still holds its turn among the concurrent requests.
     *
     * @throws HttpStatusException to end the request with that status and message
     * @throws IOException any other failure: 500 with its message
     */
    Reply serve(Call call) throws IOException;

    /** Protocol extensions offered, one word each, listed after the health line of {@code GET /}. */
    default List<String> capabilities() {
        return List.of();
    }

    /** Methods allowed on {@code rawPath}, for the {@code Allow} header of a 405 reply. */
    default String allowedMethods(String rawPath, boolean writable) {
        return writable ? "GET, HEAD, PUT" : "GET, HEAD";
    }
}
