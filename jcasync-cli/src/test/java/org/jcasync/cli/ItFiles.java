package org.jcasync.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** File helpers for the end-to-end tests: seeded data, byte comparison, store listings, an independent index parser. */
final class ItFiles {
    private ItFiles() {
    }

    /** The seed of all generated data; {@code -Djcasync.it.seed=N} explores other inputs. */
    static final long SEED = Long.getLong("jcasync.it.seed", 20250101L);

    /** {@code n} pseudo-random bytes from {@code SEED + salt}. */
    static byte[] random(long salt, int n) {
        byte[] b = new byte[n];
        new Random(SEED * 31 + salt).nextBytes(b);
        return b;
    }

    /** A command line: {@code verb}, then {@code options}, then {@code rest}. */
    static String[] argv(String verb, List<String> options, String... rest) {
        List<String> a = new ArrayList<>();
        a.add(verb);
        a.addAll(options);
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }

    /** Fails with the first differing offset unless the two files have identical contents. */
    static void assertSameBytes(Path expected, Path actual) throws IOException {
        assertThat(actual).as("output file").exists();
        long m = Files.mismatch(expected, actual);
        if (m != -1) {
            fail(actual + " differs from " + expected + " at byte " + m + " (sizes " + Files.size(expected) + " vs "
                    + Files.size(actual) + ")");
        }
    }

    /** Relative paths of all chunk files ({@code <4hex>/<id>.cacnk}) under a store. */
    static SortedSet<String> chunkFiles(Path store) throws IOException {
        SortedSet<String> s = new TreeSet<>();
        if (!Files.isDirectory(store)) {
            return s;
        }
        try (Stream<Path> w = Files.walk(store)) {
            w.filter(Files::isRegularFile).forEach(p -> s.add(store.relativize(p).toString()));
        }
        return s;
    }

    /** Everything under {@code root} (files and directories), relative, sorted. */
    static SortedSet<String> tree(Path root) throws IOException {
        SortedSet<String> s = new TreeSet<>();
        try (Stream<Path> w = Files.walk(root)) {
            w.filter(p -> !p.equals(root)).forEach(p -> s.add(root.relativize(p).toString()));
        }
        return s;
    }

    /** Copies a directory tree. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> w = Files.walk(from)) {
            for (Path p : (Iterable<Path>) w::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    /** The chunk ids (lowercase hex) of a .caibx, parsed here from the documented layout (not with main code). */
    static List<String> indexIds(Path caibx) throws IOException {
        byte[] b = Files.readAllBytes(caibx);
        assertThat(b.length).as("index size of " + caibx).isGreaterThanOrEqualTo(104);
        assertThat((b.length - 104) % 40).as("index size of " + caibx).isZero();
        int n = (b.length - 104) / 40;
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(HexFormat.of().formatHex(b, 64 + 40 * i + 8, 64 + 40 * i + 40));
        }
        return ids;
    }

    /** The blob size recorded in a .caibx (end offset of the last chunk). */
    static long indexBlobSize(Path caibx) throws IOException {
        byte[] b = Files.readAllBytes(caibx);
        int n = (b.length - 104) / 40;
        return n == 0 ? 0 : ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(64 + 40 * (n - 1));
    }

    /** The store path of a chunk id. */
    static Path chunkPath(Path store, String id) {
        return store.resolve(id.substring(0, 4)).resolve(id + ".cacnk");
    }

    /** Lowercase hex digest of a file with a JDK algorithm ("SHA-512/256", "SHA-256"). */
    static String digest(Path file, String algorithm) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            try (var in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 20];
                int r;
                while ((r = in.read(buf)) > 0) {
                    md.update(buf, 0, r);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes {@code data} at {@code offset} of an existing file without changing anything else. */
    static void writeAt(Path file, long offset, byte[] data) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(data);
        }
    }
}
