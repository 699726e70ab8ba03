package org.jcasync.chunk;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

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
