package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreRouterTest {
    @TempDir
    Path tmp;
    LocalStore first;
    LocalStore second;
    StoreRouter router;

    @BeforeEach
    void setUp() throws IOException {
        first = new LocalStore(tmp.resolve("first.castr"), StoreOptions.DEFAULT);
        second = new LocalStore(tmp.resolve("second.castr"), StoreOptions.DEFAULT);
        Files.createDirectories(first.root());
        Files.createDirectories(second.root());
        router = new StoreRouter(List.of(first, second));
    }

    private static ChunkId put(LocalStore s, byte[] d) throws IOException {
        ChunkId id = DigestAlgorithm.SHA512_256.digest(d, 0, d.length);
        s.put(id, d, 0, d.length);
        return id;
    }

    @Test
    void missingInFirstIsTakenFromSecond() throws IOException {
        byte[] a = TestData.random(1, 1000);
        byte[] b = TestData.random(2, 1000);
        ChunkId inFirst = put(first, a);
        ChunkId inSecond = put(second, b);
        assertThat(router.get(inFirst)).isEqualTo(a);
        assertThat(router.get(inSecond)).isEqualTo(b);
        assertThat(router.has(inFirst)).isTrue();
        assertThat(router.has(inSecond)).isTrue();
        assertThat(router.bytesRead()).isEqualTo(first.bytesRead() + second.bytesRead());
        assertThat(first.bytesRead()).isPositive();
        assertThat(second.bytesRead()).isPositive();
    }

    @Test
    void firstStoreWinsWhenBothHaveIt() throws IOException {
        byte[] a = TestData.random(3, 1000);
        ChunkId id = put(first, a);
        put(second, a);
        assertThat(router.get(id)).isEqualTo(a);
        assertThat(second.bytesRead()).isZero();
    }

    @Test
    void missingEverywhere() {
        ChunkId id = DigestAlgorithm.SHA512_256.digest(new byte[] {1}, 0, 1);
        assertThatThrownBy(() -> router.get(id)).isInstanceOf(ChunkMissingException.class)
                .hasMessageContaining(id.toHex())
                .hasMessageContaining(first.location())
                .hasMessageContaining(second.location());
        assertThat(router.location()).isEqualTo("[" + first.location() + ", " + second.location() + "]");
    }

    @Test
    void corruptInFirstIsReportedNotHidden() throws IOException {
        byte[] a = TestData.random(4, 1000);
        ChunkId id = put(first, a);
        put(second, a);
        Files.write(first.chunkPath(id), Compression.ZSTD.compress(new byte[] {9}, 0, 1));
        assertThatThrownBy(() -> router.get(id)).isInstanceOf(ChunkInvalidException.class)
                .hasMessageContaining(id.toHex()).hasMessageContaining(first.location());
        assertThat(second.bytesRead()).isZero();
        // Unknown compression too.
        Files.write(first.chunkPath(id), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> router.get(id)).isInstanceOf(ChunkInvalidException.class);
    }

    @Test
    void singleStoreAndEmptyList() throws IOException {
        assertThatThrownBy(() -> new StoreRouter(List.of())).isInstanceOf(IllegalArgumentException.class);
        StoreRouter one = new StoreRouter(List.of(first));
        assertThat(one.location()).isEqualTo(first.location());
        byte[] a = TestData.random(5, 100);
        ChunkId id = put(first, a);
        assertThat(one.get(id)).isEqualTo(a);
        assertThat(one.stores()).containsExactly(first);
    }

    @Test
    void closesEveryStoreAndReportsTheFirstFailure() {
        int[] closed = {0};
        ChunkStore failing = new ChunkStore() {
            @Override
            public byte[] get(ChunkId id) throws IOException {
                throw new ChunkMissingException(id, "failing");
            }

            @Override
            public boolean has(ChunkId id) {
                return false;
            }

            @Override
            public String location() {
                return "failing";
            }

            @Override
            public void close() throws IOException {
                closed[0]++;
                throw new IOException("close failed");
            }
        };
        ChunkStore counting = new ChunkStore() {
            @Override
            public byte[] get(ChunkId id) throws IOException {
                throw new ChunkMissingException(id, "counting");
            }

            @Override
            public boolean has(ChunkId id) {
                return false;
            }

            @Override
            public String location() {
                return "counting";
            }

            @Override
            public void close() {
                closed[0]++;
            }
        };
        StoreRouter r = new StoreRouter(List.of(failing, counting));
        assertThatThrownBy(r::close).hasMessage("close failed");
        assertThat(closed[0]).isEqualTo(2);
    }
}
