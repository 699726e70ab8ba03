package org.jcasync.blob;

import org.jcasync.catar.CatarEncoder;
import org.jcasync.catar.TreeStream;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.IndexWriter;
import org.jcasync.io.Pools;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.function.LongConsumer;

/**
 * Makes an index, as {@code casync make}: a blob ({@code .caibx}) from a file, block device or stream, or a
 * directory tree ({@code .caidx}) serialized on the way ({@link TreeStream}); the chunks go into the store, the
 * index to a stream. The work runs on a pool of {@link #threads} workers for the duration of each call.
 *
 * <pre>{@code
 * try (WritableChunkStore store = new LocalStore(Path.of("default.castr"), StoreOptions.DEFAULT);
 *      BlobSource blob = BlobSource.open(Path.of("v2.img"));
 *      OutputStream index = Files.newOutputStream(Path.of("v2.caibx"))) {
 *     MakeStats made = new IndexMaker(store).blob(blob, FeatureFlags.DEFAULT_BLOB, index);
 *     System.out.println(made.digest().toHex());
 * }
 * }</pre>
 */
public final class IndexMaker {
    private final WritableChunkStore store;
    private ChunkerParams params = ChunkerParams.DEFAULT;
    private DigestAlgorithm digest = DigestAlgorithm.SHA512_256;
    private int threads = Runtime.getRuntime().availableProcessors();
    private LongConsumer progress = n -> { };

    /** Chunks go into {@code store} (null: only the index is made). */
    public IndexMaker(WritableChunkStore store) {
        this.store = store;
    }

    /** Chunk sizes (default: casync's 16K:64K:256K). */
    public IndexMaker chunkerParams(ChunkerParams p) {
        this.params = p;
        return this;
    }

    /** The digest naming the chunks (default SHA-512/256). */
    public IndexMaker digest(DigestAlgorithm d) {
        this.digest = d;
        return this;
    }

    /** Worker threads (default: one per core). */
    public IndexMaker threads(int n) {
        this.threads = n;
        return this;
    }

    /** Told the number of input bytes indexed so far. */
    public IndexMaker onProgress(LongConsumer p) {
        this.progress = p;
        return this;
    }

    /** Indexes a seekable blob (its holes are never read); the index records {@code featureFlags}. */
    public MakeStats blob(BlobSource blob, long featureFlags, OutputStream index) throws IOException {
        return run(featureFlags, index, (maker, w) -> maker.make(blob, w));
    }

    /** Indexes a stream read to its end; the index records {@code featureFlags}. */
    public MakeStats stream(InputStream in, long featureFlags, OutputStream index) throws IOException {
        return run(featureFlags, index, (maker, w) -> maker.make(in, w));
    }

    /**
     * Indexes the catar stream {@code encoder} makes of {@code dir} ({@code casync make x.caidx DIR}), read while it
     * is written; the index records the encoder's flags. The digest is the archive's.
     */
    public MakeStats tree(Path dir, CatarEncoder encoder, OutputStream index) throws IOException {
        return run(encoder.flags(), index, (maker, w) -> {
            try (InputStream in = TreeStream.open(dir, encoder)) {
                return maker.make(in, w);
            }
        });
    }

    @FunctionalInterface
    private interface Job {
        MakeStats run(BlobMaker maker, IndexWriter index) throws IOException;
    }

    private MakeStats run(long featureFlags, OutputStream index, Job job) throws IOException {
        IndexWriter w = new IndexWriter(index, featureFlags, params);
        ExecutorService pool = Pools.workers(threads);
        try {
            return job.run(new BlobMaker(params, digest, store, pool, threads).onProgress(progress), w);
        } finally {
            pool.shutdownNow();
        }
    }
}
