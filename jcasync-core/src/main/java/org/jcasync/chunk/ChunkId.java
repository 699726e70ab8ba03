package org.jcasync.chunk;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The 32-byte name of a chunk: the digest (SHA-512/256 or SHA-256) of its uncompressed bytes.
 * Immutable; compares and hashes by value.
 */
public final class ChunkId implements Comparable<ChunkId> {
    /** Length of an id in bytes. */
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private ChunkId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
    }

    /** Copies 32 bytes starting at {@code offset}. */
    public static ChunkId of(byte[] src, int offset) {
        return new ChunkId(Arrays.copyOfRange(src, offset, offset + LENGTH));
    }

    /** Wraps a 32-byte digest. */
    public static ChunkId of(byte[] digest) {
        if (digest.length != LENGTH) {
            throw new IllegalArgumentException("chunk id must be 32 bytes, got " + digest.length);
        }
        return new ChunkId(digest.clone());
    }

    /** Parses 64 lowercase or uppercase hex digits. */
    public static ChunkId parse(String hex) {
        if (hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException("not a chunk id (need 64 hex digits): " + hex);
        }
        try {
            return new ChunkId(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a chunk id (need 64 hex digits): " + hex, e);
        }
    }

    /** Parses 64 hex digits, or null when {@code hex} is not a chunk id. */
    public static ChunkId tryParse(String hex) {
        if (hex.length() != 2 * LENGTH) {
            return null;
        }
        try {
            return new ChunkId(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Copies the id into {@code dst} at {@code offset}. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, LENGTH);
    }

    /** A copy of the 32 id bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Lowercase hex, 64 characters, as in store paths. */
    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** The store sub-directory name: the first four hex digits. */
    public String prefix() {
        return toHex().substring(0, 4);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkId other && hash == other.hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(ChunkId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return toHex();
    }
}
