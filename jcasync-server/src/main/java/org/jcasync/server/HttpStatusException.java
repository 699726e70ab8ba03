package org.jcasync.server;

import java.io.IOException;

/** A request that ends with a given status and a one-line message (a body too large, a bad path...). */
public final class HttpStatusException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;

    /** Ends the request with {@code status}, telling the client {@code message}. */
    public HttpStatusException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }
}
