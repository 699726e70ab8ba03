package org.jcasync.catar;

import org.jcasync.format.FeatureFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TreeStream}: the encoder on its own thread, read as a stream. */
class TreeStreamTest {
    @TempDir
    Path tmp;

    private static CatarEncoder encoder() {
        return new CatarEncoder(FeatureFlags.forMake(0, 0, FeatureFlags.WITH_MASK, true, false, true, true));
    }

    @Test
    void theStreamIsWhatTheEncoderWrites() throws IOException {
        Files.createDirectories(tmp.resolve("t/sub"));
        Files.writeString(tmp.resolve("t/sub/a"), "a".repeat(100_000));
        Files.writeString(tmp.resolve("t/b"), "b");
        ByteArrayOutputStream direct = new ByteArrayOutputStream();
        encoder().encode(tmp.resolve("t"), direct);
        try (InputStream in = TreeStream.open(tmp.resolve("t"), encoder())) {
            assertThat(in.readAllBytes()).isEqualTo(direct.toByteArray());
        }
    }

    @Test
    void anEncoderFailureReachesTheReader() throws IOException {
        Files.writeString(tmp.resolve("file"), "x");
        try (InputStream in = TreeStream.open(tmp.resolve("file"), encoder())) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(FileSystemException.class)
                    .hasMessageContaining("not a directory");
        }
    }

    @Test
    void closingEarlyStopsTheEncoder() throws IOException {
        Files.createDirectories(tmp.resolve("big"));
        try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("big/sparse").toFile(), "rw")) {
            f.setLength(256L << 20);
        }
        try (InputStream in = TreeStream.open(tmp.resolve("big"), encoder())) {
            assertThat(in.read()).isNotNegative();
        }
        // close() waited for the encoder thread, which stopped at its next write instead of encoding 256 MiB.
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("jcasync-catar"));
    }
}
