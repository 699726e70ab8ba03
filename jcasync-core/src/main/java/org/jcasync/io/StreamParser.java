package org.jcasync.io;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a file (an index, a chunk map) from a stream as it arrives, so that memory follows what the format says
 * and not what a server sends: the parser stops at the first byte its format does not allow.
 */
@FunctionalInterface
public interface StreamParser<T> {
    /** What {@code in} holds; reads no further than it needs (plus one byte to see the end). */
    T parse(InputStream in) throws IOException;
}
