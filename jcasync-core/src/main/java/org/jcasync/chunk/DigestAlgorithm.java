package org.jcasync.chunk;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Objects;

/** The two digests casync names chunks with. The choice is recorded in the index feature flags. */
public enum DigestAlgorithm {
    /** SHA-512/256 (FIPS 180-4), casync's default. */
    SHA512_256("sha512-256", "SHA-512/256"),
    /** SHA-256. */
    SHA256("sha256", "SHA-256");

    /** Feature-flag bit that marks SHA-512/256; clear means SHA-256. */
    public static final long FLAG_SHA512_256 = 0x2000000000000000L;

    private final String casyncName;
    private final String jcaName;

    DigestAlgorithm(String casyncName, String jcaName) {
        this.casyncName = casyncName;
        this.jcaName = jcaName;
    }

    /** The name casync's {@code --digest=} takes. */
    public String casyncName() {
        return casyncName;
    }

    /** A fresh digest instance. */
    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jcaName + " is missing from this JDK", e);
        }
    }

    /** A fresh hasher: OpenSSL's when libcrypto is present (faster), else the JDK's. */
    public Hasher newHasher() {
        return OpenSslHasher.available() ? new OpenSslHasher(this) : new JdkHasher(newDigest());
    }

    /** One reusable hasher per thread and algorithm, for one-shot digests. */
    private static final ThreadLocal<Hasher[]> PER_THREAD = ThreadLocal.withInitial(() -> new Hasher[2]);

    /** The digest of {@code data[off, off+len)} as bytes, with this thread's reusable hasher. */
    public byte[] digestBytes(byte[] data, int off, int len) {
        Hasher[] hs = PER_THREAD.get();
        Hasher h = hs[ordinal()];
        if (h == null) {
            h = newHasher();
            hs[ordinal()] = h;
        }
        return h.digest(data, off, len);
    }

    /** Bytes in a digest of either algorithm. */
    public static final int DIGEST_LENGTH = 32;

    /**
     * The digests of n messages at once: message i is {@code buf[offs[i], offs[i]+lens[i])} and its digest goes to
     * {@code out[32i, 32i+32)}. Ranges may overlap. A batch goes to the native multi-buffer digest (several messages
     * at a time in vector lanes: SHA-512/256 with AVX-512 or AVX2, SHA-256 with SHA-NI) when this CPU has one for
     * the algorithm ({@link #multiBufferLanes}) and the batch pays for it ({@link #worthMultiBuffer}); otherwise the
     * messages are hashed one after the other with this thread's hasher. Same result either way. The native call
     * passes the arrays in place and holds off the garbage collector while it runs (about 2-4 ms per 4 MiB), so
     * batches of a few MiB suit it best.
     *
     * @throws IndexOutOfBoundsException when an array is shorter than n (out: 32n) or a range lies outside buf
     */
    public void digestMany(byte[] buf, long[] offs, long[] lens, int n, byte[] out) {
        if (n < 0 || n > offs.length || n > lens.length) {
            throw new IndexOutOfBoundsException("n = " + n + " with " + offs.length + " offsets and " + lens.length
                    + " lengths");
        }
        Objects.checkFromIndexSize(0L, (long) DIGEST_LENGTH * n, out.length);
        long total = 0;
        long longest = 0;
        for (int i = 0; i < n; i++) {
            // The native code trusts the ranges, so every one is checked here.
            Objects.checkFromIndexSize(offs[i], lens[i], buf.length);
            total += lens[i];
            longest = Math.max(longest, lens[i]);
        }
        NativeLibrary.Isa path = NativeMultiBuffer.path(this);
        if (path != null && worthMultiBuffer(n, longest, total, NativeMultiBuffer.singleStreamFactor(path))) {
            NativeMultiBuffer.digest(this, path, buf, offs, lens, n, out);
            return;
        }
        for (int i = 0; i < n; i++) {
            byte[] d = digestBytes(buf, (int) offs[i], (int) lens[i]);
            System.arraycopy(d, 0, out, DIGEST_LENGTH * i, DIGEST_LENGTH);
        }
    }

    /**
     * The chunk ids of several messages, hashed together with {@link #digestMany} ({@code null} messages give
     * {@code null}). Copies the messages side by side first: keep a batch to a few MiB.
     */
    public ChunkId[] ids(byte[][] messages) {
        int n = 0;
        long total = 0;
        for (byte[] m : messages) {
            if (m != null) {
                n++;
                total += m.length;
            }
        }
        byte[] all = new byte[Math.toIntExact(total)];
        long[] offs = new long[n];
        long[] lens = new long[n];
        int k = 0;
        int at = 0;
        for (byte[] m : messages) {
            if (m != null) {
                System.arraycopy(m, 0, all, at, m.length);
                offs[k] = at;
                lens[k++] = m.length;
                at += m.length;
            }
        }
        byte[] digests = new byte[DIGEST_LENGTH * n];
        digestMany(all, offs, lens, n, digests);
        ChunkId[] out = new ChunkId[messages.length];
        k = 0;
        for (int i = 0; i < messages.length; i++) {
            if (messages[i] != null) {
                out[i] = ChunkId.of(java.util.Arrays.copyOfRange(digests, DIGEST_LENGTH * k, DIGEST_LENGTH * (k + 1)));
                k++;
            }
        }
        return out;
    }

    /**
     * Whether the lanes beat one OpenSSL stream for this batch, when one OpenSSL stream is {@code factor} times as
     * fast as one lane. A batch takes at least as long as its longest message in one lane, so the lanes win only when
     * the longest message is at most a {@code factor}-th of the bytes: never for one message, and for the usual
     * batches of many chunks by the lanes' whole margin.
     */
    static boolean worthMultiBuffer(int n, long longest, long total, int factor) {
        return n >= 2 && factor * longest <= total;
    }

    /** True when SHA-512/256 batches can use a native multi-buffer digest (AVX-512 or AVX2) in this process. */
    public static boolean nativeMultiBuffer() {
        return NativeMultiBuffer.path(SHA512_256) != null;
    }

    /** Messages hashed at once by batches of this algorithm in this process: 1 without a native multi-buffer path. */
    public int multiBufferLanes() {
        NativeLibrary.Isa path = NativeMultiBuffer.path(this);
        return path == null ? 1 : NativeMultiBuffer.lanes(path);
    }

    /** The digest of {@code data[off, off+len)} as a chunk id. */
    public ChunkId digest(byte[] data, int off, int len) {
        return ChunkId.of(digestBytes(data, off, len));
    }

    /** Parses casync's names: {@code sha512-256}, {@code sha256} or {@code default}. */
    public static DigestAlgorithm parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sha512-256", "default" -> SHA512_256;
            case "sha256" -> SHA256;
            default -> throw new IllegalArgumentException("unknown digest '" + name + "' (sha512-256 or sha256)");
        };
    }

    /** The algorithm a feature-flag word selects. */
    public static DigestAlgorithm fromFeatureFlags(long flags) {
        return (flags & FLAG_SHA512_256) != 0 ? SHA512_256 : SHA256;
    }
}
