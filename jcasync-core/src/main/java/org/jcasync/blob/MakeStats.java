package org.jcasync.blob;

import org.jcasync.chunk.ChunkId;

/**
 * What a make did.
 *
 * @param digest digest of the whole blob (what casync prints)
 * @param size blob length
 * @param chunks chunks in the index
 * @param stored chunks written to the store now
 * @param reused chunks the store already had (or that repeat within the blob)
 * @param zero chunks made only of zeros (holes are never read; their ids are known per size)
 * @param seconds wall time
 */
public record MakeStats(ChunkId digest, long size, long chunks, long stored, long reused, long zero, double seconds) {
    /** One human-readable line. */
    public String summary() {
        return String.format("%d bytes in %d chunks: %d new, %d already stored (%d all-zero chunks, never hashed), %.2f s",
                size, chunks, stored, reused, zero, seconds);
    }

    /** The same as JSON. */
    public String toJson() {
        return String.format("{\"digest\":\"%s\",\"bytes\":%d,\"chunks\":%d,\"chunks-stored\":%d,"
                + "\"chunks-reused\":%d,\"chunks-zero\":%d,\"seconds\":%.3f}", digest, size, chunks, stored, reused,
                zero, seconds);
    }
}
