package org.jcasync.catar;

/** SipHash-2-4 (Aumasson and Bernstein), as used for the names in catar GOODBYE tables. */
public final class SipHash24 {
    private static final long K0 = le64(CatarFormat.GOODBYE_HASH_KEY, 0);
    private static final long K1 = le64(CatarFormat.GOODBYE_HASH_KEY, 8);

    private SipHash24() {
    }

    /** The GOODBYE hash of a file name (its bytes, without NUL). */
    public static long goodbyeHash(byte[] name) {
        return hash(K0, K1, name, 0, name.length);
    }

    /** SipHash-2-4 of {@code b[off, off+len)} with the key {@code (k0, k1)} (the 16 key bytes read little-endian). */
    public static long hash(long k0, long k1, byte[] b, int off, int len) {
        long v0 = 0x736f6d6570736575L ^ k0;
        long v1 = 0x646f72616e646f6dL ^ k1;
        long v2 = 0x6c7967656e657261L ^ k0;
        long v3 = 0x7465646279746573L ^ k1;
        int end = off + (len & ~7);
        for (int i = off; i < end; i += 8) {
            long m = le64(b, i);
            v3 ^= m;
            for (int r = 0; r < 2; r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= m;
        }
        long last = ((long) len & 0xff) << 56;
        for (int i = 0; i < (len & 7); i++) {
            last |= (b[end + i] & 0xffL) << (8 * i);
        }
        v3 ^= last;
        for (int r = 0; r < 2; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= last;
        v2 ^= 0xff;
        for (int r = 0; r < 4; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static long le64(byte[] b, int i) {
        long v = 0;
        for (int j = 7; j >= 0; j--) {
            v = (v << 8) | (b[i + j] & 0xffL);
        }
        return v;
    }
}
