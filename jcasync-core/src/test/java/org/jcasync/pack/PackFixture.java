package org.jcasync.pack;

import org.jcasync.blob.BlobMaker;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.IndexWriter;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A local store with indexes of blobs made by the real BlobMaker, for pack tests (here and over HTTP). */
public final class PackFixture {
    /** Small chunks, so a few MB make hundreds. */
    public static final ChunkerParams SMALL = ChunkerParams.parse("4K:16K:64K");
    final Path dir;
    final LocalStore store;

    /** A store in {@code dir}/s; indexes go to {@code dir}. */
    public PackFixture(Path dir) {
        this.dir = dir;
        this.store = new LocalStore(dir.resolve("s"), StoreOptions.DEFAULT);
    }

    /** Makes {@code name}.caibx of {@code data} into the store; returns the index file. */
    public Packer.IndexFile make(String name, byte[] data) throws IOException {
        Path idx = dir.resolve(name + ".caibx");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (OutputStream out = Files.newOutputStream(idx)) {
            new BlobMaker(SMALL, DigestAlgorithm.SHA512_256, store, pool, 2)
                    .make(new ByteArrayInputStream(data), new IndexWriter(out, DigestAlgorithm.FLAG_SHA512_256,
                            SMALL));
        } finally {
            pool.shutdownNow();
        }
        return Packer.IndexFile.read(idx);
    }

    /** The store the indexes' chunks are in. */
    public LocalStore store() {
        return store;
    }

    /** Counts reads (calls) and ranges on top of real files. */
    static final class CountingSource implements RangeSource {
        final LocalRangeSource real;
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger ranges = new java.util.concurrent.atomic.AtomicInteger();
        final int maxRanges;
        /** Packs read, one entry per call. */
        final List<String> paths = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** When set, each read first takes a permit (to hold reads back). */
        volatile java.util.concurrent.Semaphore gate;

        CountingSource(Path root, int maxRanges) {
            this.real = new LocalRangeSource(root);
            this.maxRanges = maxRanges;
        }

        @Override
        public void read(String path, List<Range> r, Sink sink) throws IOException {
            java.util.concurrent.Semaphore g = gate;
            if (g != null) {
                g.acquireUninterruptibly();
            }
            calls.incrementAndGet();
            ranges.addAndGet(r.size());
            paths.add(path);
            real.read(path, r, sink);
        }

        @Override
        public int maxRangesPerRequest() {
            return maxRanges;
        }

        @Override
        public String location() {
            return real.location();
        }

        @Override
        public List<org.jcasync.store.StoreStats> stats() {
            return real.stats();
        }

        @Override
        public void close() {
        }
    }
}
