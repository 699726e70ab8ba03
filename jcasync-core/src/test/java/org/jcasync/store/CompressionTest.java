package org.jcasync.store;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

class CompressionTest {
    private static final int MAX = 1 << 20;

    @TempDir
    Path tmp;

    /** Compressible data: random words from a small vocabulary. */
    static byte[] text(int n) {
        String[] words = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ", "casync ", "chunk ",
                "store ", "index ", "seed ", "blob ", "zstd ", "42 "};
        java.util.Random r = new java.util.Random(n);
        byte[] b = new byte[n];
        int i = 0;
        while (i < n) {
            byte[] w = words[r.nextInt(words.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int k = Math.min(w.length, n - i);
            System.arraycopy(w, 0, b, i, k);
            i += k;
        }
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static byte[] roundTrip(Compression c, byte[] data) throws IOException {
        byte[] z = c.compress(data, 0, data.length);
        assertThat(Compression.detect(z, z.length)).isEqualTo(c);
        return Compression.decompress(z, z.length, MAX);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTrips(Compression c) throws IOException {
        for (byte[] data : List.of(new byte[0], new byte[] {42}, new byte[] {0}, new byte[2], text(1000),
                TestData.random(1, 65536), new byte[300_000], text(200_000))) {
            assertThat(roundTrip(c, data)).as("%s %d bytes", c, data.length).isEqualTo(data);
        }
        // Compressible data actually shrinks; an offset into a larger array is honoured.
        byte[] t = text(100_000);
        byte[] z = c.compress(t, 10, 50_000);
        assertThat(z.length).isLessThan(25_000);
        assertThat(Compression.decompress(z, z.length, MAX)).isEqualTo(Arrays.copyOfRange(t, 10, 50_010));
        // len smaller than the array: bytes after len are ignored.
        byte[] padded = Arrays.copyOf(z, z.length + 100);
        assertThat(Compression.decompress(padded, z.length, MAX)).isEqualTo(Arrays.copyOfRange(t, 10, 50_010));
    }

    @Test
    void writerFormatsMatchCasync() {
        byte[] data = text(5000);
        byte[] z = Compression.ZSTD.compress(data, 0, data.length);
        assertThat(Arrays.copyOf(z, 4)).containsExactly(0x28, 0xb5, 0x2f, 0xfd);
        byte[] x = Compression.XZ.compress(data, 0, data.length);
        assertThat(Arrays.copyOf(x, 6)).containsExactly(0xfd, '7', 'z', 'X', 'Z', 0);
        assertThat(x[7]).as("stream flags: CRC64").isEqualTo((byte) 0x04);
        byte[] g = Compression.GZIP.compress(data, 0, data.length);
        assertThat(Arrays.copyOf(g, 10)).containsExactly(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3);
    }

    @Test
    void detect() {
        byte[] zstdMagic = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};
        assertThat(Compression.detect(zstdMagic, 4)).isEqualTo(Compression.ZSTD);
        assertThat(Compression.detect(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, 3)).isNull();
        assertThat(Compression.detect(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}, 6)).isEqualTo(Compression.XZ);
        assertThat(Compression.detect(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 1}, 6)).isNull();
        assertThat(Compression.detect(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}, 5)).isNull();
        assertThat(Compression.detect(new byte[] {0x1f, (byte) 0x8b}, 2)).isEqualTo(Compression.GZIP);
        assertThat(Compression.detect(new byte[] {0x1f, (byte) 0x8b}, 1)).isNull();
        assertThat(Compression.detect(new byte[] {0x1f, (byte) 0x8c}, 2)).isNull();
        assertThat(Compression.detect(new byte[0], 0)).isNull();
        assertThat(Compression.detect("hello world".getBytes(), 11)).isNull();
    }

    @Test
    void parse() {
        assertThat(Compression.parse("default")).isEqualTo(Compression.ZSTD);
        assertThat(Compression.parse("zstd")).isEqualTo(Compression.ZSTD);
        assertThat(Compression.parse("XZ")).isEqualTo(Compression.XZ);
        assertThat(Compression.parse("gzip")).isEqualTo(Compression.GZIP);
        assertThatThrownBy(() -> Compression.parse("lz4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lz4");
    }

    @Test
    void rejectsUnknownMagic() {
        byte[] raw = text(100);
        assertThatThrownBy(() -> Compression.decompress(raw, raw.length, MAX)).isInstanceOf(IOException.class)
                .hasMessageContaining("unknown compression");
        assertThatThrownBy(() -> Compression.decompress(new byte[0], 0, MAX)).isInstanceOf(IOException.class)
                .hasMessageContaining("unknown compression");
        // A valid frame whose first byte is cut off.
        byte[] z = Compression.ZSTD.compress(raw, 0, raw.length);
        byte[] shifted = Arrays.copyOfRange(z, 1, z.length);
        assertThatThrownBy(() -> Compression.decompress(shifted, shifted.length, MAX))
                .hasMessageContaining("unknown compression");
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void rejectsTrailingBytes(Compression c) throws IOException {
        byte[] data = text(10_000);
        byte[] z = c.compress(data, 0, data.length);
        for (byte[] extra : List.of(new byte[] {0}, new byte[] {1}, new byte[8], text(100))) {
            byte[] bad = concat(z, extra);
            assertThatThrownBy(() -> Compression.decompress(bad, bad.length, MAX)).as("%s + %d", c, extra.length)
                    .isInstanceOf(IOException.class).hasMessageContaining("trailing");
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void rejectsTwoConcatenatedFramesOrStreams(Compression c) throws IOException {
        byte[] a = text(3000);
        byte[] b = TestData.random(3, 500);
        byte[] two = concat(c.compress(a, 0, a.length), c.compress(b, 0, b.length));
        assertThatThrownBy(() -> Compression.decompress(two, two.length, MAX)).isInstanceOf(IOException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void rejectsZstdFrameFollowedBySkippableFrame() throws IOException {
        byte[] data = text(2000);
        byte[] z = Compression.ZSTD.compress(data, 0, data.length);
        // Skippable frame: magic 0x184D2A50, 4-byte size, payload.
        byte[] skip = {0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 7, 7};
        byte[] bad = concat(z, skip);
        assertThatThrownBy(() -> Compression.decompress(bad, bad.length, MAX)).hasMessageContaining("trailing");
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void rejectsTruncatedData(Compression c) throws IOException {
        byte[] data = TestData.random(4, 20_000);
        byte[] z = c.compress(data, 0, data.length);
        for (int cut : new int[] {1, 4, 8, z.length / 2, z.length - 7}) {
            byte[] bad = Arrays.copyOf(z, z.length - cut);
            assertThatThrownBy(() -> Compression.decompress(bad, bad.length, MAX)).as("%s minus %d", c, cut)
                    .isInstanceOf(IOException.class).hasMessageContaining("corrupt");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"XZ", "GZIP"})
    void rejectsAnyFlippedByteWhereAChecksumCoversIt(Compression c) throws IOException {
        byte[] data = text(20_000);
        byte[] z = c.compress(data, 0, data.length);
        // Skip the magic (that would be "unknown compression") and, for gzip, the MTIME/XFL/OS header fields that
        // no check covers.
        int from = c == Compression.GZIP ? 10 : 6;
        for (int pos = from; pos < z.length; pos += Math.max(1, z.length / 40)) {
            byte[] bad = z.clone();
            bad[pos] ^= 0x10;
            final int p = pos;
            assertThatThrownBy(() -> Compression.decompress(bad, bad.length, MAX)).as("%s byte %d", c, p)
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void rejectsCorruptZstdFrames() throws IOException {
        byte[] data = text(50_000);
        byte[] z = Compression.ZSTD.compress(data, 0, data.length);
        // Reserved bit in the frame header descriptor.
        byte[] reserved = z.clone();
        reserved[4] |= 0x08;
        assertThatThrownBy(() -> Compression.decompress(reserved, reserved.length, MAX))
                .isInstanceOf(IOException.class).hasMessageContaining("corrupt");
        // Garbage after the magic.
        byte[] garbage = concat(Arrays.copyOf(z, 4), TestData.random(5, 200));
        assertThatThrownBy(() -> Compression.decompress(garbage, garbage.length, MAX))
                .isInstanceOf(IOException.class).hasMessageContaining("corrupt");
        // Compressed block contents overwritten: the frame no longer decodes to its declared size.
        byte[] mangled = z.clone();
        for (int i = 20; i < mangled.length - 4; i++) {
            mangled[i] = (byte) (mangled[i] * 31 + 7);
        }
        assertThatThrownBy(() -> Compression.decompress(mangled, mangled.length, MAX))
                .isInstanceOf(IOException.class);
    }

    @Test
    void acceptsXzWithOtherIntegrityChecks() throws IOException {
        // Stores re-compressed by other tools may use other xz checks (CRC32, SHA-256) than casync's CRC64.
        byte[] data = text(5000);
        for (int check : new int[] {XZ.CHECK_CRC32, XZ.CHECK_SHA256}) {
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            try (XZOutputStream xz = new XZOutputStream(bo, new LZMA2Options(1), check)) {
                xz.write(data);
            }
            byte[] x = bo.toByteArray();
            assertThat(Compression.decompress(x, x.length, MAX)).isEqualTo(data);
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void maximumSizeIsEnforcedExactly(Compression c) throws IOException {
        for (byte[] data : List.of(text(100_000), TestData.random(6, 70_000), new byte[150_000])) {
            byte[] z = c.compress(data, 0, data.length);
            assertThat(Compression.decompress(z, z.length, data.length)).isEqualTo(data);
            assertThatThrownBy(() -> Compression.decompress(z, z.length, data.length - 1))
                    .isInstanceOf(IOException.class).hasMessageContaining("maximum chunk size");
            assertThatThrownBy(() -> Compression.decompress(z, z.length, 1000))
                    .isInstanceOf(IOException.class).hasMessageContaining("maximum chunk size");
        }
    }

    @Test
    void zstdWithAndWithoutContentSize() throws IOException {
        byte[] data = text(200_000);
        // With content size (ZstdCompressCtx one-shot, what Compression.compress writes).
        byte[] withSize = Compression.ZSTD.compress(data, 0, data.length);
        assertThat(Zstd.getFrameContentSize(withSize, 0, withSize.length)).isEqualTo(data.length);
        // Without content size: streaming, like casync's ZSTD_initCStream writer.
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZstdOutputStream zo = new ZstdOutputStream(bo, 3)) {
            zo.write(data, 0, 70_000);
            zo.write(data, 70_000, data.length - 70_000);
        }
        byte[] noSize = bo.toByteArray();
        assertThat(Zstd.getFrameContentSize(noSize, 0, noSize.length)).isLessThan(0);
        for (byte[] z : List.of(withSize, noSize)) {
            assertThat(Compression.decompress(z, z.length, MAX)).isEqualTo(data);
            assertThat(Compression.decompress(z, z.length, data.length)).isEqualTo(data);
            assertThatThrownBy(() -> Compression.decompress(z, z.length, data.length - 1))
                    .isInstanceOf(IOException.class).hasMessageContaining("maximum chunk size");
            byte[] trailing = concat(z, new byte[] {0});
            assertThatThrownBy(() -> Compression.decompress(trailing, trailing.length, MAX))
                    .hasMessageContaining("trailing");
        }
        // An empty stream without content size.
        bo.reset();
        new ZstdOutputStream(bo, 3).close();
        byte[] empty = bo.toByteArray();
        assertThat(Compression.decompress(empty, empty.length, MAX)).isEmpty();
    }

    @Test
    void zstdWithChecksumFlagsCorruption() throws IOException {
        byte[] data = TestData.random(8, 30_000); // incompressible: stored as raw blocks, only the checksum catches
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZstdOutputStream zo = new ZstdOutputStream(bo, 3)) {
            zo.setChecksum(true);
            zo.write(data);
        }
        byte[] z = bo.toByteArray();
        assertThat(Compression.decompress(z, z.length, MAX)).isEqualTo(data);
        byte[] bad = z.clone();
        bad[z.length / 2] ^= 1;
        assertThatThrownBy(() -> Compression.decompress(bad, bad.length, MAX)).isInstanceOf(IOException.class);
    }

    @Test
    void gzipFromTheJdkWithMultipleBlocks() throws IOException {
        byte[] data = text(300_000);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
            g.write(data);
        }
        byte[] z = bo.toByteArray();
        assertThat(Compression.detect(z, z.length)).isEqualTo(Compression.GZIP);
        assertThat(Compression.decompress(z, z.length, MAX)).isEqualTo(data);
    }

    @Test
    void gzipHeaderWithOptionalFields() throws IOException {
        byte[] data = text(3000);
        byte[] plain = Compression.GZIP.compress(data, 0, data.length);
        byte[] deflate = Arrays.copyOfRange(plain, 10, plain.length);
        // FLG = FEXTRA | FNAME | FCOMMENT | FHCRC
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(new byte[] {0x1f, (byte) 0x8b, 8, 4 | 8 | 16 | 2, 0, 0, 0, 0, 0, 3}, 0, 10);
        h.write(new byte[] {3, 0, 'a', 'b', 'c'}, 0, 5);
        h.write("name.bin\0".getBytes(), 0, 9);
        h.write("a comment\0".getBytes(), 0, 10);
        h.write(new byte[] {0, 0}, 0, 2);
        h.write(deflate, 0, deflate.length);
        byte[] z = h.toByteArray();
        assertThat(Compression.decompress(z, z.length, MAX)).isEqualTo(data);
        // Header claiming a compression method other than deflate.
        byte[] m = plain.clone();
        m[2] = 7;
        assertThatThrownBy(() -> Compression.decompress(m, m.length, MAX)).hasMessageContaining("corrupt");
    }

    @Test
    void gzipWithWrongLengthInTrailerIsCorrupt() throws IOException {
        // zlib (and so casync) checks ISIZE; a member whose ISIZE does not match is corrupt even with a right CRC.
        byte[] data = text(3000);
        byte[] z = Compression.GZIP.compress(data, 0, data.length);
        byte[] bad = z.clone();
        bad[z.length - 4] ^= 1;
        assertThatThrownBy(() -> Compression.decompress(bad, bad.length, MAX)).isInstanceOf(IOException.class)
                .hasMessageContaining("corrupt");
    }

    @Test
    void filesWrittenByTheCommandLineTools() throws Exception {
        byte[] data = text(150_000);
        Path in = tmp.resolve("chunk");
        Files.write(in, data);
        String[][] cmds = {
                {"/usr/bin/zstd", "-q", "-19", "--check", "--content-size", "-c", in.toString()},
                {"/usr/bin/zstd", "-q", "-3", "--no-check", "--no-content-size", "-c", in.toString()},
                {"/usr/bin/xz", "-6", "-c", in.toString()},
                {"/usr/bin/gzip", "-9", "-c", in.toString()}};
        for (String[] cmd : cmds) {
            assumeThat(Path.of(cmd[0])).exists();
            Path out = tmp.resolve("out");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            byte[] z = Files.readAllBytes(out);
            assertThat(Compression.decompress(z, z.length, MAX)).as(String.join(" ", cmd)).isEqualTo(data);
            byte[] trailing = concat(z, new byte[] {0});
            assertThatThrownBy(() -> Compression.decompress(trailing, trailing.length, MAX))
                    .as(String.join(" ", cmd)).isInstanceOf(IOException.class);
        }
    }
}
