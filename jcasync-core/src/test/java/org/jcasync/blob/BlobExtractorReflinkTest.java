package org.jcasync.blob;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.format.FeatureFlags;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.index.IndexWriter;
import org.jcasync.internal.fs.LinuxFile;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** Seed ranges at the same offset are cloned with FICLONERANGE on file systems that share extents. */
class BlobExtractorReflinkTest {
    private static ExecutorService pool;

    @BeforeAll
    static void start() {
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mkfs.btrfs", "mkfs.xfs"})
    void sameOffsetSeedDataIsReflinked(String mkfs, @TempDir Path dir) throws Exception {
        String[] args = mkfs.equals("mkfs.xfs") ? new String[] {"-q", "-m", "reflink=1"} : new String[] {"-q"};
        try (LoopFs fs = LoopFs.create(dir, mkfs, args)) {
            Path root = fs.root();
            byte[] v1 = new byte[24 << 20];
            new Random(5).nextBytes(v1);
            byte[] v2 = v1.clone();
            for (int i = 12 << 20; i < (12 << 20) + 300_000; i++) {
                v2[i] = (byte) (i * 31);
            }
            Path seed = root.resolve("v1.img");
            Files.write(seed, v1);
            Path storeDir = root.resolve("s.castr");
            LocalStore store = new LocalStore(storeDir, StoreOptions.DEFAULT);
            Path idx = root.resolve("v2.caibx");
            try (OutputStream os = Files.newOutputStream(idx)) {
                IndexWriter w = new IndexWriter(os, FeatureFlags.DEFAULT_BLOB, ChunkerParams.DEFAULT);
                new BlobMaker(ChunkerParams.DEFAULT, DigestAlgorithm.SHA512_256, store, pool, 2)
                        .make(new ByteArrayInputStream(v2), w);
            }
            Index index = IndexReader.read(idx);
            Path out = root.resolve("v2.img");
            ExtractStats st = new BlobExtractor(index, store, pool, new ExtractOptions(true, true, false, false, 2))
                    .extract(out, List.of(seed));
            assertThat(Files.readAllBytes(out)).isEqualTo(v2);
            assertThat(LinuxFile.canReflink(root, root)).isTrue();
            assertThat(st.reflinked.get()).isGreaterThan(16L << 20);
            assertThat(st.seeds.bytes()).isGreaterThan(20L << 20);
            assertThat(st.store.bytes()).isLessThan(2L << 20);
            // Without reflinks the same extract copies: same bytes, nothing reflinked.
            Path out2 = root.resolve("v2-copy.img");
            ExtractStats st2 = new BlobExtractor(index, store, pool,
                    new ExtractOptions(true, false, false, false, 2)).extract(out2, List.of(seed));
            assertThat(Files.readAllBytes(out2)).isEqualTo(v2);
            assertThat(st2.reflinked.get()).isZero();
        }
    }
}
