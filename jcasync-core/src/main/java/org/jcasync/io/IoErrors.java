package org.jcasync.io;

import java.io.IOException;

/** One-line error messages that say what was being done. */
public final class IoErrors {
    private IoErrors() {
    }

    /**
     * {@code e}, or a copy saying {@code what} was being done when {@code e} is a bare I/O error that names no file
     * (e.g. "No space left on device" becomes "making x.caibx: No space left on device").
     */
    public static IOException withContext(IOException e, String what) {
        if (e.getClass() == IOException.class && e.getMessage() != null && !e.getMessage().contains("/")) {
            return new IOException(what + ": " + e.getMessage(), e);
        }
        return e;
    }
}
