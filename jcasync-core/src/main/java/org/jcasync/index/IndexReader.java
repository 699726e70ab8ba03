package org.jcasync.index;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.format.FeatureFlags;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads and validates a .caibx/.caidx with casync's rules: exact header, normalized flags, sane chunk sizes,
 * strictly increasing offsets, every chunk within the maximum, the tail, and no byte after it. The stream is read
 * as it comes and is refused at the first byte the format does not allow, so a hostile server streaming endless
 * bytes costs no more than the index it pretends to be; that is bounded too ({@link #maxChunks}).
 */
public final class IndexReader {
    /** Bytes an index takes in memory per chunk (its end offset and id, as {@link Index} keeps them). */
    static final int BYTES_PER_CHUNK = 8 + ChunkId.LENGTH;

    private IndexReader() {
    }

    /**
     * Most chunks an index may list: what an eighth of the Java heap holds (the table grows by doubling while it is
     * read, so reading one needs about three times its final size), and at most what a Java array allows. 6.7
     * million chunks (430 GiB at 64 KiB a chunk) per GiB of heap.
     */
    public static int maxChunks() {
        long byHeap = Runtime.getRuntime().maxMemory() / 8 / BYTES_PER_CHUNK;
        return (int) Math.max(1024, Math.min(Integer.MAX_VALUE / ChunkId.LENGTH - 1024, byHeap));
    }

    /** Reads an index file; errors name the file. */
    public static Index read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "index file not found");
        }
    }

    /** Reads an index from a stream; {@code name} is used in error messages. */
    public static Index read(InputStream raw, String name) throws IOException {
        return read(raw, name, maxChunks());
    }

    /** Reads an index of at most {@code most} chunks from a stream. */
    static Index read(InputStream raw, String name, int most) throws IOException {
        InputStream in = new BufferedInputStream(raw, 1 << 16);
        byte[] hb = new byte[IndexWriter.HEADER_SIZE + 16];
        readFully(in, hb, name, "header");
        ByteBuffer h = ByteBuffer.wrap(hb).order(ByteOrder.LITTLE_ENDIAN);
        long size = h.getLong();
        long type = h.getLong();
        if (size != IndexWriter.HEADER_SIZE || type != IndexWriter.TYPE_INDEX) {
            throw bad(name, "not a casync index (wrong header)");
        }
        long flags = h.getLong();
        if (!FeatureFlags.known(flags)) {
            throw bad(name, String.format("unsupported feature flags 0x%016x", flags));
        }
        if (!FeatureFlags.isNormalized(flags)) {
            throw bad(name, String.format("feature flags 0x%016x are not normalized", flags));
        }
        long min = h.getLong();
        long avg = h.getLong();
        long max = h.getLong();
        ChunkerParams params;
        try {
            params = ChunkerParams.fromIndex(min, avg, max);
        } catch (IllegalArgumentException e) {
            throw bad(name, e.getMessage());
        }
        if (h.getLong() != -1L || h.getLong() != IndexWriter.TYPE_TABLE) {
            throw bad(name, "wrong table header");
        }
        long[] ends = new long[1024];
        byte[] ids = new byte[1024 * ChunkId.LENGTH];
        int n = 0;
        byte[] ib = new byte[IndexWriter.ITEM_SIZE];
        ByteBuffer item = ByteBuffer.wrap(ib).order(ByteOrder.LITTLE_ENDIAN);
        long prev = 0;
        while (true) {
            readFully(in, ib, name, "chunk table (item " + n + ")");
            long a = item.getLong(0);
            long b = item.getLong(8);
            long c = item.getLong(16);
            long d = item.getLong(24);
            long e = item.getLong(32);
            if (e == IndexWriter.TAIL_MARKER && a == 0 && b == 0 && c == IndexWriter.HEADER_SIZE
                    && d == 16 + (long) n * IndexWriter.ITEM_SIZE + IndexWriter.ITEM_SIZE) {
                if (in.read() != -1) {
                    throw bad(name, "trailing bytes after the index tail");
                }
                return new Index(flags, params, ends, ids, n);
            }
            if (Long.compareUnsigned(a, prev) <= 0) {
                throw bad(name, "chunk " + n + " has a non-increasing end offset " + Long.toUnsignedString(a));
            }
            if (Long.compareUnsigned(a - prev, max) > 0) {
                throw bad(name, "chunk " + n + " is " + Long.toUnsignedString(a - prev)
                        + " bytes, larger than the maximum chunk size " + max);
            }
            if (n == ends.length) {
                if (n >= most) {
                    throw bad(name, "lists more than " + most + " chunks, more than this Java heap holds (at "
                            + BYTES_PER_CHUNK + " bytes a chunk; raise it with -Xmx in JCASYNC_JAVA_OPTS)");
                }
                int grown = (int) Math.min(most, 2L * n);
                ends = Arrays.copyOf(ends, grown);
                ids = Arrays.copyOf(ids, grown * ChunkId.LENGTH);
            }
            ends[n] = a;
            System.arraycopy(ib, 8, ids, n * ChunkId.LENGTH, ChunkId.LENGTH);
            n++;
            prev = a;
        }
    }

    private static void readFully(InputStream in, byte[] b, String name, String what) throws IOException {
        int off = 0;
        while (off < b.length) {
            int r = in.read(b, off, b.length - off);
            if (r < 0) {
                throw new IndexFormatException(name + ": truncated index (ends inside the " + what + ")");
            }
            off += r;
        }
    }

    private static IndexFormatException bad(String name, String what) {
        return new IndexFormatException(name + ": " + what);
    }

}
