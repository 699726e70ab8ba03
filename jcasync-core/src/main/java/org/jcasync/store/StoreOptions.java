package org.jcasync.store;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;

/**
 * How a store verifies and writes chunks.
 *
 * @param digest the digest chunk ids are checked against
 * @param maxChunkSize the largest uncompressed chunk accepted (the index's max)
 * @param compression used when writing
 */
public record StoreOptions(DigestAlgorithm digest, int maxChunkSize, Compression compression) {
    /** Defaults: SHA-512/256, 128 MiB limit, zstd. */
    public static final StoreOptions DEFAULT = new StoreOptions(DigestAlgorithm.SHA512_256, ChunkerParams.LIMIT_MAX,
            Compression.ZSTD);

    /** The same options with another digest and maximum. */
    public StoreOptions with(DigestAlgorithm d, int max) {
        return new StoreOptions(d, max, compression);
    }
}
