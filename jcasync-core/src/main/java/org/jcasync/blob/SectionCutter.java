package org.jcasync.blob;

import org.jcasync.chunk.Chunker;
import org.jcasync.chunk.ChunkerParams;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.LongPredicate;

/**
 * Finds cut points in a region of a {@link BlobSource}, starting with a fresh chunker at {@code start} (as if a
 * chunk ended there). Holes are passed through the chunker arithmetically, without reading.
 */
final class SectionCutter {
    private static final int READ = 1 << 20;

    private final BlobSource src;
    private final ChunkerParams params;
    private final byte[] buf = new byte[READ];

    SectionCutter(BlobSource src, ChunkerParams params) {
        this.src = src;
        this.params = params;
    }

    /** Sees each chunk as it is cut. */
    @FunctionalInterface
    interface ChunkVisitor {
        /**
         * The chunk {@code [start, end)}; when its bytes are all in the cutter's read buffer, {@code buf} holds
         * them from {@code off}, else {@code buf} is null and the visitor reads them itself if it needs them.
         */
        void chunk(long start, long end, byte[] buf, int off) throws IOException;
    }

    /** Like {@link #cut} with no early stop, handing every chunk to {@code visitor} as it is found. */
    void scan(long start, long end, int overrun, ChunkVisitor visitor) throws IOException {
        cut(start, end, overrun, c -> false, visitor);
    }

    /**
     * Cuts from {@code start}; stops at the end of the blob, at the first cut accepted by {@code stopAt}, or once
     * {@code overrun} cuts beyond {@code end} were found.
     *
     * @return the cut offsets (chunk ends), ascending; the last one is the blob size when the blob's end was reached
     */
    long[] cut(long start, long end, int overrun, LongPredicate stopAt) throws IOException {
        return cut(start, end, overrun, stopAt, null);
    }

    private long[] cut(long start, long end, int overrun, LongPredicate stopAt, ChunkVisitor visitor)
            throws IOException {
        long eof = src.size();
        Chunker c = new Chunker(params);
        long[] out = new long[64];
        int n = 0;
        int beyond = 0;
        long pos = start;
        long bufPos = 0;
        int bufLen = 0;
        while (pos < eof) {
            long r = src.region(pos);
            long regionEnd = Math.abs(r);
            long cutAt;
            if (r < 0) {
                long z = c.nextZeros(regionEnd - pos);
                if (z < 0) {
                    pos = regionEnd;
                    continue;
                }
                cutAt = pos + z;
            } else {
                if (pos < bufPos || pos >= bufPos + bufLen) {
                    bufLen = (int) Math.min(READ, regionEnd - pos);
                    src.read(pos, buf, 0, bufLen);
                    bufPos = pos;
                }
                int k = c.next(buf, (int) (pos - bufPos), bufLen);
                if (k < 0) {
                    pos = bufPos + bufLen;
                    continue;
                }
                cutAt = bufPos + k;
            }
            if (n == out.length) {
                out = Arrays.copyOf(out, n * 2);
            }
            long chunkStart = n == 0 ? start : out[n - 1];
            out[n++] = cutAt;
            pos = cutAt;
            if (visitor != null) {
                boolean inBuf = r >= 0 && chunkStart >= bufPos && cutAt <= bufPos + bufLen;
                visitor.chunk(chunkStart, cutAt, inBuf ? buf : null, inBuf ? (int) (chunkStart - bufPos) : 0);
            }
            if (cutAt > end && ++beyond >= overrun || stopAt.test(cutAt)) {
                return Arrays.copyOf(out, n);
            }
        }
        if (c.pending() > 0) {
            if (n == out.length) {
                out = Arrays.copyOf(out, n + 1);
            }
            long chunkStart = n == 0 ? start : out[n - 1];
            out[n++] = eof;
            if (visitor != null) {
                visitor.chunk(chunkStart, eof, null, 0);
            }
        }
        return Arrays.copyOf(out, n);
    }
}
