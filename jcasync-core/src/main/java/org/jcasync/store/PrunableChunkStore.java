package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.util.function.Predicate;

/** A store that can list and remove its chunks (garbage collection). */
public interface PrunableChunkStore extends WritableChunkStore {
    /**
     * Removes every chunk for which {@code keep} is false.
     *
     * @param dryRun count only, remove nothing
     * @param listener told about each chunk removed (or that would be removed), may be null
     */
    PruneResult prune(Predicate<ChunkId> keep, boolean dryRun, PruneListener listener) throws IOException;

    /** Told about each chunk file removed. */
    @FunctionalInterface
    interface PruneListener {
        /** {@code file} (name within the store) is being removed. */
        void removing(String file);
    }

    /**
     * What a prune did.
     *
     * @param removed chunks removed (or that would be)
     * @param directories directories removed because they became empty
     * @param remaining chunks left
     */
    record PruneResult(long removed, long directories, long remaining) {
    }
}
