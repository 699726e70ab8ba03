package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FailoverStoreTest {
    @TempDir
    Path tmp;

    private static ChunkId put(LocalStore s, byte[] d) throws IOException {
        ChunkId id = DigestAlgorithm.SHA512_256.digest(d, 0, d.length);
        s.put(id, d, 0, d.length);
        return id;
    }

    @Test
    void aFailingMirrorHandsOverToTheNextForGood() throws IOException {
        // The first mirror's root does not exist: every read fails with a store error (not "missing").
        LocalStore broken = new LocalStore(tmp.resolve("gone"), StoreOptions.DEFAULT);
        LocalStore good = new LocalStore(tmp.resolve("good"), StoreOptions.DEFAULT);
        byte[] a = TestData.random(5, 4000);
        byte[] b = TestData.random(6, 4000);
        ChunkId ia = put(good, a);
        ChunkId ib = put(good, b);
        try (FailoverStore f = new FailoverStore(List.of(broken, good))) {
            assertThat(f.get(ia)).isEqualTo(a);
            assertThat(f.getAll(List.of(ia, ib))).isDeepEqualTo(new byte[][] {a, b});
            assertThat(good.stats().getFirst().chunks()).isEqualTo(3);
            // Once switched, the broken mirror is not asked again.
            Files.createDirectories(tmp.resolve("gone"));
            assertThat(f.get(ib)).isEqualTo(b);
            assertThat(broken.stats().getFirst().requests()).isZero();
            assertThat(f.stats()).hasSize(2);
            assertThat(f.location()).isEqualTo(tmp.resolve("gone") + "|" + tmp.resolve("good"));
        }
    }

    @Test
    void missingInTheActiveMirrorIsMissing() throws IOException {
        LocalStore first = new LocalStore(tmp.resolve("first"), StoreOptions.DEFAULT);
        LocalStore second = new LocalStore(tmp.resolve("second"), StoreOptions.DEFAULT);
        put(first, TestData.random(7, 100));
        ChunkId onlySecond = put(second, TestData.random(8, 100));
        try (FailoverStore f = new FailoverStore(List.of(first, second))) {
            assertThatThrownBy(() -> f.get(onlySecond)).isInstanceOf(ChunkMissingException.class);
            assertThat(f.getAll(List.of(onlySecond))).isDeepEqualTo(new byte[][] {null});
        }
    }

    @Test
    void whenEveryMirrorFailsTheLastErrorIsReported() {
        LocalStore a = new LocalStore(tmp.resolve("a"), StoreOptions.DEFAULT);
        LocalStore b = new LocalStore(tmp.resolve("b"), StoreOptions.DEFAULT);
        ChunkId id = DigestAlgorithm.SHA512_256.digest(new byte[] {1}, 0, 1);
        try (FailoverStore f = new FailoverStore(List.of(a, b))) {
            assertThatThrownBy(() -> f.get(id)).isInstanceOf(StoreException.class)
                    .hasMessageContaining(tmp.resolve("b").toString());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
