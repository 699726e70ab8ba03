package org.jcasync.server;

import java.io.IOException;
import java.util.List;

/**
 * How one kind of HTTP store answers requests once they are authorized: the chunk protocol ({@link ChunkServer})
 * or the index protocol ({@link IndexServer}). {@code JettyServer} runs it on Jetty: it asks {@link #admit} and
 * {@link #bodyLimit} as soon as a request's header has arrived, receives the body (if any) within its limits, and
 * only then gives the request a turn among those worked on at once and calls {@link #serve}.
 */
@FunctionalInterface
public interface StoreProtocol {
    /**
     * Answers one request; may block (each request has its own virtual thread) while it holds its turn. A streamed
     * reply is written after the turn ends; what it reads on the way takes turns of its own ({@link Call#inTurn}).
     *
     * @throws HttpStatusException to end the request with that status and message
     * @throws IOException any other failure: 500 with its message
     */
    Reply serve(Call call) throws IOException;

    /**
     * Refuses, from its method, path and header alone, a request that cannot succeed (a method not allowed, a path
     * that names nothing this protocol serves), before any of its body is read and before it waits for anything.
     *
     * @throws HttpStatusException the refusal
     */
    default void admit(Call call) throws HttpStatusException {
    }

    /** The largest body the (admitted) request may carry; 0 when its body, if any, is not read (GET, HEAD). */
    default long bodyLimit(Call call) {
        return 0;
    }

    /** Protocol extensions offered, one word each, listed after the health line of {@code GET /}. */
    default List<String> capabilities() {
        return List.of();
    }

    /** Methods allowed on {@code rawPath}, for the {@code Allow} header of a 405 reply. */
    default String allowedMethods(String rawPath, boolean writable) {
        return writable ? "GET, HEAD, PUT" : "GET, HEAD";
    }
}
