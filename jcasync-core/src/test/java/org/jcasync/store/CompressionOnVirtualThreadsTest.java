package org.jcasync.store;

import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The servers decompress (uploads, --verify) and compress on a new virtual thread per request: the native zstd
 * contexts must not be one per thread, which zstd-jni never frees (30,000 threads that each compress and decompress
 * once left 3 GB of native memory that way, measured as the growth of the process's resident memory; now about
 * 0.2 GB, mostly the heap).
 */
class CompressionOnVirtualThreadsTest {
    @Test
    void thirtyThousandThreadsDoNotLeaveAContextEach() throws Exception {
        byte[] data = TestData.random(1, 4000);
        byte[] frame = Compression.ZSTD.compress(data, 0, data.length);
        // Warm up (classes, the pool) before the first measurement.
        run(200, frame, data);
        long before = rssKiB();
        for (int round = 0; round < 30; round++) {
            run(1000, frame, data);
        }
        System.gc();
        long grown = rssKiB() - before;
        assertThat(grown).as("resident memory grown, KiB").isLessThan(1 << 20);
    }

    private static void run(int threads, byte[] frame, byte[] data) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                pool.submit(() -> {
                    assertThat(Compression.decompress(frame, frame.length, 1 << 20)).isEqualTo(data);
                    Compression.ZSTD.compress(data, 0, data.length);
                    return null;
                });
            }
        }
    }

    private static long rssKiB() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS");
    }
}
