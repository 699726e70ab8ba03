package org.jcasync.blob;

import org.jcasync.io.Futures;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.Chunker;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.IndexWriter;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.io.InputStream;
import org.jcasync.chunk.Hasher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Turns a blob into an index (and, with a store, into stored chunks), like {@code casync make x.caibx FILE}.
 *
 * <p>Seekable input: cut points are found in parallel ({@link ParallelCutter}); chunks are hashed and compressed in
 * batches on the pool; chunks in holes are never read (their ids are computed once per size); a chunk the store
 * already has is not compressed again. The blob digest runs on its own thread. Stream input: one reader thread cuts,
 * the pool hashes and stores. Memory stays bounded: a few batches in flight.
 */
public final class BlobMaker {
    private static final int BATCH_BYTES = 4 << 20;
    /** Bytes read from a stream at a time. */
    private static final int READ_BYTES = 1 << 20;

    private final ChunkerParams params;
    private final DigestAlgorithm digest;
    private final WritableChunkStore store;
    private final ExecutorService pool;
    private final int threads;
    private final Set<ChunkId> seen = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<Integer, ChunkId> zeroIds = new ConcurrentHashMap<>();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong reused = new AtomicLong();
    private final AtomicLong zero = new AtomicLong();
    private LongConsumer progress = n -> { };

    /**
     * @param store where chunks go, or null to only write the index
     * @param pool worker threads ({@code threads} of them)
     */
    public BlobMaker(ChunkerParams params, DigestAlgorithm digest, WritableChunkStore store, ExecutorService pool,
            int threads) {
        this.params = params;
        this.digest = digest;
        this.store = store;
        this.pool = pool;
        this.threads = threads;
    }

    /** Told the number of bytes indexed so far, from the coordinating thread. */
    public BlobMaker onProgress(LongConsumer p) {
        this.progress = p;
        return this;
    }

    /** A chunk of a batch: where it starts in the blob and its size. */
    private record Piece(long start, int size) {
    }

    private record Done(ChunkId id, int size) {
    }

    /** Makes the index of a seekable blob. */
    public MakeStats make(BlobSource src, IndexWriter out) throws IOException {
        try {
            return makeSeekable(src, out);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private MakeStats makeSeekable(BlobSource src, IndexWriter out) throws IOException {
        long t0 = System.nanoTime();
        FutureTask<ChunkId> whole = new FutureTask<>(() -> wholeDigest(src));
        Thread.ofPlatform().name("jcasync-blob-digest").daemon().start(whole);
        Batches batches = new Batches(out);
        List<Piece> batch = new ArrayList<>();
        long[] prev = {0};
        long[] batchBytes = {0};
        new ParallelCutter(src, params, pool, threads).run(end -> {
            long start = prev[0];
            tooLarge(end - start);
            batch.add(new Piece(start, (int) (end - start)));
            batchBytes[0] += end - start;
            prev[0] = end;
            if (batchBytes[0] >= BATCH_BYTES) {
                batches.submit(List.copyOf(batch), src, null);
                batch.clear();
                batchBytes[0] = 0;
            }
        });
        if (!batch.isEmpty()) {
            batches.submit(List.copyOf(batch), src, null);
        }
        batches.drainAll();
        ChunkId d = Futures.await(whole);
        out.finish();
        return stats(d, out.length(), batches.count, t0);
    }

    /** Makes the index of a stream read to its end. */
    public MakeStats make(InputStream in, IndexWriter out) throws IOException {
        try {
            return makeStream(in, out);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Stream input is read straight into the buffer of the batch being filled and cut there; a full batch goes to
     * the pool with its chunks side by side in that buffer (no copy per chunk), only the bytes of the chunk still
     * being cut move to the next batch's buffer.
     */
    private MakeStats makeStream(InputStream in, IndexWriter out) throws IOException {
        long t0 = System.nanoTime();
        Hasher whole = digest.newHasher();
        Batches batches = new Batches(out);
        Chunker chunker = new Chunker(params);
        byte[] staged = batches.buffer(BATCH_BYTES + READ_BYTES);
        int filled = 0;
        int chunkStart = 0;
        long offset = 0;
        List<Piece> batch = new ArrayList<>();
        while (true) {
            if (staged.length - filled < READ_BYTES) {
                staged = java.util.Arrays.copyOf(staged, Math.max(staged.length * 2, filled + READ_BYTES));
            }
            int n = in.readNBytes(staged, filled, READ_BYTES);
            if (n <= 0) {
                break;
            }
            whole.update(staged, filled, n);
            int scan = filled;
            filled += n;
            while (scan < filled) {
                int cut = chunker.next(staged, scan, filled);
                if (cut < 0) {
                    break;
                }
                tooLarge(cut - chunkStart);
                batch.add(new Piece(offset, cut - chunkStart));
                offset += cut - chunkStart;
                chunkStart = cut;
                scan = cut;
            }
            if (chunkStart >= BATCH_BYTES) {
                int tail = filled - chunkStart;
                byte[] next = batches.buffer(tail + BATCH_BYTES + READ_BYTES);
                System.arraycopy(staged, chunkStart, next, 0, tail);
                batches.submit(List.copyOf(batch), null, staged);
                batch.clear();
                staged = next;
                filled = tail;
                chunkStart = 0;
            }
        }
        if (filled > chunkStart) {
            tooLarge(filled - chunkStart);
            batch.add(new Piece(offset, filled - chunkStart));
        }
        if (!batch.isEmpty()) {
            batches.submit(List.copyOf(batch), null, staged);
        }
        batches.drainAll();
        out.finish();
        return stats(ChunkId.of(whole.digest()), out.length(), batches.count, t0);
    }

    /** casync refuses a chunk above max (only possible when max < 48 without fixed-size chunking): fail at once. */
    private void tooLarge(long size) {
        if (size > params.max()) {
            throw new java.io.UncheckedIOException(new IOException("chunk of " + size
                    + " bytes does not fit the chunk sizes " + params
                    + " (without fixed-size chunking the maximum must be at least 48 bytes)"));
        }
    }

    private MakeStats stats(ChunkId d, long size, long chunks, long t0) {
        return new MakeStats(d, size, chunks, stored.get(), reused.get(), zero.get(), (System.nanoTime() - t0) / 1e9);
    }

    /** Batches in flight on the pool, written to the index in order. */
    private final class Batches {
        private final IndexWriter out;
        private final ArrayDeque<Future<Done[]>> inFlight = new ArrayDeque<>();
        /** The buffers of the batches in flight, in the same order. */
        private final ArrayDeque<byte[]> buffers = new ArrayDeque<>();
        /** Buffers of finished batches, used again (no fresh, zeroed 4 MiB array per batch). */
        private final ArrayDeque<byte[]> free = new ArrayDeque<>();
        private long count;
        private long indexed;

        Batches(IndexWriter out) {
            this.out = out;
        }

        /** A buffer of at least {@code size} bytes for the next batch. */
        byte[] buffer(long size) {
            byte[] b = free.poll();
            return b != null && b.length >= size ? b : new byte[(int) Math.min(Integer.MAX_VALUE - 16, size)];
        }

        /**
         * Hands a batch to the pool: with {@code staged}, the pieces' bytes lie side by side in it from index 0;
         * without, they are read from {@code src} into a buffer of the pool.
         */
        void submit(List<Piece> pieces, BlobSource src, byte[] staged) {
            try {
                while (inFlight.size() >= 2 * threads + 2) {
                    drainOne();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            byte[] buf = staged;
            if (buf == null) {
                long total = 0;
                for (Piece p : pieces) {
                    total += p.size();
                }
                buf = buffer(total);
            }
            byte[] data = buf;
            Callable<Done[]> task = () -> process(pieces, src, data, staged != null);
            inFlight.add(pool.submit(task));
            buffers.add(buf);
        }

        void drainOne() throws IOException {
            Future<Done[]> f = inFlight.poll();
            byte[] buf = buffers.poll();
            Done[] done = Futures.await(f);
            free.add(buf);
            for (Done d : done) {
                out.add(d.id(), d.size());
                count++;
                indexed += d.size();
            }
            progress.accept(indexed);
        }

        void drainAll() throws IOException {
            try {
                while (!inFlight.isEmpty()) {
                    drainOne();
                }
            } finally {
                for (Future<Done[]> f : inFlight) {
                    f.cancel(true);
                }
            }
        }
    }

    /**
     * Hashes a batch and stores its new chunks. The chunks' data lie side by side in {@code data} (so they are
     * hashed together, multi-buffer SHA): already there when {@code staged}, else read from {@code src} (holes
     * are not read).
     */
    private Done[] process(List<Piece> pieces, BlobSource src, byte[] data, boolean staged) throws IOException {
        int n = pieces.size();
        Done[] done = new Done[n];
        long[] offs = new long[n];
        long[] lens = new long[n];
        int[] which = new int[n];
        int k = 0;
        int at = 0;
        for (int i = 0; i < n; i++) {
            Piece p = pieces.get(i);
            boolean hole = !staged && src.isHole(p.start(), p.start() + p.size());
            if (!hole && !staged) {
                src.read(p.start(), data, at, p.size());
            }
            // All-zero chunks (holes, or zeros written as data) have an id known per size: no digest needed.
            if (hole || BlobWriter.isZero(data, at, p.size())) {
                ChunkId id = zeroIds.computeIfAbsent(p.size(), s -> digest.digest(new byte[s], 0, s));
                zero.incrementAndGet();
                done[i] = new Done(id, p.size());
                if (store != null && seen.add(id)) {
                    byte[] zeros = new byte[p.size()];
                    count(store.put(id, zeros, 0, zeros.length));
                } else {
                    reused.incrementAndGet();
                }
                if (staged) {
                    at += p.size();
                }
                continue;
            }
            offs[k] = at;
            lens[k] = p.size();
            which[k++] = i;
            at += p.size();
        }
        byte[] ids = new byte[DigestAlgorithm.DIGEST_LENGTH * k];
        digest.digestMany(data, offs, lens, k, ids);
        for (int j = 0; j < k; j++) {
            ChunkId id = ChunkId.of(java.util.Arrays.copyOfRange(ids, DigestAlgorithm.DIGEST_LENGTH * j,
                    DigestAlgorithm.DIGEST_LENGTH * (j + 1)));
            done[which[j]] = new Done(id, (int) lens[j]);
            if (store != null && seen.add(id)) {
                count(store.put(id, data, (int) offs[j], (int) lens[j]));
            } else {
                reused.incrementAndGet();
            }
        }
        return done;
    }

    private void count(boolean wasNew) {
        (wasNew ? stored : reused).incrementAndGet();
    }

    /** Digest of every byte of the blob, holes included, in one sequential pass. */
    private ChunkId wholeDigest(BlobSource src) throws IOException {
        Hasher md = digest.newHasher();
        byte[] buf = new byte[1 << 20];
        long size = src.size();
        for (long pos = 0; pos < size; ) {
            int n = (int) Math.min(buf.length, size - pos);
            src.read(pos, buf, 0, n);
            md.update(buf, 0, n);
            pos += n;
        }
        return ChunkId.of(md.digest());
    }
}
