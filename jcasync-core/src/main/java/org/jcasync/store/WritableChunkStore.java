package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.time.Duration;

/**
 * A store chunks can be added to. A writer that finds a chunk already there (and will name it in an index) freshens
 * its time, so that a concurrent gc, which keeps every chunk younger than its grace period, does not remove it before
 * the index exists: {@link #put} and {@link #putStored} do that themselves, {@link #freshen} is the lookup to use
 * instead of {@link #has} when writing.
 */
public interface WritableChunkStore extends ChunkStore {
    /**
     * A chunk whose time is younger than this is not freshened again: it stays younger than gc's grace period for
     * that period less this (an hour's grace thus covers a make of 45 minutes on a store without locks).
     */
    Duration FRESH_FOR = Duration.ofMinutes(15);

    /**
     * Stores {@code data[off, off+len)}, whose digest is {@code id}, compressed; atomic (a crash never leaves a
     * partial chunk under its real name).
     *
     * @return false when the store already had the chunk (nothing was compressed or written; its time was
     *         freshened as by {@link #freshen})
     */
    boolean put(ChunkId id, byte[] data, int off, int len) throws IOException;

    /**
     * Stores a chunk given as the bytes a store keeps ({@code stored}: a compressed frame, already verified by the
     * caller to decompress to the chunk {@code id}) without compressing it again. Default: decompress and
     * {@link #put}.
     *
     * @return false when the store already had the chunk (freshened)
     */
    default boolean putStored(ChunkId id, byte[] stored) throws IOException {
        byte[] data = Compression.decompress(stored, stored.length, Integer.MAX_VALUE - 16);
        return put(id, data, 0, data.length);
    }

    /**
     * Whether the store has the chunk, as {@link #has}; when it has, the chunk's time is set to now if it is older
     * than {@link #FRESH_FOR}, so that gc keeps it for its grace period. Default: {@link #has} (stores without times).
     */
    default boolean freshen(ChunkId id) throws IOException {
        return has(id);
    }
}
