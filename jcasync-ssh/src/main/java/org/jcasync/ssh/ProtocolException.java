package org.jcasync.ssh;

import java.io.IOException;

/** The other side of a casync protocol session sent something invalid, or aborted the session. */
public class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    /** A protocol failure described by {@code message}. */
    public ProtocolException(String message) {
        super(message);
    }
}
