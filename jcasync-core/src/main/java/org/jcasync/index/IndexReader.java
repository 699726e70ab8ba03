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
 * strictly increasing offsets, every chunk within the maximum, the tail, and no byte after it.
 */
public final class IndexReader {
    private IndexReader() {
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
                if (n >= Integer.MAX_VALUE / ChunkId.LENGTH - 1024) {
                    throw bad(name, "too many chunks");
                }
                ends = Arrays.copyOf(ends, n * 2);
                ids = Arrays.copyOf(ids, n * 2 * ChunkId.LENGTH);
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
