package org.jcasync.server;

import java.io.IOException;

/** One request as a {@link Service} sees it. */
public interface Call {
    /** GET, HEAD, PUT... */
    String method();

    /** The path as sent (percent-encoded), without the query. */
    String rawPath();

    /** The path decoded and normalized by the server. */
    String decodedPath();

    /**
     * The request body, read whole.
     *
     * @param max largest body accepted
     * @throws HttpStatusException 413 when the body is larger than {@code max}
     */
    byte[] body(int max) throws IOException;
}
