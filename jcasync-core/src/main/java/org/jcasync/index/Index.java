package org.jcasync.index;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;

import java.util.Arrays;

/**
 * A parsed .caibx/.caidx: feature flags, chunk sizes and the chunk table (end offset and id of every chunk).
 * Kept compact: 40 bytes per chunk, like the file itself.
 */
public final class Index {
    private final long featureFlags;
    private final ChunkerParams params;
    private final long[] ends;
    private final byte[] ids;
    private final int count;

    /** Wraps arrays the caller no longer changes; {@code ids} holds 32 bytes per chunk. */
    public Index(long featureFlags, ChunkerParams params, long[] ends, byte[] ids, int count) {
        this.featureFlags = featureFlags;
        this.params = params;
        this.ends = ends;
        this.ids = ids;
        this.count = count;
    }

    /** The feature-flag word of the header. */
    public long featureFlags() {
        return featureFlags;
    }

    /** The digest the chunk ids were made with. */
    public DigestAlgorithm digest() {
        return DigestAlgorithm.fromFeatureFlags(featureFlags);
    }

    /** min/avg/max chunk size from the header. */
    public ChunkerParams params() {
        return params;
    }

    /** Number of chunks. */
    public int size() {
        return count;
    }

    /** Total length of the blob or archive stream. */
    public long length() {
        return count == 0 ? 0 : ends[count - 1];
    }

    /** Offset of chunk {@code i} in the blob. */
    public long start(int i) {
        return i == 0 ? 0 : ends[i - 1];
    }

    /** End offset (exclusive) of chunk {@code i}. */
    public long end(int i) {
        return ends[i];
    }

    /** Size of chunk {@code i}. */
    public int chunkSize(int i) {
        return (int) (ends[i] - start(i));
    }

    /** Id of chunk {@code i}. */
    public ChunkId id(int i) {
        return ChunkId.of(ids, i * ChunkId.LENGTH);
    }

    /** True when chunk {@code i} has the given id (no allocation). */
    public boolean idEquals(int i, byte[] id) {
        return Arrays.equals(ids, i * ChunkId.LENGTH, (i + 1) * ChunkId.LENGTH, id, 0, ChunkId.LENGTH);
    }

    /** The index of the chunk containing byte {@code offset}, or -1 past the end. */
    public int chunkAt(long offset) {
        int i = Arrays.binarySearch(ends, 0, count, offset);
        i = i >= 0 ? i + 1 : -i - 1;
        return i < count ? i : -1;
    }
}
