package org.jcasync.tree;

import org.jcasync.blob.ChunkedInputStream;
import org.jcasync.catar.ArchivePath;
import org.jcasync.catar.CatarDecoder;
import org.jcasync.index.Index;
import org.jcasync.io.IoErrors;
import org.jcasync.io.Pools;
import org.jcasync.location.IndexInput;
import org.jcasync.location.StoreStack;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreRouter;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransferReport;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * Applies an archive to a directory, as {@code casync extract X.catar|X.caidx DIR [PATH]}: the archive's stream (a
 * {@code .catar}, or the chunks of a {@code .caidx} read through a {@link StoreStack}, with directories as chunk
 * seeds in front of it) decoded into a {@link TreeExtractor}, which touches only what differs.
 *
 * <pre>{@code
 * TreeExtractOptions opts = TreeExtractOptions.defaults();
 * ArchiveExtract.Result r = new ArchiveExtract(opts).fromIndex("tree.caidx",
 *         StoreStack.builder().store("https://example.com/store"), Path.of("out"), null);
 * System.err.println(r.summary());
 * }</pre>
 */
public final class ArchiveExtract {
    /** Whether the seed directories (and the existing target) are serialized and chunked as chunk sources. */
    public enum SeedChunks {
        /** Only when a store is remote: reading a local store costs less than chunking a seed tree. */
        AUTO,
        /** Always, as casync does. */
        YES,
        /** Never (file-level reuse of seeds and of the target works either way). */
        NO
    }

    private final TreeExtractOptions options;
    private int threads = Runtime.getRuntime().availableProcessors();
    private SeedChunks seedChunks = SeedChunks.AUTO;
    private Consumer<String> warnings = w -> System.err.println("jcasync: warning: " + w);
    private String targetName;

    /** An extraction doing what {@code options} say. */
    public ArchiveExtract(TreeExtractOptions options) {
        this.options = options;
    }

    /** Worker threads fetching and verifying chunks and chunking seeds (default: one per core). */
    public ArchiveExtract threads(int n) {
        this.threads = n;
        return this;
    }

    /** When the seeds' chunks are used ({@link SeedChunks#AUTO} by default). */
    public ArchiveExtract seedChunks(SeedChunks mode) {
        this.seedChunks = mode;
        return this;
    }

    /** Where a one-line warning goes (default: standard error, as {@code jcasync: warning: ...}). */
    public ArchiveExtract warnings(Consumer<String> w) {
        this.warnings = w;
        return this;
    }

    /** How errors name the target (default: its path), e.g. the location the user gave. */
    public ArchiveExtract targetName(String name) {
        this.targetName = name;
        return this;
    }

    /**
     * What an extraction did: the tree's counters, the seeds' chunks and, for an index, what the stores did.
     *
     * @param stats what was created, kept, written, removed
     * @param seeds the chunk seeds used (empty for a {@code .catar})
     * @param transfer the stores' report, or null for a {@code .catar}
     */
    public record Result(TreeExtractStats stats, List<TreeSeed> seeds, TransferReport transfer) {
        /** One line: the tree's counters, each seed's chunks, then the transfer report. */
        public String summary() {
            StringBuilder b = new StringBuilder(stats.summary());
            for (TreeSeed s : seeds) {
                b.append(String.format("; %d chunks (%.1f MiB) from %s", s.hits(),
                        s.hitBytes() / 1048576.0, s.location()));
            }
            if (transfer != null) {
                b.append("; ").append(transfer.summary());
            }
            return b.toString();
        }

        /** The same as one JSON object. */
        public String toJson() {
            return transfer == null ? stats.toJson() : transfer.addTo(stats.toJson());
        }
    }

    /** Extracts the {@code .catar} stream {@code catar} (only the entry at {@code subtree}, when not null). */
    public Result fromArchive(InputStream catar, Path target, String subtree) throws IOException {
        try (CatarDecoder d = new CatarDecoder(new BufferedInputStream(catar, 1 << 16))) {
            return new Result(extract(d, target, subtree), List.of(), null);
        }
    }

    /**
     * Extracts the {@code .caidx} at {@code indexLocator} ("-" for standard input), its chunks read from
     * {@code seeds} (when asked for) and {@code stores}; only the entry at {@code subtree}, when not null.
     */
    public Result fromIndex(String indexLocator, StoreStack stores, Path target, String subtree) throws IOException {
        long started = System.nanoTime();
        IndexInput in = stores.readIndex(indexLocator);
        Index index = in.index();
        ChunkStore stack = stores.openFor(in);
        ChunkStore source = stack;
        ExecutorService pool = null;
        ChunkedInputStream chunks = null;
        List<TreeSeed> treeSeeds = new ArrayList<>();
        TreeExtractStats stats;
        try {
            pool = Pools.workers(threads);
            List<ChunkStore> sources = new ArrayList<>();
            for (Path s : seedTrees(stores, in.locator(), target)) {
                try {
                    TreeSeed seed = TreeSeed.build(s, index, pool);
                    treeSeeds.add(seed);
                    sources.add(seed);
                } catch (IOException e) {
                    warnings.accept("seed " + s + " not used: " + e.getMessage());
                }
            }
            sources.add(stack);
            source = sources.size() == 1 ? stack : new StoreRouter(sources);
            chunks = new ChunkedInputStream(index, source, pool, 8 * threads);
            try (CatarDecoder d = new CatarDecoder(chunks, index.featureFlags())) {
                stats = extract(d, target, subtree);
            }
        } finally {
            if (chunks != null) {
                chunks.close();
            }
            source.close();
            if (pool != null) {
                pool.shutdownNow();
            }
        }
        return new Result(stats, treeSeeds, transfer(stack, index, treeSeeds, (System.nanoTime() - started) / 1e9));
    }

    /**
     * The directories serialized as chunk seeds. They cost a serialization and chunking of each seed tree and pay
     * off only when the store is slower than that: {@link SeedChunks#AUTO} builds them only when a store is remote.
     */
    private List<Path> seedTrees(StoreStack stores, String indexLocator, Path target) {
        List<Path> trees = new ArrayList<>();
        if (seedChunks == SeedChunks.YES || seedChunks == SeedChunks.AUTO && stores.anyRemote(indexLocator)) {
            trees.addAll(options.seeds());
            if (options.seedOutput() && Files.isDirectory(target)) {
                trees.add(target);
            }
        }
        return trees;
    }

    private TreeExtractStats extract(CatarDecoder d, Path target, String subtree) throws IOException {
        try {
            return new TreeExtractor(options).extract(d, target, ArchivePath.normalize(subtree));
        } catch (IOException e) {
            throw IoErrors.withContext(e, "extracting to " + (targetName != null ? targetName : target));
        }
    }

    /**
     * The stores' report. What the stores (not seeds or the cache) delivered, uncompressed, is estimated for the
     * "saved" share: the index's length less the seeds' hits and the cache's chunks at the average chunk size.
     */
    private static TransferReport transfer(ChunkStore stack, Index index, List<TreeSeed> seeds, double seconds) {
        long fetched = index.length();
        for (TreeSeed s : seeds) {
            fetched -= s.hitBytes();
        }
        List<StoreStats> st = stack.stats();
        for (StoreStats s : st) {
            if (s.role() == StoreStats.Role.CACHE) {
                fetched -= s.chunks() * (index.length() / Math.max(1, index.size()));
            }
        }
        return new TransferReport(st, index.length(), Math.max(0, fetched), seconds);
    }
}
