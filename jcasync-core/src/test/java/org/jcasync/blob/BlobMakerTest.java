package org.jcasync.blob;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.index.IndexWriter;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

class BlobMakerTest {
    private static ExecutorService pool;
    private static byte[] ctr4M;
    private static Path ctrFile;

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() throws Exception {
        pool = Executors.newFixedThreadPool(3);
        ctr4M = TestData.sha256ctr4M();
        assertThat(TestData.sha256(ctr4M))
                .isEqualTo("135c4b5f51d8c6f37bacfa1a6586f58046915a9b6ebac5e9f2b1ee9c7fc7e76e");
        ctrFile = shared.resolve("sha256ctr-4M.bin");
        Files.write(ctrFile, ctr4M);
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    /** The index bytes and make stats. */
    record Made(byte[] index, MakeStats stats) {
    }

    static Made makeFromStream(byte[] data, ChunkerParams p, DigestAlgorithm d, long flags, LocalStore store,
            int threads) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        MakeStats st;
        try (InputStream in = new ByteArrayInputStream(data)) {
            st = new BlobMaker(p, d, store, pool, threads).make(in, new IndexWriter(bo, flags, p));
        }
        return new Made(bo.toByteArray(), st);
    }

    static Made makeFromFile(Path file, ChunkerParams p, DigestAlgorithm d, long flags, LocalStore store,
            int threads) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        MakeStats st;
        try (BlobSource src = BlobSource.open(file)) {
            st = new BlobMaker(p, d, store, pool, threads).make(src, new IndexWriter(bo, flags, p));
        }
        return new Made(bo.toByteArray(), st);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "auto, sha512-256, -5764607523034234880, 63, a620f42f212ea9b2f3c8e417c957c89767cdb25028858667139ac3533a15a117",
            "4K,   sha512-256, -5764607523034234880, 1049, 6e4a632cfaedd814bbf0b54e14eb7acf56ccc8b7e7bd5ced991ca984d78ab53d",
            "auto, sha256,     -8070450532247928832, 63, af2a01544a3060c9d94c64b9ac7b6ce7a9cbe84dbdfb922884ac9e8dd4defb78"})
    void goldenVectors(String chunkSize, String digest, long flags, int chunks, String indexSha256) throws Exception {
        assertThat(flags).isIn(0xb000000000000000L, 0x9000000000000000L);
        ChunkerParams p = ChunkerParams.parse(chunkSize);
        DigestAlgorithm d = DigestAlgorithm.parse(digest);
        String wholeDigest = d == DigestAlgorithm.SHA256
                ? "135c4b5f51d8c6f37bacfa1a6586f58046915a9b6ebac5e9f2b1ee9c7fc7e76e"
                : "38fca05da86ef04d8b1e2d7087df126317055bc7611ddb4cb4624d72fc3a87a8";
        for (int threads : new int[] {1, 3}) {
            Made[] both = {makeFromStream(ctr4M, p, d, flags, null, threads),
                    makeFromFile(ctrFile, p, d, flags, null, threads)};
            for (Made m : both) {
                assertThat(TestData.sha256(m.index())).isEqualTo(indexSha256);
                assertThat(m.index()).hasSize(104 + 40 * chunks);
                assertThat(m.stats().chunks()).isEqualTo(chunks);
                assertThat(m.stats().size()).isEqualTo(4 << 20);
                assertThat(m.stats().digest().toHex()).isEqualTo(wholeDigest);
                assertThat(m.stats().stored()).isZero();
                Index idx = IndexReader.read(new ByteArrayInputStream(m.index()), "golden");
                assertThat(idx.size()).isEqualTo(chunks);
                assertThat(idx.length()).isEqualTo(4 << 20);
                assertThat(idx.featureFlags()).isEqualTo(flags);
                assertThat(idx.digest()).isEqualTo(d);
                if (chunkSize.equals("auto")) {
                    long[] first = new long[8];
                    for (int i = 0; i < 8; i++) {
                        first[i] = idx.end(i);
                    }
                    assertThat(first).containsExactly(80921, 138220, 187412, 237372, 296795, 348909, 437333, 483751);
                    if (d == DigestAlgorithm.SHA512_256) {
                        assertThat(idx.id(0).toHex())
                                .isEqualTo("0fac270dc01e8432b80e21552476de6483653a3b261f710457abdd5c8f22e860");
                    }
                    assertThat(idx.id(0)).isEqualTo(d.digest(ctr4M, 0, 80921));
                } else {
                    assertThat(idx.end(0)).isEqualTo(10613);
                    assertThat(idx.end(7)).isEqualTo(29499);
                }
                // Round trip: every chunk id is the digest of its bytes.
                for (int i = 0; i < idx.size(); i++) {
                    assertThat(idx.chunkAt(idx.start(i))).isEqualTo(i);
                    assertThat(idx.id(i)).isEqualTo(d.digest(ctr4M, (int) idx.start(i), idx.chunkSize(i)));
                }
            }
        }
    }

    @Test
    void emptyInputGivesThe104ByteIndex() throws IOException {
        String expected = "3000000000000000f99f127b9c4d8296000000000000" + "00b0" + "0040000000000000"
                + "00000100000000000000040000000000ffffffffffffffff7d41172f119e5be7"
                + "000000000000000000000000000000003000000000000000" + "3800000000000000d1ec49550e054f4b";
        Path empty = tmp.resolve("empty");
        Files.write(empty, new byte[0]);
        String emptySha512256 = "c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a";
        for (Made m : new Made[] {
                makeFromStream(new byte[0], ChunkerParams.DEFAULT, DigestAlgorithm.SHA512_256, 0xb000000000000000L,
                        null, 2),
                makeFromFile(empty, ChunkerParams.DEFAULT, DigestAlgorithm.SHA512_256, 0xb000000000000000L, null, 2)}) {
            assertThat(HexFormat.of().formatHex(m.index())).isEqualTo(expected);
            assertThat(m.stats().chunks()).isZero();
            assertThat(m.stats().size()).isZero();
            assertThat(m.stats().digest().toHex()).isEqualTo(emptySha512256);
        }
    }

    /**
     * Inputs of many batches, with chunk sizes up to beyond a batch: the stream path (batches cut in reused
     * buffers) and the file path give the same index, the reference cuts, and stores whose chunks are exactly the
     * input's bytes.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"16K", "64K", "1M", "3M", "2M:6M:9M", "5000000"})
    void manyBatchesStreamAndFileAgree(String chunkSize) throws Exception {
        ChunkerParams p = ChunkerParams.parse(chunkSize);
        byte[] part = TestData.random(chunkSize.hashCode(), 9 << 20);
        byte[] data = new byte[27 << 20];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(part, 0, data, i * part.length, part.length);
        }
        java.util.Arrays.fill(data, 4 << 20, 6 << 20, (byte) 0); // zero chunks in the middle of batches
        Path f = tmp.resolve("blob");
        Files.write(f, data);
        LocalStore fileStore = new LocalStore(tmp.resolve("file-store"), StoreOptions.DEFAULT);
        LocalStore streamStore = new LocalStore(tmp.resolve("stream-store"), StoreOptions.DEFAULT);
        Made file = makeFromFile(f, p, DigestAlgorithm.SHA512_256, 0xb000000000000000L, fileStore, 2);
        Made stream = makeFromStream(data, p, DigestAlgorithm.SHA512_256, 0xb000000000000000L, streamStore, 2);
        assertThat(stream.index()).isEqualTo(file.index());
        assertThat(stream.stats().digest()).isEqualTo(DigestAlgorithm.SHA512_256.digest(data, 0, data.length));
        Index idx = IndexReader.read(new ByteArrayInputStream(stream.index()), "stream");
        long[] cuts = TestData.referenceCuts(data, p);
        assertThat(idx.size()).isEqualTo(cuts.length);
        for (int i = 0; i < idx.size(); i++) {
            assertThat(idx.end(i)).isEqualTo(cuts[i]);
            byte[] expected = java.util.Arrays.copyOfRange(data, (int) idx.start(i), (int) idx.end(i));
            assertThat(streamStore.get(idx.id(i))).isEqualTo(expected);
            assertThat(fileStore.get(idx.id(i))).isEqualTo(expected);
        }
    }

    @Test
    void storeCountsNewReusedAndRepeatedChunks() throws Exception {
        ChunkerParams p = ChunkerParams.parse("16K");
        byte[] part = TestData.random(21, 1 << 20);
        byte[] data = new byte[2 << 20];
        System.arraycopy(part, 0, data, 0, part.length);
        System.arraycopy(part, 0, data, part.length, part.length); // second half repeats the first
        Path f = tmp.resolve("blob");
        Files.write(f, data);
        LocalStore store = new LocalStore(tmp.resolve("store"), StoreOptions.DEFAULT);
        Made first = makeFromFile(f, p, DigestAlgorithm.SHA512_256, 0xb000000000000000L, store, 3);
        Index idx = IndexReader.read(new ByteArrayInputStream(first.index()), "first");
        java.util.Set<ChunkId> distinct = new java.util.HashSet<>();
        for (int i = 0; i < idx.size(); i++) {
            distinct.add(idx.id(i));
            assertThat(store.get(idx.id(i))).isEqualTo(
                    java.util.Arrays.copyOfRange(data, (int) idx.start(i), (int) idx.end(i)));
        }
        assertThat(distinct.size()).isLessThan(idx.size());
        assertThat(first.stats().stored()).isEqualTo(distinct.size());
        assertThat(first.stats().stored() + first.stats().reused()).isEqualTo(idx.size());
        // Again into the same store, through the stream path: nothing new, same index.
        Made second = makeFromStream(data, p, DigestAlgorithm.SHA512_256, 0xb000000000000000L,
                new LocalStore(tmp.resolve("store"), StoreOptions.DEFAULT), 3);
        assertThat(second.index()).isEqualTo(first.index());
        assertThat(second.stats().stored()).isZero();
        assertThat(second.stats().reused()).isEqualTo(idx.size());
    }

    @Test
    void holesAreIndexedLikeZerosWithoutReading() throws Exception {
        ChunkerParams p = ChunkerParams.parse("16K");
        Path f = tmp.resolve("sparse");
        byte[] head = TestData.random(5, 300_000);
        byte[] tail = TestData.random(6, 200_000);
        long size = 20L << 20;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
            raf.seek(0);
            raf.write(head);
            raf.seek(size - tail.length);
            raf.write(tail);
        }
        byte[] all = Files.readAllBytes(f);
        try (BlobSource src = BlobSource.open(f)) {
            org.junit.jupiter.api.Assumptions.assumeTrue(src.dataBytes() < size, "file system keeps holes");
        }
        LocalStore store = new LocalStore(tmp.resolve("store"), StoreOptions.DEFAULT);
        Made sparse = makeFromFile(f, p, DigestAlgorithm.SHA512_256, 0xb000000000000000L, store, 3);
        Made dense = makeFromStream(all, p, DigestAlgorithm.SHA512_256, 0xb000000000000000L, null, 3);
        assertThat(sparse.index()).isEqualTo(dense.index());
        assertThat(sparse.stats().digest()).isEqualTo(dense.stats().digest());
        assertThat(sparse.stats().digest()).isEqualTo(DigestAlgorithm.SHA512_256.digest(all, 0, all.length));
        // Every all-zero chunk (here: exactly the chunks inside the hole) is counted as a zero chunk.
        Index idx = IndexReader.read(new ByteArrayInputStream(sparse.index()), "sparse");
        int zeroChunks = 0;
        for (int i = 0; i < idx.size(); i++) {
            if (BlobWriter.isZero(all, (int) idx.start(i), idx.chunkSize(i))) {
                zeroChunks++;
            }
        }
        assertThat(zeroChunks).isGreaterThan(100);
        assertThat(sparse.stats().zero()).isEqualTo(zeroChunks);
        // The zero chunk went into the store once.
        ChunkId zeroId = DigestAlgorithm.SHA512_256.digest(new byte[p.max()], 0, p.max());
        assertThat(store.get(zeroId)).isEqualTo(new byte[p.max()]);
    }
}
