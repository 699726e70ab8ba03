package org.jcasync.store;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;

/**
 * How a store verifies, reads and writes chunks.
 *
 * @param digest the digest chunk ids are checked against
 * @param maxChunkSize the largest uncompressed chunk accepted (the index's max)
 * @param compression used when writing
 * @param confinedFiles whether a local store reads only regular files below its directory, reached without a
 *     symlink and opened without blocking ({@link org.jcasync.io.RegularFile}), and writes through no symlink: what
 *     a server needs for a store that others can write to. Clients follow symlinks in stores, as casync does.
 */
public record StoreOptions(DigestAlgorithm digest, int maxChunkSize, Compression compression, boolean confinedFiles) {
    /** Defaults: SHA-512/256, 128 MiB limit, zstd. */
    public static final StoreOptions DEFAULT = new StoreOptions(DigestAlgorithm.SHA512_256, ChunkerParams.LIMIT_MAX,
            Compression.ZSTD);

    /** Options that follow symlinks in local stores. */
    public StoreOptions(DigestAlgorithm digest, int maxChunkSize, Compression compression) {
        this(digest, maxChunkSize, compression, false);
    }

    /** The same options with another digest and maximum. */
    public StoreOptions with(DigestAlgorithm d, int max) {
        return new StoreOptions(d, max, compression, confinedFiles);
    }

    /** The same options with local stores confined to their directory (see {@link #confinedFiles}). */
    public StoreOptions withConfinedFiles() {
        return new StoreOptions(digest, maxChunkSize, compression, true);
    }
}
