package org.jcasync.tree;

import org.jcasync.blob.BlobMaker;
import org.jcasync.catar.CatarEncoder;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.index.IndexWriter;
import org.jcasync.store.ChunkMissingException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link TreeSeed}: a directory serialized and chunked like the archive index it serves; every chunk it offers is
 * reassembled from the files and metadata and verified, and a file changed after the scan makes exactly the chunks
 * over its changed bytes "missing".
 */
class TreeSeedTest {
    /** casync's default flags for {@code make X.caidx DIR} (SHA-512/256). */
    static final long FLAGS = 0xb0000001ffeffe26L;
    static final ChunkerParams PARAMS = ChunkerParams.parse("16K");

    static ExecutorService pool;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A tree with files of several sizes, an empty file, a subdirectory and a symlink. */
    Path tree(String name) throws IOException {
        Path t = Files.createDirectories(tmp.resolve(name).resolve("sub/deeper"));
        t = tmp.resolve(name);
        Files.write(t.resolve("a.bin"), random(1, 1 << 20));
        Files.write(t.resolve("b.bin"), random(2, 300_000));
        Files.write(t.resolve("empty"), new byte[0]);
        Files.writeString(t.resolve("small.txt"), "small\n");
        Files.write(t.resolve("sub/c.bin"), random(3, 200_000));
        Files.write(t.resolve("sub/deeper/d.bin"), random(4, 50_000));
        Files.createSymbolicLink(t.resolve("link"), Path.of("a.bin"));
        return t;
    }

    static byte[] catar(Path dir) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        new CatarEncoder(FLAGS).encode(dir, bo);
        return bo.toByteArray();
    }

    static Index index(byte[] catar) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        new BlobMaker(PARAMS, DigestAlgorithm.SHA512_256, null, pool, 2)
                .make(new ByteArrayInputStream(catar), new IndexWriter(bo, FLAGS, PARAMS));
        return IndexReader.read(new ByteArrayInputStream(bo.toByteArray()), "test");
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void everyChunkOfTheSameTreeComesBackVerified() throws Exception {
        Path t = tree("t");
        byte[] cat = catar(t);
        Index idx = index(cat);
        assertThat(idx.size()).isGreaterThan(40);
        TreeSeed seed = TreeSeed.build(t, idx, pool);
        assertThat(seed.serializedBytes()).isEqualTo(cat.length);
        Set<ChunkId> distinct = new HashSet<>();
        for (int i = 0; i < idx.size(); i++) {
            distinct.add(idx.id(i));
        }
        assertThat(seed.usefulChunks()).isEqualTo(distinct.size());
        long bytes = 0;
        for (int i = 0; i < idx.size(); i++) {
            ChunkId id = idx.id(i);
            assertThat(seed.has(id)).isTrue();
            byte[] got = seed.get(id);
            assertThat(DigestAlgorithm.SHA512_256.digest(got, 0, got.length)).isEqualTo(id);
            assertThat(got).isEqualTo(Arrays.copyOfRange(cat, (int) idx.start(i), (int) idx.end(i)));
            bytes += got.length;
        }
        assertThat(seed.hits()).isEqualTo(idx.size());
        assertThat(seed.hitBytes()).isEqualTo(bytes).isEqualTo(cat.length);
        assertThat(seed.location()).contains(t.toString());
    }

    @Test
    void aFileChangedAfterTheScanMakesItsChunksMissing() throws Exception {
        Path t = tree("t");
        byte[] cat = catar(t);
        Index idx = index(cat);
        TreeSeed seed = TreeSeed.build(t, idx, pool);

        // b.bin: 4 KiB overwritten in the middle (same size, so only the chunks over those bytes change).
        byte[] b = Files.readAllBytes(t.resolve("b.bin"));
        int bAt = indexOf(cat, Arrays.copyOf(b, 64));
        long from = bAt + 150_000;
        long to = from + 4096;
        try (RandomAccessFile f = new RandomAccessFile(t.resolve("b.bin").toFile(), "rw")) {
            f.seek(150_000);
            f.write(random(9, 4096));
        }
        // sub/c.bin: deleted.
        byte[] c = Files.readAllBytes(t.resolve("sub/c.bin"));
        int cAt = indexOf(cat, Arrays.copyOf(c, 64));
        Files.delete(t.resolve("sub/c.bin"));

        int missing = 0;
        for (int i = 0; i < idx.size(); i++) {
            long s = idx.start(i);
            long e = idx.end(i);
            boolean overB = s < to && e > from;
            boolean overC = s < cAt + c.length && e > cAt;
            ChunkId id = idx.id(i);
            if (overB || overC) {
                missing++;
                assertThatThrownBy(() -> seed.get(id)).as("chunk %d [%d, %d)", i, s, e)
                        .isInstanceOf(ChunkMissingException.class);
            } else {
                assertThat(seed.get(id)).as("chunk %d [%d, %d)", i, s, e)
                        .isEqualTo(Arrays.copyOfRange(cat, (int) s, (int) e));
            }
        }
        assertThat(missing).isBetween(2, idx.size() / 2);
    }

    @Test
    void aFileTruncatedAfterTheScanMakesItsTailMissing() throws Exception {
        Path t = tree("t");
        byte[] cat = catar(t);
        Index idx = index(cat);
        TreeSeed seed = TreeSeed.build(t, idx, pool);
        byte[] a = Files.readAllBytes(t.resolve("a.bin"));
        int aAt = indexOf(cat, Arrays.copyOf(a, 64));
        try (RandomAccessFile f = new RandomAccessFile(t.resolve("a.bin").toFile(), "rw")) {
            f.setLength(a.length / 2);
        }
        for (int i = 0; i < idx.size(); i++) {
            long s = idx.start(i);
            long e = idx.end(i);
            ChunkId id = idx.id(i);
            if (s < aAt + a.length && e > aAt + a.length / 2) {
                assertThatThrownBy(() -> seed.get(id)).isInstanceOf(ChunkMissingException.class);
            } else {
                assertThat(seed.get(id)).isEqualTo(Arrays.copyOfRange(cat, (int) s, (int) e));
            }
        }
    }

    @Test
    void anOtherTreeSuppliesOnlyTheChunksItShares() throws Exception {
        Path t = tree("t");
        Path other = tree("other");
        // The other tree: a.bin changed at the start, b.bin replaced entirely, c.bin and d.bin the same.
        try (RandomAccessFile f = new RandomAccessFile(other.resolve("a.bin").toFile(), "rw")) {
            f.write(random(10, 1000));
        }
        Files.write(other.resolve("b.bin"), random(11, 300_000));
        byte[] cat = catar(t);
        Index idx = index(cat);
        TreeSeed seed = TreeSeed.build(other, idx, pool);
        Set<ChunkId> distinct = new HashSet<>();
        for (int i = 0; i < idx.size(); i++) {
            distinct.add(idx.id(i));
        }
        assertThat(seed.usefulChunks()).isPositive().isLessThan(distinct.size());
        int served = 0;
        for (int i = 0; i < idx.size(); i++) {
            ChunkId id = idx.id(i);
            byte[] want = Arrays.copyOfRange(cat, (int) idx.start(i), (int) idx.end(i));
            if (seed.has(id)) {
                assertThat(seed.get(id)).isEqualTo(want);
                served++;
            } else {
                assertThatThrownBy(() -> seed.get(id)).isInstanceOf(ChunkMissingException.class);
            }
        }
        // Most of a.bin (after its first chunk) and all of sub/ are shared.
        assertThat(served).isGreaterThan(idx.size() / 2);
    }
}
