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

    /**
     * Cuts from {@code start}; stops at the end of the blob, at the first cut accepted by {@code stopAt}, or once
     * {@code overrun} cuts beyond {@code end} were found.
     *
     * @return the cut offsets (chunk ends), ascending; the last one is the blob size when the blob's end was reached
     */
    long[] cut(long start, long end, int overrun, LongPredicate stopAt) throws IOException {
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
            out[n++] = cutAt;
            pos = cutAt;
            if (cutAt > end && ++beyond >= overrun || stopAt.test(cutAt)) {
                return Arrays.copyOf(out, n);
            }
        }
        if (c.pending() > 0) {
            if (n == out.length) {
                out = Arrays.copyOf(out, n + 1);
            }
            out[n++] = eof;
        }
        return Arrays.copyOf(out, n);
    }
}
