package org.jcasync.index;

import java.io.IOException;

/** An index file that is truncated, has trailing bytes or breaks a rule of the format. */
public class IndexFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The message names the file and what is wrong with it. */
    public IndexFormatException(String message) {
        super(message);
    }
}
