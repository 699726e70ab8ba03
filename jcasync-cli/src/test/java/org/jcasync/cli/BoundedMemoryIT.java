package org.jcasync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * make and extract stream: a 512 MiB blob (192 MiB of random data, the rest zeros written as data) goes through
 * with a 64 MiB heap, far less than the blob, in both the file and the stdin/stdout paths.
 */
class BoundedMemoryIT {
    @Test
    void bigBlobWithSmallHeap(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("big.bin");
        byte[] block = new byte[1 << 20];
        Random r = new Random(3);
        try (OutputStream os = Files.newOutputStream(in)) {
            for (int i = 0; i < 512; i++) {
                if (i % 8 < 3) {
                    r.nextBytes(block);
                } else {
                    java.util.Arrays.fill(block, (byte) 0);
                }
                os.write(block);
            }
        }
        Tools.jcasyncWithHeap(dir, "64m", "make", "--store=s.castr", "big.caibx", "big.bin").ok();
        Tools.Result ex = Tools.jcasyncWithHeap(dir, "64m", "extract", "--store=s.castr", "big.caibx", "out.bin")
                .ok();
        assertThat(ex.err()).contains("jcasync: extract:");
        assertThat(Files.mismatch(in, dir.resolve("out.bin"))).isEqualTo(-1L);
        // The stream paths: index from stdin is not needed; blob to stdout with the same small heap.
        Path streamed = dir.resolve("streamed.bin");
        Tools.run(dir, java.util.List.of("sh", "-c", "\"$0\" --enable-native-access=ALL-UNNAMED -Xmx64m -jar \"$1\" "
                + "extract --store=s.castr big.caibx - > streamed.bin", System.getProperty("jcasync.java", "java"),
                System.getProperty("jcasync.jar"))).ok();
        assertThat(Files.mismatch(in, streamed)).isEqualTo(-1L);
    }
}
