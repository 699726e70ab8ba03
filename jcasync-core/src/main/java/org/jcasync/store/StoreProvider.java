package org.jcasync.store;

import org.jcasync.io.StreamParser;

import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * Opens stores and files (indexes) at locations of some URL schemes. Implementations are found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/org.jcasync.store.StoreProvider}), so a module that
 * adds a scheme only has to be on the class path; {@link StoreRegistry} picks the provider by scheme.
 */
public interface StoreProvider {
    /** The URL schemes handled, lower case (e.g. {@code http}, {@code https}). */
    Set<String> schemes();

    /** A store to read chunks from. */
    ChunkStore open(URI location, StoreOptions options, TransportOptions transport) throws IOException;

    /** A store to add chunks to; by default the scheme is read-only. */
    default WritableChunkStore openWritable(URI location, StoreOptions options, TransportOptions transport)
            throws IOException {
        throw new StoreException(null, "cannot write to " + location + ": " + location.getScheme()
                + " stores are read-only", null);
    }

    /**
     * Reads byte ranges of files (packs) under the store at {@code location}, or null when this scheme cannot (then
     * packed chunks are read loose).
     */
    default org.jcasync.pack.RangeSource openRanges(URI location, TransportOptions transport) throws IOException {
        return null;
    }

    /**
     * Reads the file (an index, a chunk map) at {@code location} with {@code parser} while it arrives, so that what
     * is held in memory is what the parser keeps, whatever the server sends. A transport failure while the parser
     * reads is retried (the parser starts again on a fresh stream); a failure of the parser is not.
     *
     * @throws java.nio.file.NoSuchFileException when there is no such file
     */
    <T> T readFile(URI location, TransportOptions transport, StreamParser<T> parser) throws IOException;

    /** The whole file at {@code location}, at most {@link #MAX_FILE} bytes. */
    default byte[] readFile(URI location, TransportOptions transport) throws IOException {
        return readFile(location, transport, in -> readAll(in, location.toString()));
    }

    /** Largest file {@link #readFile(URI, TransportOptions)} returns (about a Java array's limit). */
    long MAX_FILE = Integer.MAX_VALUE - 64;

    /** All of {@code in}, failing past {@link #MAX_FILE} bytes; {@code name} is used in the message. */
    static byte[] readAll(java.io.InputStream in, String name) throws IOException {
        byte[] b = in.readNBytes((int) MAX_FILE);
        if (in.read() >= 0) {
            throw new IOException(name + ": larger than " + MAX_FILE + " bytes");
        }
        return b;
    }

    /** Writes (replaces) the file at {@code location} atomically; by default the scheme is read-only. */
    default void writeFile(URI location, byte[] content, TransportOptions transport) throws IOException {
        throw new IOException("cannot write " + location + ": " + location.getScheme() + " locations are read-only");
    }
}
