package org.jcasync.store;

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

    /** The whole file (an index) at {@code location}. */
    byte[] readFile(URI location, TransportOptions transport) throws IOException;

    /** Writes (replaces) the file at {@code location} atomically; by default the scheme is read-only. */
    default void writeFile(URI location, byte[] content, TransportOptions transport) throws IOException {
        throw new IOException("cannot write " + location + ": " + location.getScheme() + " locations are read-only");
    }
}
