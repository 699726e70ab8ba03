package org.jcasync.catar;

/** Record types and fixed sizes of casync's catar archive format ({@code src/caformat.h}). */
public final class CatarFormat {
    /** ENTRY: feature flags, mode, flags, uid, gid, mtime. */
    public static final long ENTRY = 0x1396fabcea5bbb51L;
    /** USER: user name + NUL. */
    public static final long USER = 0xf453131aaeeaccb3L;
    /** GROUP: group name + NUL. */
    public static final long GROUP = 0x25eb6ac969396a52L;
    /** XATTR: name NUL value. */
    public static final long XATTR = 0xb8157091f80bc486L;
    /** ACL_USER. */
    public static final long ACL_USER = 0x297dc88b2ef12fafL;
    /** ACL_GROUP. */
    public static final long ACL_GROUP = 0x36f2acb56cb3dd0bL;
    /** ACL_GROUP_OBJ. */
    public static final long ACL_GROUP_OBJ = 0x23047110441f38f3L;
    /** ACL_DEFAULT. */
    public static final long ACL_DEFAULT = 0xfe3eeda6823c8cd0L;
    /** ACL_DEFAULT_USER. */
    public static final long ACL_DEFAULT_USER = 0xbdf03df9bd010a91L;
    /** ACL_DEFAULT_GROUP. */
    public static final long ACL_DEFAULT_GROUP = 0xa0cb1168782d1f51L;
    /** SELINUX: label + NUL. */
    public static final long SELINUX = 0x46faf0602fd26c59L;
    /** FCAPS: raw security.capability value. */
    public static final long FCAPS = 0xf7267db0afed0629L;
    /** QUOTA_PROJID: project id. */
    public static final long QUOTA_PROJID = 0x161baf2d8772a72bL;
    /** SYMLINK: target + NUL. */
    public static final long SYMLINK = 0x664a6fb6830e0d6cL;
    /** DEVICE: major, minor. */
    public static final long DEVICE = 0xac3dace369dfe643L;
    /** PAYLOAD: file contents. */
    public static final long PAYLOAD = 0x8b9e1d93d6dcffc9L;
    /** FILENAME: name + NUL. */
    public static final long FILENAME = 0x6dbb6ebcb3161f0bL;
    /** GOODBYE: the lookup table ending a directory. */
    public static final long GOODBYE = 0xdfd35c5e8327c403L;
    /** Marker in the last item of a GOODBYE record. */
    public static final long GOODBYE_TAIL_MARKER = 0x57446fa533702943L;

    /** Size of a record header (size, type). */
    public static final int HEADER_SIZE = 16;
    /** Size of an ENTRY record. */
    public static final int ENTRY_SIZE = 64;
    /** Size of a DEVICE record. */
    public static final int DEVICE_SIZE = 32;
    /** Size of a QUOTA_PROJID record. */
    public static final int QUOTA_PROJID_SIZE = 24;
    /** Size of one GOODBYE item (offset, size, hash) and of the tail. */
    public static final int GOODBYE_ITEM_SIZE = 24;
    /** Most nodes on the path from the root, root included ({@code NODES_MAX}). */
    public static final int NODES_MAX = 64;

    /** SipHash-2-4 key of the GOODBYE name hashes ({@code CA_FORMAT_GOODBYE_HASH_KEY}). */
    static final byte[] GOODBYE_HASH_KEY = {
        (byte) 0xb3, (byte) 0x84, (byte) 0x1d, (byte) 0x0f, (byte) 0x2b, (byte) 0x44, (byte) 0x74, (byte) 0x85,
        (byte) 0xc1, (byte) 0x2e, (byte) 0xc2, (byte) 0xd1, (byte) 0x30, (byte) 0xed, (byte) 0x36, (byte) 0x27};

    private CatarFormat() {
    }

    private static final long[] TYPES = {ENTRY, USER, GROUP, XATTR, ACL_USER, ACL_GROUP, ACL_GROUP_OBJ, ACL_DEFAULT,
        ACL_DEFAULT_USER, ACL_DEFAULT_GROUP, SELINUX, FCAPS, QUOTA_PROJID, SYMLINK, DEVICE, PAYLOAD, FILENAME, GOODBYE};
    private static final String[] TYPE_NAMES = {"ENTRY", "USER", "GROUP", "XATTR", "ACL_USER", "ACL_GROUP",
        "ACL_GROUP_OBJ", "ACL_DEFAULT", "ACL_DEFAULT_USER", "ACL_DEFAULT_GROUP", "SELINUX", "FCAPS", "QUOTA_PROJID",
        "SYMLINK", "DEVICE", "PAYLOAD", "FILENAME", "GOODBYE"};

    /** The record type's name, or its hex value. */
    public static String typeName(long type) {
        for (int i = 0; i < TYPES.length; i++) {
            if (TYPES[i] == type) {
                return TYPE_NAMES[i];
            }
        }
        return String.format("0x%016x", type);
    }

    /** The little-endian 64-bit value at {@code b[off]}. */
    static long le64(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xffL);
        }
        return v;
    }

    /** Stores {@code v} little-endian at {@code b[off]}. */
    static void putLe64(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
