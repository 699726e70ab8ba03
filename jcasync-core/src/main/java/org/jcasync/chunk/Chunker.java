package org.jcasync.chunk;

/**
 * casync's content-defined chunker: a buzhash over the last 48 bytes of the current chunk, cut when
 * {@code s >= max || (s >= min && h % d == d - 1)}; fixed-size cuts when min = avg = max.
 *
 * <p>The hash never sees bytes of the previous chunk (state resets at every cut), so bytes before chunk offset
 * {@code max(min,48) - 48} cannot influence a cut and are skipped without hashing, as casync does since 2022; the
 * boundaries are identical to the byte-by-byte rule. The cut test {@code h % d == d - 1} is done without a division:
 * {@code (h + 1)} is divisible by {@code d} exactly when {@code (h + 1) * c <= c - 1} (mod 2^64) with
 * {@code c = ceil(2^64 / d)} (Lemire, Kaser, Kurz 2019; valid because h + 1 < 2^33 and d < 2^28).
 *
 * <p>Spans of at least {@link #NATIVE_MIN_SPAN} bytes whose outgoing bytes are in the caller's array are rolled by
 * {@link NativeChunker} (C: AVX-512 VBMI, AVX2 or scalar, whichever is fastest here) when it is available;
 * elsewhere, and as a fallback, by the Java loop. All give the same cuts.
 *
 * <p>Not thread-safe: one chunker per stream.
 */
public final class Chunker {
    static final int[] TABLE = {
            0x458be752, 0xc10748cc, 0xfbbcdbb8, 0x6ded5b68, 0xb10a82b5, 0x20d75648, 0xdfc5665f, 0xa8428801,
            0x7ebf5191, 0x841135c7, 0x65cc53b3, 0x280a597c, 0x16f60255, 0xc78cbc3e, 0x294415f5, 0xb938d494,
            0xec85c4e6, 0xb7d33edc, 0xe549b544, 0xfdeda5aa, 0x882bf287, 0x3116737c, 0x05569956, 0xe8cc1f68,
            0x0806ac5e, 0x22a14443, 0x15297e10, 0x50d090e7, 0x4ba60f6f, 0xefd9f1a7, 0x5c5c885c, 0x82482f93,
            0x9bfd7c64, 0x0b3e7276, 0xf2688e77, 0x8fad8abc, 0xb0509568, 0xf1ada29f, 0xa53efdfe, 0xcb2b1d00,
            0xf2a9e986, 0x6463432b, 0x95094051, 0x5a223ad2, 0x9be8401b, 0x61e579cb, 0x1a556a14, 0x5840fdc2,
            0x9261ddf6, 0xcde002bb, 0x52432bb0, 0xbf17373e, 0x7b7c222f, 0x2955ed16, 0x9f10ca59, 0xe840c4c9,
            0xccabd806, 0x14543f34, 0x1462417a, 0x0d4a1f9c, 0x087ed925, 0xd7f8f24c, 0x7338c425, 0xcf86c8f5,
            0xb19165cd, 0x9891c393, 0x325384ac, 0x0308459d, 0x86141d7e, 0xc922116a, 0xe2ffa6b6, 0x53f52aed,
            0x2cd86197, 0xf5b9f498, 0xbf319c8f, 0xe0411fae, 0x977eb18c, 0xd8770976, 0x9833466a, 0xc674df7f,
            0x8c297d45, 0x8ca48d26, 0xc49ed8e2, 0x7344f874, 0x556f79c7, 0x6b25eaed, 0xa03e2b42, 0xf68f66a4,
            0x8e8b09a2, 0xf2e0e62a, 0x0d3a9806, 0x9729e493, 0x8c72b0fc, 0x160b94f6, 0x450e4d3d, 0x7a320e85,
            0xbef8f0e1, 0x21d73653, 0x4e3d977a, 0x1e7b3929, 0x1cc6c719, 0xbe478d53, 0x8d752809, 0xe6d8c2c6,
            0x275f0892, 0xc8acc273, 0x4cc21580, 0xecc4a617, 0xf5f7be70, 0xe795248a, 0x375a2fe9, 0x425570b6,
            0x8898dcf8, 0xdc2d97c4, 0x0106114b, 0x364dc22f, 0x1e0cad1f, 0xbe63803c, 0x5f69fac2, 0x4d5afa6f,
            0x1bc0dfb5, 0xfb273589, 0x0ea47f7b, 0x3c1c2b50, 0x21b2a932, 0x6b1223fd, 0x2fe706a8, 0xf9bd6ce2,
            0xa268e64e, 0xe987f486, 0x3eacf563, 0x1ca2018c, 0x65e18228, 0x2207360a, 0x57cf1715, 0x34c37d2b,
            0x1f8f3cde, 0x93b657cf, 0x31a019fd, 0xe69eb729, 0x8bca7b9b, 0x4c9d5bed, 0x277ebeaf, 0xe0d8f8ae,
            0xd150821c, 0x31381871, 0xafc3f1b0, 0x927db328, 0xe95effac, 0x305a47bd, 0x426ba35b, 0x1233af3f,
            0x686a5b83, 0x50e072e5, 0xd9d3bb2a, 0x8befc475, 0x487f0de6, 0xc88dff89, 0xbd664d5e, 0x971b5d18,
            0x63b14847, 0xd7d3c1ce, 0x7f583cf3, 0x72cbcb09, 0xc0d0a81c, 0x7fa3429b, 0xe9158a1b, 0x225ea19a,
            0xd8ca9ea3, 0xc763b282, 0xbb0c6341, 0x020b8293, 0xd4cd299d, 0x58cfa7f8, 0x91b4ee53, 0x37e4d140,
            0x95ec764c, 0x30f76b06, 0x5ee68d24, 0x679c8661, 0xa41979c2, 0xf2b61284, 0x4fac1475, 0x0adb49f9,
            0x19727a23, 0x15a7e374, 0xc43a18d5, 0x3fb1aa73, 0x342fc615, 0x924c0793, 0xbee2d7f0, 0x8a279de9,
            0x4aa2d70c, 0xe24dd37f, 0xbe862c0b, 0x177c22c2, 0x5388e5ee, 0xcd8a7510, 0xf901b4fd, 0xdbc13dbc,
            0x6c0bae5b, 0x64efe8c7, 0x48b02079, 0x80331a49, 0xca3d8ae6, 0xf3546190, 0xfed7108b, 0xc49b941b,
            0x32baf4a9, 0xeb833a4a, 0x88a3f1a5, 0x3a91ce0a, 0x3cc27da1, 0x7112e684, 0x4a3096b1, 0x3794574c,
            0xa3c8b6f3, 0x1d213941, 0x6e0a2e00, 0x233479f1, 0x0f4cd82f, 0x6093edd2, 0x5d7d209e, 0x464fe319,
            0xd4dcac9e, 0x0db845cb, 0xfb5e4bc3, 0xe0256ce1, 0x09fb4ed1, 0x0914be1e, 0xa5bdb2c3, 0xc6eb57bb,
            0x30320350, 0x3f397e91, 0xa67791bc, 0x86bc0e2c, 0xefa0a7e2, 0xe9ff7543, 0xe733612c, 0xd185897b,
            0x329e5388, 0x91dd236b, 0x2ecb0d93, 0xf4d82a3d, 0x35b5c03f, 0xe4e606f0, 0x05b21843, 0x37b45964,
            0x5eff22f4, 0x6027f4cc, 0x77178b3c, 0xae507131, 0x7bf7cabc, 0xf9c18d66, 0x593ade65, 0xd95ddf11,
    };
    /** {@code rol32(T[b], 48)}: the outgoing byte's contribution after 48 rotations. */
    static final int[] TABLE_OUT = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            TABLE_OUT[i] = Integer.rotateLeft(TABLE[i], 48);
        }
    }

    private static final int W = ChunkerParams.WINDOW;
    private static final byte[] ZEROS = new byte[4096];
    /**
     * Shortest span handed to the native loop: below it the downcall (40-100 ns) costs more than it saves; at 64
     * bytes the native call already takes about 0.75x the time of the Java loop with C2, 0.5x with C1 only.
     */
    static final int NATIVE_MIN_SPAN = 64;
    /** Longest span of one native call, so that a garbage collection never waits long for a critical call. */
    static final int NATIVE_MAX_SPAN = 1 << 20;

    private final ChunkerParams params;
    private final int max;
    private final int avg;
    private final boolean fixed;
    /** Chunk offset where hashing starts: {@code max(min,48) - 48}. */
    private final int hashStart;
    /** First chunk size at which a cut is tested: {@code max(min,48)}. */
    private final int testStart;
    /** The discriminator: cut where h % d == d - 1. */
    private final int d;
    private final long divC;
    private final long divLimit;
    /** The {@link NativeChunker} loop the hot loop runs in, or null for the Java loop. */
    private final NativeLibrary.Isa loop;
    /** Size of a chunk made only of zeros (inside a long zero run). */
    private final int zeroChunkSize;

    private int s;
    private int h;
    /** The last 48 chunk bytes, slot = chunk offset mod 48; used when they are not in the caller's array. */
    private final byte[] ring = new byte[W];
    /** Trailing zero bytes of the current chunk fed through {@link #nextZeros}. */
    private long zeroTail;

    /**
     * A chunker at the start of a stream. Its hot loop runs in native code when {@link NativeChunker} is available
     * ({@code -Djcasync.noNativeChunker=true} keeps it in Java); the cuts are the same either way.
     */
    public Chunker(ChunkerParams params) {
        this(params, NativeChunker.path());
    }

    /** A chunker at the start of a stream whose hot loop is the native {@code loop}, or the Java one for null. */
    Chunker(ChunkerParams params, NativeLibrary.Isa loop) {
        if (loop != null && !NativeChunker.runs(loop)) {
            throw new IllegalArgumentException("the " + loop + " chunker loop does not run here");
        }
        this.loop = loop;
        this.params = params;
        this.max = params.max();
        this.avg = params.avg();
        this.fixed = params.fixed();
        this.testStart = Math.max(params.min(), W);
        this.hashStart = testStart - W;
        this.d = params.discriminator();
        this.divC = Long.divideUnsigned(-1L, d) + 1;
        this.divLimit = divC - 1;
        int hz = 0;
        for (int i = 0; i < W; i++) {
            hz = Integer.rotateLeft(hz, 1) ^ TABLE[0];
        }
        this.zeroChunkSize = fixed ? avg : (isCut(hz) || testStart >= max ? testStart : max);
    }

    /** The parameters this chunker cuts with. */
    public ChunkerParams params() {
        return params;
    }

    /** Whether the hot loop of this chunker runs in native code ({@link NativeChunker}). */
    public boolean nativeLoop() {
        return loop != null;
    }

    /** Bytes in the current (unfinished) chunk. */
    public int pending() {
        return s;
    }

    /** Size of every chunk that lies entirely inside a long run of zeros. */
    public int zeroChunkSize() {
        return zeroChunkSize;
    }

    /** Forgets the current chunk, as after a cut. */
    public void reset() {
        s = 0;
        h = 0;
        zeroTail = 0;
    }

    /** The exact cut test {@code h % d == d - 1}, written as a divisibility test of {@code h + 1}. */
    boolean isCut(int hash) {
        long n = (hash & 0xFFFFFFFFL) + 1;
        return Long.compareUnsigned(n * divC, divLimit) <= 0;
    }

    /**
     * Consumes {@code b[from, to)} until a cut.
     *
     * @return the array index just past the last byte of the finished chunk, or -1 when all bytes were consumed
     *         without a cut (the chunk continues with the next call)
     */
    public int next(byte[] b, int from, int to) {
        zeroTail = 0;
        if (fixed) {
            int need = avg - s;
            if (to - from >= need) {
                s = 0;
                return from + need;
            }
            s += to - from;
            return -1;
        }
        int pos = from;
        if (s < hashStart) {
            int k = Math.min(hashStart - s, to - pos);
            s += k;
            pos += k;
            if (s < hashStart) {
                return -1;
            }
        }
        int hh = h;
        if (s < testStart) {
            // Fill the window: bytes at chunk offsets [hashStart, testStart).
            while (s < testStart) {
                if (pos == to) {
                    h = hh;
                    return -1;
                }
                int in = b[pos++] & 0xff;
                ring[s % W] = (byte) in;
                hh = Integer.rotateLeft(hh, 1) ^ TABLE[in];
                s++;
            }
            if (s >= max || isCut(hh)) {
                return cut(pos);
            }
        }
        // Steady state, first 48 bytes of this call: the outgoing byte is still in the ring.
        while (pos < to && pos - from < W) {
            int in = b[pos] & 0xff;
            int slot = s % W;
            int out = ring[slot] & 0xff;
            ring[slot] = (byte) in;
            hh = Integer.rotateLeft(hh, 1) ^ TABLE_OUT[out] ^ TABLE[in];
            s++;
            pos++;
            if (s >= max || isCut(hh)) {
                return cut(pos);
            }
        }
        if (pos == to) {
            h = hh;
            return -1;
        }
        // Hot loop: the outgoing byte is b[pos - 48].
        final int start = pos;
        final int limit = (int) Math.min(to, (long) pos + (max - s));
        if (loop != null && limit - pos >= NATIVE_MIN_SPAN) {
            while (pos < limit) {
                int end = limit - pos > NATIVE_MAX_SPAN ? pos + NATIVE_MAX_SPAN : limit;
                long r = NativeChunker.scan(b, pos, end, hh, divC, divLimit, d, loop);
                if (r >= 0) {
                    return cut((int) r);
                }
                hh = (int) r;
                pos = end;
            }
        } else {
            final int[] t = TABLE;
            final int[] tOut = TABLE_OUT;
            final long c = divC;
            final long lim = divLimit;
            while (pos < limit) {
                hh = Integer.rotateLeft(hh, 1) ^ tOut[b[pos - W] & 0xff] ^ t[b[pos] & 0xff];
                pos++;
                if (Long.compareUnsigned(((hh & 0xFFFFFFFFL) + 1) * c, lim) <= 0) {
                    return cut(pos);
                }
            }
        }
        s += pos - start;
        if (s >= max) {
            return cut(pos);
        }
        h = hh;
        for (int i = 0; i < W; i++) {
            ring[(s - W + i) % W] = b[to - W + i];
        }
        return -1;
    }

    private int cut(int pos) {
        s = 0;
        h = 0;
        zeroTail = 0;
        return pos;
    }

    /**
     * Consumes up to {@code n} zero bytes without reading them: runs of zeros are skipped arithmetically once the
     * window holds only zeros.
     *
     * @return how many zero bytes were consumed up to and including the cut, or -1 when all {@code n} bytes were
     *         consumed without a cut
     */
    public long nextZeros(long n) {
        long consumed = 0;
        while (consumed < n) {
            long left = n - consumed;
            if (fixed) {
                long need = avg - s;
                if (left >= need) {
                    s = 0;
                    return consumed + need;
                }
                s += (int) left;
                return -1;
            }
            if (s == 0 && left >= zeroChunkSize) {
                return consumed + zeroChunkSize;
            }
            if (zeroTail >= W && s >= testStart) {
                // Window all zeros and no cut so far: the zero hash is not a cut value, so the next cut is at max.
                long need = max - s;
                if (left >= need) {
                    reset();
                    return consumed + need;
                }
                s += (int) left;
                zeroTail += left;
                return -1;
            }
            int k = (int) Math.min(left, ZEROS.length);
            long tail = zeroTail;
            int r = next(ZEROS, 0, k);
            if (r >= 0) {
                return consumed + r;
            }
            zeroTail = tail + k;
            consumed += k;
        }
        return -1;
    }
}
