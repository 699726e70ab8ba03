package org.jcasync.blob;

import org.jcasync.io.Futures;
import org.jcasync.chunk.ChunkerParams;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * Finds a blob's cut points with several threads and yields exactly the sequential result.
 *
 * <p>The blob is split into sections; each is cut independently from its start (as if a chunk ended there) and a
 * few cuts past its end. The chunker forgets everything at a cut, so once the true chain of cuts (coming from the
 * previous section) meets a cut of the next section's list, the two agree from there on; the section's earlier cuts
 * are discarded. When they do not meet within the overrun (long runs without boundaries), the chain is continued
 * sequentially until they do. Section sizes are multiples of the maximum chunk size, so forced cuts at max in
 * boundary-free data still meet.
 */
public final class ParallelCutter {
    private static final int OVERRUN = 4;

    private final BlobSource src;
    private final ChunkerParams params;
    private final ExecutorService pool;
    private final int threads;
    private final long sectionSize;
    private long lastEmitted;
    private LongConsumer sink;

    /** Cuts {@code src} with {@code params} on {@code pool}, keeping at most about {@code threads} busy. */
    public ParallelCutter(BlobSource src, ChunkerParams params, ExecutorService pool, int threads) {
        this.src = src;
        this.params = params;
        this.pool = pool;
        this.threads = Math.max(1, threads);
        long s = Math.max(16L << 20, 32L * params.max());
        this.sectionSize = (s + params.max() - 1) / params.max() * params.max();
    }

    /** Calls {@code onCut} with the end offset of every chunk, in order; the last is the blob size. */
    public void run(LongConsumer onCut) throws IOException {
        this.sink = onCut;
        this.lastEmitted = 0;
        long eof = src.size();
        if (eof == 0) {
            return;
        }
        int n = (int) ((eof + sectionSize - 1) / sectionSize);
        if (n == 1 || threads == 1) {
            emitUpTo(new SectionCutter(src, params).cut(0, eof, 0, c -> false), 0, eof);
            return;
        }
        SectionCutter fallback = new SectionCutter(src, params);
        ArrayDeque<Future<long[]>> pending = new ArrayDeque<>();
        int submitted = 0;
        int lookahead = 2 * threads + 1;
        long[] tail = new long[0];
        try {
            for (int k = 0; k < n; k++) {
                while (submitted < n && submitted - k < lookahead) {
                    long s = submitted * sectionSize;
                    long e = Math.min(s + sectionSize, eof);
                    pending.add(pool.submit(() -> new SectionCutter(src, params).cut(s, e, OVERRUN, c -> false)));
                    submitted++;
                }
                long[] r = Futures.await(pending.poll());
                long end = Math.min((k + 1) * sectionSize, eof);
                if (k == 0) {
                    tail = emitUpTo(r, 0, end);
                    continue;
                }
                long[] rest = null;
                for (int i = 0; i < tail.length; i++) {
                    int j = Arrays.binarySearch(r, tail[i]);
                    if (j >= 0) {
                        emitUpTo(tail, 0, tail[i]);
                        rest = Arrays.copyOfRange(r, j + 1, r.length);
                        break;
                    }
                }
                if (rest == null) {
                    emitUpTo(tail, 0, Long.MAX_VALUE);
                    if (lastEmitted >= eof) {
                        break;
                    }
                    final long[] theirs = r;
                    long[] f = fallback.cut(lastEmitted, end, OVERRUN, c -> Arrays.binarySearch(theirs, c) >= 0);
                    int j = f.length == 0 ? -1 : Arrays.binarySearch(r, f[f.length - 1]);
                    if (j >= 0) {
                        emitUpTo(f, 0, Long.MAX_VALUE);
                        rest = Arrays.copyOfRange(r, j + 1, r.length);
                    } else {
                        rest = f;
                    }
                }
                tail = emitUpTo(rest, 0, end);
            }
            emitUpTo(tail, 0, Long.MAX_VALUE);
            if (lastEmitted != eof) {
                throw new IllegalStateException("cutting ended at " + lastEmitted + " of " + eof);
            }
        } finally {
            for (Future<long[]> f : pending) {
                f.cancel(true);
            }
        }
    }

    /** Emits the cuts of {@code cuts[from..]} that are <= {@code limit}; returns the rest. */
    private long[] emitUpTo(long[] cuts, int from, long limit) {
        int i = from;
        for (; i < cuts.length && cuts[i] <= limit; i++) {
            if (cuts[i] > lastEmitted) {
                lastEmitted = cuts[i];
                sink.accept(cuts[i]);
            }
        }
        return Arrays.copyOfRange(cuts, i, cuts.length);
    }
}
