package org.jcasync.chunk;

import java.security.MessageDigest;

/** The JDK's {@link MessageDigest} as a {@link Hasher}. */
final class JdkHasher implements Hasher {
    private final MessageDigest md;

    JdkHasher(MessageDigest md) {
        this.md = md;
    }

    @Override
    public void update(byte[] b, int off, int len) {
        md.update(b, off, len);
    }

    @Override
    public byte[] digest() {
        return md.digest();
    }
}
