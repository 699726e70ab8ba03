package org.jcasync.ssh;

import java.util.Locale;

/**
 * casync's remote protocol (src/caprotocol.h), spoken over the standard input and output of {@code casync pull} or
 * {@code casync push} on the far side of an ssh connection. Every frame is {@code u64le size} (header included),
 * {@code u64le type}, then the body; sizes are between 16 bytes and 16 MiB.
 */
public final class CasyncProtocol {
    private CasyncProtocol() {
    }

    /** Bytes of the frame header: size and type. */
    public static final int HEADER_SIZE = 16;
    /** Largest frame casync accepts. */
    public static final int MAX_FRAME_SIZE = 16 * 1024 * 1024;
    /** Bytes of a chunk id. */
    public static final int ID_SIZE = 32;

    /** Frame types. */
    public static final long HELLO = 0x3c71d0948ca5fbeeL;
    public static final long INDEX = 0xb32a91dd2b3e27f8L;
    public static final long INDEX_EOF = 0x4f0932f1043718f5L;
    public static final long ARCHIVE = 0x95d6428a69eddcc5L;
    public static final long ARCHIVE_EOF = 0x450bef663f24cbadL;
    public static final long REQUEST = 0x8ab427e0f89d9210L;
    public static final long CHUNK = 0x5213dd180a84bc8cL;
    public static final long MISSING = 0xd010f9fac82b7b6cL;
    public static final long GOODBYE = 0xad205dbf1a3686c3L;
    public static final long ABORT = 0xe7d9136b7efea352L;

    /** HELLO feature flags: services offered. */
    public static final long READABLE_STORE = 0x1;
    public static final long WRITABLE_STORE = 0x2;
    public static final long READABLE_INDEX = 0x4;
    public static final long WRITABLE_INDEX = 0x8;
    public static final long READABLE_ARCHIVE = 0x10;
    public static final long WRITABLE_ARCHIVE = 0x20;
    /** HELLO feature flags: operations wanted. */
    public static final long PULL_CHUNKS = 0x40;
    public static final long PULL_INDEX = 0x80;
    public static final long PULL_ARCHIVE = 0x100;
    public static final long PUSH_CHUNKS = 0x200;
    public static final long PUSH_INDEX = 0x400;
    /** "Pull from me the chunks the index I just pushed names." */
    public static final long PUSH_INDEX_CHUNKS = 0x800;
    public static final long PUSH_ARCHIVE = 0x1000;
    /** Every defined HELLO flag. */
    public static final long FEATURE_FLAGS_MAX = 0x1fff;

    /** REQUEST flag: serve before normal requests. */
    public static final long REQUEST_HIGH_PRIORITY = 1;
    /** CHUNK flag: the data is a compressed frame (else the raw chunk). */
    public static final long CHUNK_COMPRESSED = 1;

    /** errno values sent in ABORT frames, as casync does. */
    public static final int EBADMSG = 74;
    public static final int EBADE = 52;
    public static final int EIO = 5;

    /** A frame type's name, for messages. */
    public static String typeName(long type) {
        if (type == HELLO) {
            return "HELLO";
        } else if (type == INDEX) {
            return "INDEX";
        } else if (type == INDEX_EOF) {
            return "INDEX_EOF";
        } else if (type == ARCHIVE) {
            return "ARCHIVE";
        } else if (type == ARCHIVE_EOF) {
            return "ARCHIVE_EOF";
        } else if (type == REQUEST) {
            return "REQUEST";
        } else if (type == CHUNK) {
            return "CHUNK";
        } else if (type == MISSING) {
            return "MISSING";
        } else if (type == GOODBYE) {
            return "GOODBYE";
        } else if (type == ABORT) {
            return "ABORT";
        }
        return String.format(Locale.ROOT, "unknown type 0x%016x", type);
    }

    /**
     * Whether the operations one side asks for are all offered by the other (casync refuses the session
     * otherwise).
     */
    public static boolean compatible(long operations, long services) {
        return !(has(operations, PULL_CHUNKS) && !has(services, READABLE_STORE)
                || has(operations, PULL_INDEX) && !has(services, READABLE_INDEX)
                || has(operations, PULL_ARCHIVE) && !has(services, READABLE_ARCHIVE)
                || has(operations, PUSH_CHUNKS) && !has(services, WRITABLE_STORE)
                || has(operations, PUSH_INDEX) && !has(services, WRITABLE_INDEX)
                || has(operations, PUSH_ARCHIVE) && !has(services, WRITABLE_ARCHIVE));
    }

    /** Whether {@code flags} has every bit of {@code flag}. */
    public static boolean has(long flags, long flag) {
        return (flags & flag) == flag;
    }
}
