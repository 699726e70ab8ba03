package org.jcasync.pack;

import java.util.HexFormat;

/**
 * A pack's name: the SHA-512/256 of the pack file's bytes, so a pack is immutable and verifiable as a whole. Pack
 * files live in the store at {@code packs/<hex>.capack}, their tables at {@code packs/<hex>.capidx}.
 */
public record PackId(String hex) {
    /** The pack directory of a store. */
    public static final String DIRECTORY = "packs";
    /** Suffix of pack files. */
    public static final String PACK_SUFFIX = ".capack";
    /** Suffix of pack tables. */
    public static final String INDEX_SUFFIX = ".capidx";

    public PackId {
        if (hex.length() != 64 || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            throw new IllegalArgumentException("not a pack id: " + hex);
        }
    }

    /** The id of 32 digest bytes. */
    public static PackId of(byte[] digest) {
        return new PackId(HexFormat.of().formatHex(digest, 0, 32));
    }

    /** The pack's 32 bytes. */
    public byte[] toBytes() {
        return HexFormat.of().parseHex(hex);
    }

    /** The pack file's path relative to the store. */
    public String packPath() {
        return DIRECTORY + "/" + hex + PACK_SUFFIX;
    }

    /** The pack table's path relative to the store. */
    public String indexPath() {
        return DIRECTORY + "/" + hex + INDEX_SUFFIX;
    }

    @Override
    public String toString() {
        return hex;
    }
}
