package org.jcasync.blob;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.index.IndexWriter;
import org.jcasync.internal.fs.LinuxFile;
import org.jcasync.store.CachedStore;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class BlobExtractorTest {
    private static final ChunkerParams P = ChunkerParams.parse("16K");
    private static final long FLAGS = 0xb000000000000000L;
    private static final int MIB = 1 << 20;

    private static ExecutorService pool;
    /** The default test blob: random bytes. */
    private static byte[] base;
    /** {@link #base} made once; tests that damage its store work on a copy ({@link #baseMade()}). */
    private static Made baseShared;

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() throws IOException {
        pool = Executors.newFixedThreadPool(3);
        base = TestData.random(2024, 4 * MIB + 4321);
        baseShared = make(shared, base, "base");
    }

    /** The base blob with a private copy of its store in this test's directory. */
    Made baseMade() throws IOException {
        Path copy = tmp.resolve("blob.castr");
        try (Stream<Path> s = Files.walk(baseShared.storeDir())) {
            for (Path p : s.toList()) {
                Path dst = copy.resolve(baseShared.storeDir().relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(p, dst);
                }
            }
        }
        return new Made(base, baseShared.index(), baseShared.indexBytes(), copy);
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    /** A blob made into an index and a store. */
    record Made(byte[] data, Index index, byte[] indexBytes, Path storeDir) {
        LocalStore store() {
            return new LocalStore(storeDir, StoreOptions.DEFAULT.with(index.digest(), index.params().max()));
        }
    }

    /** Makes {@code data} (written to {@code <name>}) into an index and the store {@code <name>.castr}. */
    Made make(byte[] data, String name) throws IOException {
        return make(tmp, data, name);
    }

    static Made make(Path tmp, byte[] data, String name) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, data);
        Path storeDir = tmp.resolve(name + ".castr");
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (BlobSource src = BlobSource.open(f)) {
            new BlobMaker(P, DigestAlgorithm.SHA512_256, new LocalStore(storeDir, StoreOptions.DEFAULT), pool, 2)
                    .make(src, new IndexWriter(bo, FLAGS, P));
        }
        Files.delete(f);
        Index idx = IndexReader.read(new ByteArrayInputStream(bo.toByteArray()), name);
        assertThat(idx.length()).isEqualTo(data.length);
        return new Made(data, idx, bo.toByteArray(), storeDir);
    }

    static BlobExtractor extractor(Made m, ChunkStore store, boolean inPlace, boolean seedOutput) {
        return new BlobExtractor(m.index(), store, pool, new ExtractOptions(true, true, inPlace, seedOutput, 2))
                .warnings(new PrintStream(OutputStream.nullOutputStream()));
    }

    static BlobExtractor extractor(Made m, boolean inPlace) {
        return extractor(m, m.store(), inPlace, true);
    }

    /** Every position of the index is accounted for exactly once. */
    static void assertAccounted(ExtractStats st, Made m) {
        assertThat(st.inPlace.chunks() + st.seeds.chunks() + st.zero.chunks() + st.cache.chunks()
                + st.store.chunks()).isEqualTo(m.index().size());
        assertThat(st.inPlace.bytes() + st.seeds.bytes() + st.zero.bytes() + st.cache.bytes() + st.store.bytes())
                .isEqualTo(m.data().length);
        assertThat(st.totalChunks()).isEqualTo(m.index().size());
        assertThat(st.totalBytes()).isEqualTo(m.data().length);
    }

    /** Files whose name starts with ".#" (AtomicFile temporaries) anywhere under {@code dir}. */
    static List<Path> tempFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".#")).toList();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static long dataBytes(Path p) throws IOException {
        long n = 0;
        for (long[] e : LinuxFile.dataExtents(p, Files.size(p))) {
            n += e[1] - e[0];
        }
        return n;
    }

    // ------------------------------------------------------------------ (a) plain

    @Test
    void plainExtractFromStore() throws IOException {
        Made m = baseMade();
        Path out = tmp.resolve("out.img");
        ExtractStats st = extractor(m, false).extract(out, List.of());
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(st.store.chunks()).isEqualTo(m.index().size());
        assertThat(st.seeds.chunks()).isZero();
        assertThat(st.storeBytesRead.get()).isPositive();
        assertAccounted(st, m);
        assertThat(tempFiles(tmp)).isEmpty();
    }

    @Test
    void repeatedChunksAreFetchedOnceAndWrittenEverywhere() throws IOException {
        byte[] part = TestData.random(3, MIB);
        byte[] data = concat(concat(part, part), part);
        Made m = make(data, "rep");
        LocalStore store = m.store();
        Path out = tmp.resolve("out.img");
        ExtractStats st = extractor(m, store, false, true).extract(out, List.of());
        assertThat(Files.readAllBytes(out)).isEqualTo(data);
        assertAccounted(st, m);
        long distinctStored = 0;
        try (Stream<Path> s = Files.walk(m.storeDir())) {
            distinctStored = s.filter(p -> p.toString().endsWith(".cacnk")).mapToLong(p -> p.toFile().length()).sum();
        }
        assertThat(st.storeBytesRead.get()).isEqualTo(distinctStored);
    }

    @Test
    void emptyBlob() throws IOException {
        Made m = make(new byte[0], "empty");
        Path out = tmp.resolve("out.img");
        Files.write(out, TestData.random(1, 1000)); // an existing output is replaced by the empty blob
        ExtractStats st = extractor(m, false).extract(out, List.of());
        assertThat(Files.size(out)).isZero();
        assertThat(st.totalChunks()).isZero();
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        extractor(m, false).extract(bo);
        assertThat(bo.size()).isZero();
    }

    // ------------------------------------------------------------------ (b) larger output (casync #272)

    @ParameterizedTest(name = "inPlace={0}")
    @ValueSource(booleans = {false, true})
    void largerExistingOutputIsTruncatedToTheBlobSize(boolean inPlace) throws IOException {
        Made m = baseMade();
        Path out = tmp.resolve("out.img");
        Files.write(out, TestData.random(99, base.length * 2));
        ExtractStats st = extractor(m, inPlace).extract(out, List.of());
        assertThat(Files.size(out)).isEqualTo(base.length);
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertAccounted(st, m);
        assertThat(tempFiles(tmp)).isEmpty();
    }

    @ParameterizedTest(name = "inPlace={0}")
    @ValueSource(booleans = {false, true})
    void outputHoldingTheBlobPlusAStaleTail(boolean inPlace) throws IOException {
        Made m = baseMade();
        Path out = tmp.resolve("out.img");
        Files.write(out, concat(base, TestData.random(98, 3 * MIB)));
        deleteTree(m.storeDir()); // everything must come from the existing output
        ExtractStats st = extractor(m, inPlace).extract(out, List.of());
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        if (inPlace) {
            assertThat(st.inPlace.chunks()).isEqualTo(m.index().size());
        } else {
            assertThat(st.seeds.chunks()).isEqualTo(m.index().size());
        }
        assertThat(st.store.chunks()).isZero();
        assertAccounted(st, m);
    }

    // ------------------------------------------------------------------ (c) identical seed

    @Test
    void identicalSeedNeedsNoStore() throws IOException {
        Made m = baseMade();
        Path seed = tmp.resolve("seed.img");
        Files.write(seed, base);
        deleteTree(m.storeDir());
        assertThat(m.storeDir()).doesNotExist();
        Path out = tmp.resolve("out.img");
        ExtractStats st = extractor(m, false).extract(out, List.of(seed));
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(st.seeds.chunks()).isEqualTo(m.index().size());
        assertThat(st.seeds.bytes()).isEqualTo(base.length);
        assertThat(st.store.chunks()).isZero();
        assertThat(st.storeBytesRead.get()).isZero();
        assertAccounted(st, m);
        assertThat(Files.readAllBytes(seed)).isEqualTo(base); // the seed is only read
    }

    @Test
    void withoutSeedAMissingStoreFails() throws IOException {
        Made m = baseMade();
        deleteTree(m.storeDir());
        Path out = tmp.resolve("out.img");
        Throwable t = catchThrowable(() -> extractor(m, false).extract(out, List.of()));
        assertThat(t).isInstanceOf(IOException.class).hasMessageContaining(m.storeDir().toString());
        assertThat(out).doesNotExist();
        assertThat(tempFiles(tmp)).isEmpty();
    }

    // ------------------------------------------------------------------ (d) shifted seed

    @Test
    void shiftedSeedStillProvidesMostChunks() throws IOException {
        Made m = baseMade();
        Path seed = tmp.resolve("seed.img");
        Files.write(seed, concat(TestData.random(7, 1000), base));
        LocalStore store = m.store();
        Path out = tmp.resolve("out.img");
        ExtractStats st = extractor(m, store, false, true).extract(out, List.of(seed));
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(st.seeds.chunks()).isGreaterThanOrEqualTo(m.index().size() - 2);
        assertThat(st.store.chunks()).isBetween(1L, 2L); // the first chunk changed
        assertAccounted(st, m);
    }

    @Test
    void seedWithAChangedMiddle() throws IOException {
        Made m = baseMade();
        byte[] s = base.clone();
        // Overwrite 300 KB in the middle and insert 777 bytes after it: some chunks at the same offsets, some
        // shifted, a few really new.
        for (int i = 2 * MIB; i < 2 * MIB + 300_000; i++) {
            s[i] = (byte) (i * 7);
        }
        byte[] shifted = concat(concat(Arrays.copyOf(s, 3 * MIB), new byte[777]),
                Arrays.copyOfRange(s, 3 * MIB, s.length));
        Path seed = tmp.resolve("seed.img");
        Files.write(seed, shifted);
        Path out = tmp.resolve("out.img");
        ExtractStats st = extractor(m, false).extract(out, List.of(seed));
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(st.store.bytes()).isLessThan(600_000);
        assertThat(st.seeds.bytes()).isGreaterThan(base.length - 600_000L);
        assertAccounted(st, m);
    }

    // ------------------------------------------------------------------ (e) seed with its own .caibx

    private Path seedWithIndex(byte[] seedData, long indexMtimeOffsetMillis, ChunkerParams p) throws IOException {
        Path seed = tmp.resolve("seed.img");
        Files.write(seed, seedData);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        new BlobMaker(p, DigestAlgorithm.SHA512_256, null, pool, 2)
                .make(new ByteArrayInputStream(seedData), new IndexWriter(bo, FLAGS, p));
        Path caibx = tmp.resolve("seed.img.caibx");
        Files.write(caibx, bo.toByteArray());
        FileTime seedTime = Files.getLastModifiedTime(seed);
        Files.setLastModifiedTime(caibx, FileTime.fromMillis(seedTime.toMillis() + indexMtimeOffsetMillis));
        return seed;
    }

    private static String verbose(BlobExtractor ex, Path out, List<Path> seeds, ExtractStats[] st)
            throws IOException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        st[0] = ex.verbose(new PrintStream(log, true, StandardCharsets.UTF_8)).extract(out, seeds);
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void seedIndexBesideTheSeedIsUsed() throws IOException {
        Made m = baseMade();
        // Shifted, so that probing at the same offsets finds nothing and only chunk tables can help.
        Path seed = seedWithIndex(concat(TestData.random(7, 1000), base), 5000, P);
        Path out = tmp.resolve("out.img");
        ExtractStats[] st = new ExtractStats[1];
        String log = verbose(extractor(m, false), out, List.of(seed), st);
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(log).contains("(by its index)");
        assertThat(st[0].seeds.chunks()).isGreaterThanOrEqualTo(m.index().size() - 2);
        assertAccounted(st[0], m);
    }

    @Test
    void seedIndexOlderThanTheSeedIsIgnored() throws IOException {
        Made m = baseMade();
        Path seed = seedWithIndex(concat(TestData.random(7, 1000), base), -5000, P);
        Path out = tmp.resolve("out.img");
        ExtractStats[] st = new ExtractStats[1];
        String log = verbose(extractor(m, false), out, List.of(seed), st);
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(log).doesNotContain("(by its index)").contains("chunked the rest");
        assertThat(st[0].seeds.chunks()).isGreaterThanOrEqualTo(m.index().size() - 2);
    }

    @Test
    void seedIndexWithOtherChunkSizesIsIgnored() throws IOException {
        Made m = baseMade();
        Path seed = seedWithIndex(concat(TestData.random(7, 1000), base), 5000, ChunkerParams.parse("8K"));
        Path out = tmp.resolve("out.img");
        ExtractStats[] st = new ExtractStats[1];
        String log = verbose(extractor(m, false), out, List.of(seed), st);
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(log).doesNotContain("(by its index)");
        assertThat(st[0].seeds.chunks()).isGreaterThanOrEqualTo(m.index().size() - 2);
    }

    @Test
    void staleSeedIndexIsDetectedByDigests() throws IOException {
        Made m = baseMade();
        byte[] seedData = concat(TestData.random(7, 1000), base);
        Path seed = seedWithIndex(seedData, 60_000, P);
        // Change the seed after its index was written, keeping the index's mtime newer.
        byte[] changed = seedData.clone();
        for (int i = 1 * MIB; i < 2 * MIB; i++) {
            changed[i] ^= 0x5a;
        }
        Files.write(seed, changed);
        Files.setLastModifiedTime(seed, FileTime.fromMillis(
                Files.getLastModifiedTime(tmp.resolve("seed.img.caibx")).toMillis() - 1000));
        ByteArrayOutputStream warn = new ByteArrayOutputStream();
        Path out = tmp.resolve("out.img");
        ExtractStats st = extractor(m, false).warnings(new PrintStream(warn, true, StandardCharsets.UTF_8))
                .extract(out, List.of(seed));
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(warn.toString(StandardCharsets.UTF_8)).contains("does not match its index");
        assertThat(st.store.chunks()).isPositive();
        assertThat(st.seeds.chunks()).isPositive();
        assertAccounted(st, m);
    }

    // ------------------------------------------------------------------ (f) in place

    @Test
    void inPlaceKeepsCorrectChunksAndFixesTheRest() throws IOException {
        Made m = baseMade();
        byte[] partial = Arrays.copyOf(base, base.length * 4 / 5);
        for (int i = MIB; i < MIB + 200_000; i++) {
            partial[i] = (byte) ~partial[i];
        }
        Path out = tmp.resolve("out.img");
        Files.write(out, partial);
        ExtractStats st = extractor(m, true).extract(out, List.of());
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(st.inPlace.chunks()).isPositive();
        assertThat(st.inPlace.bytes()).isGreaterThan(partial.length - 500_000L);
        assertThat(st.store.chunks()).isPositive();
        assertThat(st.store.bytes()).isLessThan(base.length - partial.length + 500_000L);
        assertAccounted(st, m);
        assertThat(tempFiles(tmp)).isEmpty();
    }

    @Test
    void inPlaceIntoANewFile() throws IOException {
        Made m = baseMade();
        Path out = tmp.resolve("new.img");
        ExtractStats st = extractor(m, true).extract(out, List.of());
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(st.inPlace.chunks()).isZero();
        assertAccounted(st, m);
    }

    // ------------------------------------------------------------------ (g) zero chunks

    @Test
    void zeroChunksStaySparse() throws IOException {
        byte[] data = concat(concat(TestData.random(11, 2 * MIB), new byte[10 * MIB]), TestData.random(12, 2 * MIB));
        Made m = make(data, "zeros");
        Path out = tmp.resolve("out.img");
        ExtractStats st = extractor(m, false).extract(out, List.of());
        assertThat(Files.readAllBytes(out)).isEqualTo(data);
        assertThat(st.zero.chunks()).isPositive();
        assertThat(st.zero.bytes()).isGreaterThan(9L * MIB);
        assertAccounted(st, m);
        assertThat(dataBytes(out)).isLessThan(data.length - 8L * MIB);

        // In place over an output full of non-zero bytes: the zero range is made zero again.
        Path out2 = tmp.resolve("out2.img");
        Files.write(out2, TestData.random(13, data.length));
        ExtractStats st2 = extractor(m, true).extract(out2, List.of());
        assertThat(Files.readAllBytes(out2)).isEqualTo(data);
        assertThat(st2.zero.chunks()).isEqualTo(st.zero.chunks());
        assertAccounted(st2, m);

        // As a stream: zero chunks come from memory.
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        ExtractStats st3 = extractor(m, false).extract(bo);
        assertThat(bo.toByteArray()).isEqualTo(data);
        assertThat(st3.zero.chunks()).isEqualTo(st.zero.chunks());
    }

    // ------------------------------------------------------------------ (h), (i) failures

    @Test
    void missingChunkFailsWithoutOutput() throws IOException {
        Made m = baseMade();
        ChunkId victim = m.index().id(5);
        LocalStore store = m.store();
        Files.delete(store.chunkPath(victim));
        Path out = tmp.resolve("out.img");
        Throwable t = catchThrowable(() -> extractor(m, store, false, true).extract(out, List.of()));
        assertThat(t).isInstanceOf(ChunkMissingException.class).hasMessageContaining(victim.toHex());
        assertThat(out).doesNotExist();
        assertThat(tempFiles(tmp)).isEmpty();
    }

    @Test
    void failedExtractLeavesAnExistingOutputUntouched() throws IOException {
        Made m = baseMade();
        LocalStore store = m.store();
        Files.delete(store.chunkPath(m.index().id(m.index().size() / 2)));
        Path out = tmp.resolve("out.img");
        byte[] old = TestData.random(5, 123_456);
        Files.write(out, old);
        assertThatThrownBy(() -> extractor(m, store, false, true).extract(out, List.of()))
                .isInstanceOf(IOException.class);
        assertThat(Files.readAllBytes(out)).isEqualTo(old);
        assertThat(tempFiles(tmp)).isEmpty();
    }

    @Test
    void corruptChunkFailsWithoutOutput() throws IOException {
        Made m = baseMade();
        ChunkId victim = m.index().id(7);
        LocalStore store = m.store();
        byte[] other = TestData.random(8, m.index().chunkSize(7));
        Files.write(store.chunkPath(victim), Compression.ZSTD.compress(other, 0, other.length));
        Path out = tmp.resolve("out.img");
        Throwable t = catchThrowable(() -> extractor(m, store, false, true).extract(out, List.of()));
        assertThat(t).isInstanceOf(ChunkInvalidException.class).hasMessageContaining(victim.toHex());
        assertThat(out).doesNotExist();
        assertThat(tempFiles(tmp)).isEmpty();
        // A truncated zstd frame is corrupt too (not an unchecked exception).
        byte[] good = Compression.ZSTD.compress(base, (int) m.index().start(7), m.index().chunkSize(7));
        Files.write(store.chunkPath(victim), Arrays.copyOf(good, good.length - 5));
        assertThatThrownBy(() -> extractor(m, store, false, true).extract(out, List.of()))
                .isInstanceOf(ChunkInvalidException.class).hasMessageContaining(victim.toHex());
        assertThat(out).doesNotExist();
        // The stream variant reports the same.
        assertThatThrownBy(() -> extractor(m, store, false, true).extract(OutputStream.nullOutputStream()))
                .isInstanceOf(ChunkInvalidException.class).hasMessageContaining(victim.toHex());
    }

    // ------------------------------------------------------------------ (j) stream

    @Test
    void extractToStream() throws IOException {
        Made m = baseMade();
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        ExtractStats st = extractor(m, false).extract(bo);
        assertThat(bo.toByteArray()).isEqualTo(base);
        assertThat(st.store.chunks()).isEqualTo(m.index().size());
        assertThat(st.totalBytes()).isEqualTo(base.length);
        // Missing chunk: the stream extract fails naming it.
        ChunkId victim = m.index().id(m.index().size() - 1);
        LocalStore store = m.store();
        Files.delete(store.chunkPath(victim));
        assertThatThrownBy(() -> extractor(m, store, false, true).extract(OutputStream.nullOutputStream()))
                .isInstanceOf(ChunkMissingException.class).hasMessageContaining(victim.toHex());
    }

    // ------------------------------------------------------------------ cache

    @Test
    void cachedStoreCountsCacheAndStore() throws IOException {
        Made m = baseMade();
        LocalStore cacheStore = new LocalStore(tmp.resolve("cache.castr"), StoreOptions.DEFAULT);
        Path out = tmp.resolve("out.img");
        ExtractStats first = extractor(m, new CachedStore(cacheStore, m.store()), false, false)
                .extract(out, List.of());
        assertThat(first.store.chunks()).isEqualTo(m.index().size());
        assertThat(first.cache.chunks()).isZero();
        Files.delete(out);
        ExtractStats second = extractor(m, new CachedStore(cacheStore, m.store()), false, false)
                .extract(out, List.of());
        assertThat(Files.readAllBytes(out)).isEqualTo(base);
        assertThat(second.cache.chunks()).isEqualTo(m.index().size());
        assertThat(second.store.chunks()).isZero();
        assertAccounted(second, m);
    }
}
