package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

/**
 * A store that can list and remove its chunks (garbage collection). The store gives the primitives (list, time,
 * remove); {@link ChunkCollector} holds the collection loop that every store shares.
 */
public interface PrunableChunkStore extends WritableChunkStore {
    /**
     * How long gc keeps a chunk no index uses after it was written or last freshened, unless told otherwise: longer
     * than a make into a store without locks takes, plus {@link WritableChunkStore#FRESH_FOR}.
     */
    Duration DEFAULT_GRACE = Duration.ofHours(1);

    /**
     * Removes every chunk for which {@code keep} is false, none younger than {@code keepSince} (the grace period of
     * concurrent writers, see {@link ChunkCollector}).
     *
     * @param keepSince chunks whose time is at or after this are kept; null keeps none for its age
     * @param dryRun count only, remove nothing
     * @param listener told about each chunk removed (or that would be removed) and each kept for its age, may be null
     */
    default PruneResult prune(Predicate<ChunkId> keep, Instant keepSince, boolean dryRun, PruneListener listener)
            throws IOException {
        return new ChunkCollector(this, keep, keepSince, dryRun, listener).run();
    }

    /** {@link #prune(Predicate, Instant, boolean, PruneListener)} without a grace period. */
    default PruneResult prune(Predicate<ChunkId> keep, boolean dryRun, PruneListener listener) throws IOException {
        return prune(keep, null, dryRun, listener);
    }

    /**
     * Hands every chunk file of the store to {@code sink}, all those of one directory (key prefix) before the next;
     * files that are not chunks are not listed. Stores with directories call {@link ChunkSink#directoryEnd} after
     * each chunk directory ({@code <4 hex>}), also an empty one.
     *
     * @throws java.nio.file.NoSuchFileException when the store does not exist
     */
    void listChunks(ChunkSink sink) throws IOException;

    /**
     * The time of a listed chunk file: {@link ChunkFile#modified()} when the listing gave it, else asked from the
     * store; null when the file is gone.
     */
    default Instant modified(ChunkFile file) throws IOException {
        return file.modified();
    }

    /** Removes these listed chunk files (at most {@link #removeBatch()}); a file already gone is no error. */
    void remove(List<ChunkFile> files) throws IOException;

    /** Most files one {@link #remove} call takes; more than one where a request can remove many (S3). */
    default int removeBatch() {
        return 1;
    }

    /** Removes the chunk directory when it is empty; false when it is not (or the store has no directories). */
    default boolean removeDirectory(String directory) throws IOException {
        return false;
    }

    /**
     * A chunk file as listed.
     *
     * @param id the chunk
     * @param directory the directory (or key prefix) it is in: the first 4 hex digits of the id
     * @param name its name there ({@code <id>.cacnk})
     * @param modified its time when the listing gave it, else null ({@link #modified(ChunkFile)} asks)
     */
    record ChunkFile(ChunkId id, String directory, String name, Instant modified) {
    }

    /** Takes the chunk files of a listing. */
    interface ChunkSink {
        /** One chunk file. */
        void chunk(ChunkFile file) throws IOException;

        /** Every chunk file of {@code directory} was listed. */
        default void directoryEnd(String directory) throws IOException {
        }
    }

    /** Told about each chunk file removed, or kept for its age. */
    @FunctionalInterface
    interface PruneListener {
        /** {@code file} (name within the store) is being removed. */
        void removing(String file);

        /** {@code file} is not used but kept: it is younger than the grace period. */
        default void keepingYoung(String file) {
        }
    }

    /**
     * What a prune did.
     *
     * @param removed chunks removed (or that would be)
     * @param directories directories removed because they became empty
     * @param remaining chunks left (the young ones included)
     * @param young chunks no index uses that were kept because they are younger than the grace period
     */
    record PruneResult(long removed, long directories, long remaining, long young) {
    }
}
