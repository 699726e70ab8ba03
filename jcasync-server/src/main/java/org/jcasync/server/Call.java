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
     * The request body, read whole.
     *
     * @param max largest body accepted
     * @throws HttpStatusException 413 when the body is larger than {@code max}
     */
    byte[] body(int max) throws IOException;
}
