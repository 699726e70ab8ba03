package org.jcasync.server;

import java.io.IOException;

/** One request as a {@link StoreProtocol} sees it. */
public interface Call {
    /** GET, HEAD, PUT... */
    String method();

    /** The path as sent (percent-encoded), without the query. */
    String rawPath();

    /** The path decoded and normalized by the server. */
    String decodedPath();

    /** The value of request header {@code name} (the first one when repeated), or null. */
    String header(String name);

    /**
     * The request body, received whole before {@link StoreProtocol#serve} was called (at most
     * {@link StoreProtocol#bodyLimit} bytes); empty when the request has none or its body is not read.
     */
    byte[] body();

    /** Work done while the request's reply is written (after {@code serve} returned). */
    @FunctionalInterface
    interface Work<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work} in a turn among the requests worked on at once: what a streamed reply does for each piece it
     * reads from an upstream, so that a client reading slowly holds no turn while it is not being served. Not for
     * use within {@code serve}, which already has its turn.
     *
     * @throws HttpStatusException 503 when no turn came in time
     */
    <T> T inTurn(Work<T> work) throws IOException;
}
