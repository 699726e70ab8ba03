package org.jcasync.blob;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.Chunker;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.Hasher;
import org.jcasync.index.Index;

import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Finds the index's chunks in one region of a seed. Content-defined cuts are computed only where needed: after a
 * seed chunk matches index position {@code i}, the following seed bytes are first checked against position
 * {@code i+1} (one digest, which verification needs anyway), so runs of chunks that appear in the same order in
 * seed and index (files of an image, unchanged parts of a stream) are followed without running the chunker. When
 * a run breaks, the chunker takes over from that point until the next match.
 */
final class SeedScanner {
    private static final int READ = 4 << 20;
    /**
     * Index chunks checked together while following a run, at first: the multi-buffer digest has eight lanes. While
     * a run goes on, batches double up to {@link #FOLLOW_MAX}: the digest refills a lane from the batch when its
     * message ends, so chunks of unequal sizes keep all lanes busy only in batches of several times eight.
     */
    private static final int FOLLOW = 8;
    private static final int FOLLOW_MAX = 32;
    private final long[] offs = new long[FOLLOW_MAX];
    private final long[] lens = new long[FOLLOW_MAX];
    private final byte[] digests = new byte[FOLLOW_MAX * DigestAlgorithm.DIGEST_LENGTH];
    /** Chunks to check in the next batch of the current run. */
    private int follow = FOLLOW;

    /** Told the data of a found chunk: index position {@code first} (its first occurrence). */
    @FunctionalInterface
    interface Found {
        void found(int first, byte[] data, int off, int size) throws IOException;
    }

    private final BlobSource seed;
    private final Index index;
    private final ChunkTable table;
    private final BitSet sizes;
    private final Found found;
    private final Hasher md;
    private final Chunker chunker;
    private final byte[] buf = new byte[READ];
    private final byte[] own;
    private long bufPos;
    private int bufLen;
    /** Bytes matched by following a run (no chunking). */
    long followed;
    /** Bytes passed through the chunker. */
    long chunked;

    /**
     * @param sizes the chunk sizes worth a digest (sizes no wanted chunk has cannot match)
     */
    SeedScanner(BlobSource seed, Index index, ChunkTable table, BitSet sizes, Found found) {
        this.seed = seed;
        this.index = index;
        this.table = table;
        this.sizes = sizes;
        this.found = found;
        this.md = index.digest().newHasher();
        this.chunker = new Chunker(index.params());
        this.own = new byte[index.params().max()];
    }

    /** Scans chunks starting in {@code [from, to)} (the last one may end past {@code to}). */
    void scan(long from, long to) throws IOException {
        long size = seed.size();
        long pos = from;
        int next = -1;
        while (pos < to && pos < size) {
            if (next >= 0 && next < index.size()) {
                // Follow the run: assume the next few index chunks come next in the seed too and check them
                // with one multi-buffer digest call; accept them up to the first that does not match.
                int k = 0;
                long span = 0;
                while (k < follow && next + k < index.size()) {
                    int n = index.chunkSize(next + k);
                    if (pos + span + n > size || span + n > READ || seed.isHole(pos + span, pos + span + n)) {
                        break;
                    }
                    offs[k] = span;
                    lens[k] = n;
                    span += n;
                    k++;
                }
                int matched = 0;
                if (k > 0) {
                    int off = load(pos, (int) span);
                    byte[] b = bytesAt();
                    for (int j = 0; j < k; j++) {
                        offs[j] += off;
                    }
                    index.digest().digestMany(b, offs, lens, k, digests);
                    while (matched < k && index.idEquals(next + matched, Arrays.copyOfRange(digests,
                            DigestAlgorithm.DIGEST_LENGTH * matched, DigestAlgorithm.DIGEST_LENGTH * (matched + 1)))) {
                        int n = (int) lens[matched];
                        int first = table.firstPosition(index.id(next + matched));
                        if (table.anyPending(first)) {
                            found.found(first, b, (int) offs[matched], n);
                        }
                        pos += n;
                        followed += n;
                        matched++;
                    }
                }
                if (k > 0 && matched == k) {
                    next += matched;
                    follow = Math.min(FOLLOW_MAX, follow * 2);
                    continue;
                }
                next = -1;
                follow = FOLLOW;
            }
            long end = cutOne(pos);
            int n = (int) (end - pos);
            chunked += n;
            if (sizes.get(n) && !seed.isHole(pos, end)) {
                int off = load(pos, n);
                md.update(bytesAt(), off, n);
                int first = table.firstPosition(ChunkId.of(md.digest()));
                if (first >= 0 && index.chunkSize(first) == n) {
                    if (table.anyPending(first)) {
                        found.found(first, bytesAt(), off, n);
                    }
                    next = first + 1;
                }
            }
            pos = end;
        }
    }

    private boolean inOwn;

    private byte[] bytesAt() {
        return inOwn ? own : buf;
    }

    /** Makes {@code [pos, pos+n)} readable in {@link #bytesAt()} and returns its offset there. */
    private int load(long pos, int n) throws IOException {
        if (pos >= bufPos && pos + n <= bufPos + bufLen) {
            inOwn = false;
            return (int) (pos - bufPos);
        }
        if (n <= READ) {
            fill(pos);
            if (pos + n <= bufPos + bufLen) {
                inOwn = false;
                return 0;
            }
        }
        seed.read(pos, own, 0, n);
        inOwn = true;
        return 0;
    }

    private void fill(long pos) throws IOException {
        bufLen = (int) Math.min(READ, seed.size() - pos);
        seed.read(pos, buf, 0, bufLen);
        bufPos = pos;
    }

    /** Runs a fresh chunker from {@code pos}; returns where the chunk ends (the seed's end at the latest). */
    private long cutOne(long pos) throws IOException {
        chunker.reset();
        long size = seed.size();
        long p = pos;
        while (p < size) {
            long r = seed.region(p);
            long regionEnd = Math.abs(r);
            if (r < 0) {
                long z = chunker.nextZeros(regionEnd - p);
                if (z >= 0) {
                    return p + z;
                }
                p = regionEnd;
                continue;
            }
            if (p < bufPos || p >= bufPos + bufLen) {
                fill(p);
            }
            int limit = (int) Math.min(bufLen, regionEnd - bufPos);
            int k = chunker.next(buf, (int) (p - bufPos), limit);
            if (k >= 0) {
                return bufPos + k;
            }
            p = bufPos + limit;
        }
        return size;
    }
}
