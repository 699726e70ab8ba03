package org.jcasync.server;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.store.Compression;
import org.jcasync.store.LocalStore;

import java.io.IOException;
import java.util.Random;

/** Chunks for tests (of this module and of jcasync-http's): random content, its id and its compressed frame. */
public record TestChunks(byte[] data, ChunkId id, byte[] frame) {
    /** A chunk of {@code size} pseudo-random (seeded) bytes. */
    public static TestChunks random(long seed, int size) {
        byte[] d = new byte[size];
        new Random(seed).nextBytes(d);
        // Half the bytes repeat so zstd has something to compress.
        System.arraycopy(d, 0, d, size / 2, size / 2);
        return new TestChunks(d, DigestAlgorithm.SHA512_256.digest(d, 0, d.length),
                Compression.ZSTD.compress(d, 0, d.length));
    }

    /** Adds the chunk to {@code store}. */
    public TestChunks putInto(LocalStore store) throws IOException {
        store.put(id, data, 0, data.length);
        return this;
    }

    /** Its URL path. */
    public String path() {
        return ChunkPath.of(id);
    }
}
