package org.jcasync.catar;

import java.io.IOException;

/** A catar stream that casync would refuse ("Bad message"): the message names the offset and the rule broken. */
public class ArchiveFormatException extends IOException {
    private final long offset;

    /** An error about the record at archive offset {@code offset} (-1 when unknown). */
    public ArchiveFormatException(long offset, String message) {
        super(offset >= 0 ? "invalid archive at offset " + offset + ": " + message : "invalid archive: " + message);
        this.offset = offset;
    }

    /** Archive offset of the offending record, or -1. */
    public long offset() {
        return offset;
    }
}
