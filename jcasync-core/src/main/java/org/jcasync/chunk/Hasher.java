package org.jcasync.chunk;

/**
 * An incremental digest of one algorithm. Not thread-safe; reusable after {@link #digest()}.
 * Obtain one from {@link DigestAlgorithm#newHasher()}.
 */
public interface Hasher {
    /** Adds {@code b[off, off+len)}. */
    void update(byte[] b, int off, int len);

    /** Finishes, returns the digest and resets for the next message. */
    byte[] digest();

    /** Finishes as a chunk id and resets. */
    default ChunkId id() {
        return ChunkId.of(digest());
    }

    /** Adds {@code b[off, off+len)}, then finishes: the digest of a whole message when nothing was pending. */
    default byte[] digest(byte[] b, int off, int len) {
        update(b, off, len);
        return digest();
    }
}
