package org.jcasync.catar;

import org.jcasync.format.FeatureFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatarDecoderTest {
    static final long FLAGS = 0xb0000001ffeffe26L;

    @TempDir
    Path tmp;

    /** Builds archives by hand: records back to back, GOODBYE tails computed from the open directories. */
    static final class Builder {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Deque<long[]> dirs = new ArrayDeque<>(); // {entry offset, children}

        Builder record(long type, byte[] body) {
            return raw(16 + body.length, type, body);
        }

        Builder raw(long size, long type, byte[] body) {
            byte[] h = new byte[16];
            CatarFormat.putLe64(h, 0, size);
            CatarFormat.putLe64(h, 8, type);
            out.writeBytes(h);
            out.writeBytes(body);
            return this;
        }

        Builder entry(long flags, long mode) {
            long at = out.size();
            byte[] b = new byte[48];
            CatarFormat.putLe64(b, 0, flags);
            CatarFormat.putLe64(b, 8, mode);
            record(CatarFormat.ENTRY, b);
            if ((mode & 0170000) == 0040000) {
                dirs.push(new long[] {at, 0});
            }
            return this;
        }

        Builder dir() {
            return entry(FLAGS, 040755);
        }

        Builder name(String n) {
            return name(n.getBytes(StandardCharsets.UTF_8));
        }

        Builder name(byte[] n) {
            if (!dirs.isEmpty()) {
                dirs.peek()[1]++;
            }
            return record(CatarFormat.FILENAME, cstr(n));
        }

        Builder file(String n, String content) {
            name(n).entry(FLAGS, 0100644);
            return record(CatarFormat.PAYLOAD, content.getBytes(StandardCharsets.UTF_8));
        }

        Builder goodbye() {
            return goodbye(CatarFormat.GOODBYE_TAIL_MARKER);
        }

        Builder goodbye(long marker) {
            long[] d = dirs.pop();
            long g = out.size();
            int n = (int) d[1];
            byte[] b = new byte[24 * n + 24];
            CatarFormat.putLe64(b, 24 * n, g - d[0]);
            CatarFormat.putLe64(b, 24 * n + 8, 16 + b.length);
            CatarFormat.putLe64(b, 24 * n + 16, marker);
            return record(CatarFormat.GOODBYE, b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static byte[] cstr(byte[] s) {
        return Arrays.copyOf(s, s.length + 1);
    }

    record Seen(String kind, String path, long mode, String payload) {
    }

    static List<Seen> decodeAll(byte[] archive, long expected) throws IOException {
        List<Seen> r = new ArrayList<>();
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(archive), expected)) {
            CatarDecoder.Event e;
            while ((e = d.next()) != null) {
                String payload = null;
                if (e.kind() == CatarDecoder.Kind.ENTRY && e.entry().isRegularFile()) {
                    payload = new String(d.payload().readAllBytes(), StandardCharsets.UTF_8);
                }
                r.add(new Seen(e.kind().name(), e.entry().pathString(), e.entry().mode(), payload));
            }
        }
        return r;
    }

    static List<Seen> decodeAll(byte[] archive) throws IOException {
        return decodeAll(archive, -1);
    }

    @Test
    void handBuiltArchiveDecodes() throws Exception {
        byte[] a = new Builder().dir().file("a", "hello").name("d").dir().file("x", "").goodbye().goodbye().bytes();
        assertThat(decodeAll(a)).containsExactly(
                new Seen("ENTRY", "", 040755, null),
                new Seen("ENTRY", "a", 0100644, "hello"),
                new Seen("DONE", "a", 0100644, null),
                new Seen("ENTRY", "d", 040755, null),
                new Seen("ENTRY", "d/x", 0100644, ""),
                new Seen("DONE", "d/x", 0100644, null),
                new Seen("DONE", "d", 040755, null),
                new Seen("DONE", "", 040755, null));
    }

    @Test
    void roundTripOfEncoderOutput() throws Exception {
        Path t = Files.createDirectory(tmp.resolve("t"));
        Files.writeString(t.resolve("small"), "hello\n");
        byte[] big = new byte[300_000];
        new Random(1).nextBytes(big);
        Files.write(t.resolve("big"), big);
        Files.createDirectories(t.resolve("a/b/c"));
        Files.writeString(t.resolve("a/b/c/f"), "deep");
        Files.createSymbolicLink(t.resolve("link"), Path.of("small"));
        Files.createDirectories(t.resolve("empty"));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        new CatarEncoder(FLAGS).encode(t, bos);
        byte[] archive = bos.toByteArray();

        List<String> order = new ArrayList<>();
        long[] tapped = {0};
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(archive), FLAGS)) {
            d.tap((b, off, len) -> tapped[0] += len);
            CatarDecoder.Event e;
            while ((e = d.next()) != null) {
                CatarEntry n = e.entry();
                if (e.kind() == CatarDecoder.Kind.DONE) {
                    continue;
                }
                order.add(n.pathString());
                assertThat(n.featureFlags()).isEqualTo(FLAGS);
                assertThat(archive[(int) n.offset() + 8]).isEqualTo((byte) 0x51); // ENTRY type, low byte
                switch (n.pathString()) {
                    case "big" -> {
                        assertThat(n.payloadSize()).isEqualTo(big.length);
                        assertThat(d.payload().readAllBytes()).isEqualTo(big);
                    }
                    case "small" -> {
                        // read a part, leave the rest to be skipped
                        assertThat(d.payload().read()).isEqualTo('h');
                    }
                    case "link" -> assertThat(new String(n.symlinkTarget(), StandardCharsets.UTF_8))
                            .isEqualTo("small");
                    case "a/b/c/f" -> assertThat(n.depth()).isEqualTo(5);
                    default -> { }
                }
            }
            assertThat(d.position()).isEqualTo(archive.length);
        }
        assertThat(tapped[0]).isEqualTo(archive.length);
        assertThat(order).containsExactly("", "a", "a/b", "a/b/c", "a/b/c/f", "big", "empty", "link", "small");
    }

    @Test
    void metadataPlusTapIsTheNodeSerialization() throws Exception {
        byte[] a = new Builder().dir().file("a", "hello").name("d").dir().file("x", "yz").name("e").dir().goodbye()
                .goodbye().file("z", "").goodbye().bytes();
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(a))) {
            CatarDecoder.Event e;
            while ((e = d.next()) != null) {
                CatarEntry n = e.entry();
                if (e.kind() != CatarDecoder.Kind.ENTRY || n.depth() != 2) {
                    continue;
                }
                assertThat(d.position()).isEqualTo(n.offset() + n.metadata().length);
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                got.writeBytes(n.metadata());
                d.tap(got::write);
                long start = n.offset();
                while (!((e = d.next()).kind() == CatarDecoder.Kind.DONE && e.entry() == n)) {
                    // the node's payload or subtree
                }
                d.tap(null);
                assertThat(got.toByteArray()).as(n.pathString())
                        .isEqualTo(Arrays.copyOfRange(a, (int) start, (int) d.position()));
            }
        }
    }

    @Test
    void emptyDirectoryArchive() throws Exception {
        Path e = Files.createDirectory(tmp.resolve("e"));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        new CatarEncoder(FLAGS).encode(e, bos);
        assertThat(decodeAll(bos.toByteArray())).hasSize(2);
    }

    private static void rejects(byte[] archive, String message) {
        assertThatThrownBy(() -> decodeAll(archive)).isInstanceOf(ArchiveFormatException.class)
                .hasMessageContaining(message).hasMessageContaining("offset");
    }

    @Test
    void rejectsDotDotAndSlashAndEmptyNames() {
        rejects(new Builder().dir().file("..", "x").goodbye().bytes(), "'..' is not allowed");
        rejects(new Builder().dir().file(".", "x").goodbye().bytes(), "'.' is not allowed");
        rejects(new Builder().dir().file("a/b", "x").goodbye().bytes(), "contains '/'");
        rejects(new Builder().dir().name(new byte[] {'a', 0, 'b'}).entry(FLAGS, 0100644)
                .record(CatarFormat.PAYLOAD, new byte[0]).goodbye().bytes(), "contains NUL");
        rejects(new Builder().dir().name("").entry(FLAGS, 0100644)
                .record(CatarFormat.PAYLOAD, new byte[0]).goodbye().bytes(), "FILENAME record of 17 bytes");
    }

    @Test
    void rejectsHugeDeclaredSizesBeforeAllocating() {
        // a FILENAME claiming 2^62 bytes: refused from its header
        byte[] a = new Builder().dir().raw(1L << 62, CatarFormat.FILENAME, new byte[] {'a', 0}).bytes();
        rejects(a, "FILENAME record of 4611686018427387904 bytes");
        byte[] x = new Builder().dir().raw(Long.MAX_VALUE, CatarFormat.XATTR, new byte[0]).bytes();
        rejects(x, "XATTR record of");
        byte[] s = new Builder().dir().name("l").entry(FLAGS, 0120777)
                .raw(100_000, CatarFormat.SYMLINK, new byte[0]).bytes();
        rejects(s, "SYMLINK record of 100000 bytes");
        byte[] neg = new Builder().dir().raw(-2, CatarFormat.FILENAME, new byte[0]).bytes();
        rejects(neg, "record size");
        byte[] small = new Builder().dir().raw(8, CatarFormat.FILENAME, new byte[0]).bytes();
        rejects(small, "record size 8");
    }

    @Test
    void rejectsTruncatedArchives() throws Exception {
        byte[] a = new Builder().dir().file("a", "hello world").name("d").dir().goodbye().goodbye().bytes();
        decodeAll(a);
        for (int cut : new int[] {0, 10, 64, 70, 90, a.length - 30, a.length - 1}) {
            assertThatThrownBy(() -> decodeAll(Arrays.copyOf(a, cut))).as("cut at " + cut)
                    .isInstanceOf(ArchiveFormatException.class).hasMessageContaining("truncated");
        }
    }

    @Test
    void rejectsBadGoodbye() {
        rejects(new Builder().dir().file("a", "x").goodbye(0x1234L).bytes(), "tail marker");
        byte[] a = new Builder().dir().file("a", "x").goodbye().bytes();
        // entry offset one too large
        int tail = a.length - 24;
        CatarFormat.putLe64(a, tail, CatarFormat.le64(a, tail) + 1);
        rejects(a, "entry offset");
        byte[] b = new Builder().dir().file("a", "x").goodbye().bytes();
        CatarFormat.putLe64(b, b.length - 16, 999);
        rejects(b, "tail size 999");
        // GOODBYE without an item for its child
        Builder c = new Builder().dir().file("a", "x");
        c.dirs.peek()[1] = 0;
        rejects(c.goodbye().bytes(), "0 items for 1 children");
        rejects(new Builder().dir().raw(16 + 30, CatarFormat.GOODBYE, new byte[30]).bytes(), "must be 40 + 24 n");
    }

    @Test
    void rejectsFlagMismatches() throws Exception {
        long other = FeatureFlags.normalize(FLAGS & ~FeatureFlags.WITH_ACL & ~0x4L);
        byte[] a = new Builder().dir().name("f").entry(other, 0100644).record(CatarFormat.PAYLOAD, new byte[0])
                .goodbye().bytes();
        rejects(a, "differ from the archive's");
        byte[] ok = new Builder().dir().goodbye().bytes();
        assertThatThrownBy(() -> decodeAll(ok, other)).isInstanceOf(ArchiveFormatException.class)
                .hasMessageContaining("differ from the index's");
        assertThat(decodeAll(ok, FLAGS)).hasSize(2);
        rejects(new Builder().entry(FLAGS | 0x0800000000000000L, 040755).goodbye().bytes(), "unsupported");
        // not normalized: nsec and sec time both set
        rejects(new Builder().entry(FLAGS | FeatureFlags.WITH_SEC_TIME, 040755).goodbye().bytes(),
                "not normalized");
    }

    @Test
    void rejectsBadModesOrderAndTypes() {
        rejects(new Builder().entry(FLAGS, 0100644).record(CatarFormat.PAYLOAD, new byte[0]).bytes(),
                "root node is not a directory");
        rejects(new Builder().dir().name("x").entry(FLAGS, 0170644).goodbye().bytes(), "invalid mode");
        rejects(new Builder().dir().name("l").entry(FLAGS, 0120755).bytes(), "invalid mode");
        rejects(new Builder().dir().name("f").entry(FLAGS, 0100644).goodbye().bytes(), "without PAYLOAD");
        rejects(new Builder().dir().record(0x1234L, new byte[0]).bytes(), "unknown record type");
        rejects(new Builder().dir().record(CatarFormat.ENTRY, new byte[48]).bytes(), "second ENTRY");
        byte[] xb = cstr("user.b".getBytes(StandardCharsets.US_ASCII));
        byte[] xa = cstr("user.a".getBytes(StandardCharsets.US_ASCII));
        rejects(new Builder().dir().record(CatarFormat.XATTR, xb).record(CatarFormat.XATTR, xa).goodbye().bytes(),
                "out of order");
        rejects(new Builder().dir().record(CatarFormat.XATTR, xa).record(CatarFormat.USER,
                cstr("bin".getBytes(StandardCharsets.US_ASCII))).goodbye().bytes(), "out of order");
        rejects(new Builder().dir().record(CatarFormat.USER, cstr("root".getBytes(StandardCharsets.US_ASCII)))
                .goodbye().bytes(), "name");
        rejects(new Builder().dir().name("p").entry(FLAGS, 0010644).record(CatarFormat.PAYLOAD, new byte[1])
                .goodbye().bytes(), "no regular file");
    }

    @Test
    void rejectsDepthBeyond64() throws Exception {
        Builder ok = new Builder().dir();
        for (int i = 1; i < 64; i++) {
            ok.name("d").dir();
        }
        for (int i = 0; i < 64; i++) {
            ok.goodbye();
        }
        assertThat(decodeAll(ok.bytes())).hasSize(128);
        Builder deep = new Builder().dir();
        for (int i = 1; i < 65; i++) {
            deep.name("d").dir();
        }
        rejects(deep.bytes(), "depth exceeds 64");
    }

    @Test
    void payloadIsStreamedNotBuffered() throws Exception {
        // a 1 GiB declared payload of which only the header exists: the ENTRY is reported, reading fails cleanly
        Builder b = new Builder().dir().name("big").entry(FLAGS, 0100644);
        b.raw(16 + (1L << 30), CatarFormat.PAYLOAD, new byte[0]);
        try (CatarDecoder d = new CatarDecoder(new ByteArrayInputStream(b.bytes()))) {
            d.next();
            CatarDecoder.Event e = d.next();
            assertThat(e.entry().payloadSize()).isEqualTo(1L << 30);
            InputStream p = d.payload();
            assertThatThrownBy(p::readAllBytes).isInstanceOf(ArchiveFormatException.class)
                    .hasMessageContaining("truncated");
        }
    }

    @Test
    void stopsAtTheEndOfTheRootLikeCasync() throws Exception {
        byte[] a = new Builder().dir().goodbye().bytes();
        byte[] trailing = Arrays.copyOf(a, a.length + 7);
        assertThat(decodeAll(trailing)).hasSize(2);
    }

    @Test
    void hostileVariantsOfARichArchiveFailWithOneLineOrDecode() throws Exception {
        Path t = Files.createDirectory(tmp.resolve("t"));
        Files.writeString(t.resolve("f"), "hello");
        Files.createDirectories(t.resolve("d/e"));
        Files.write(t.resolve("d/e/big"), new byte[70_000]);
        Files.createSymbolicLink(t.resolve("l"), Path.of("f"));
        Files.getFileAttributeView(t.resolve("f"), UserDefinedFileAttributeView.class)
                .write("a", ByteBuffer.wrap(new byte[] {1}));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        new CatarEncoder(FLAGS).encode(t, bos);
        byte[] archive = bos.toByteArray();
        Random r = new Random(7);
        int failed = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] a = ArchiveMutator.mutate(archive, r);
            try {
                decodeAll(a, r.nextBoolean() ? FLAGS : -1);
            } catch (ArchiveFormatException e) {
                assertThat(e.getMessage()).contains("offset").doesNotContain("\n");
                failed++;
            }
        }
        assertThat(failed).isGreaterThan(2500);
    }
}
