package org.jcasync.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.jcasync;

/**
 * Failures: exit status 1, one "jcasync: ..." line naming the problem, no stack trace, and nothing left behind in the
 * output directory (neither the output nor a {@code .#} temporary file).
 */
class BadInputIT {
    @TempDir
    static Path shared;
    static Path blob;
    static Path index;
    static Path store;
    static List<String> ids;

    @BeforeAll
    static void blob() throws Exception {
        blob = shared.resolve("in.bin");
        Files.write(blob, random(200, 3 << 20));
        jcasync(shared, "make", "--store=s.castr", "a.caibx", "in.bin").ok();
        index = shared.resolve("a.caibx");
        store = shared.resolve("s.castr");
        ids = ItFiles.indexIds(index);
        assertThat(ids).hasSizeGreaterThan(10).doesNotHaveDuplicates();
    }

    /** The failure contract; {@code mustContain} are the things the one line must name. */
    static void assertCleanFailure(Tools.Result r, Path outDir, String outName, String... mustContain)
            throws IOException {
        assertThat(r.exit()).as("exit status; stderr: " + r.err()).isEqualTo(1);
        List<String> lines = r.err().lines().toList();
        assertThat(lines).as("stderr lines").hasSize(1);
        assertThat(lines.get(0)).startsWith("jcasync: ").doesNotContain("Exception", "\tat ", "Error:");
        if (mustContain.length > 0) {
            assertThat(lines.get(0)).contains(mustContain);
        }
        if (outDir != null) {
            if (outName != null) {
                assertThat(outDir.resolve(outName)).as("output file").doesNotExist();
            }
            try (Stream<Path> s = Files.list(outDir)) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".#")).toList())
                        .as("temporary files left in " + outDir).isEmpty();
            }
        }
    }

    /** A copy of the shared store, to damage. */
    private static Path storeCopy(Path dir) throws IOException {
        Path s = dir.resolve("s.castr");
        ItFiles.copyTree(store, s);
        return s;
    }

    private static Tools.Result extract(Path dir, Path st, Path idx, String out) throws Exception {
        return jcasync(dir, "extract", "--store=" + st, idx.toString(), out);
    }

    @Test
    void truncatedIndex(@TempDir Path dir) throws Exception {
        Path idx = dir.resolve("t.caibx");
        Files.write(idx, java.util.Arrays.copyOf(Files.readAllBytes(index), 1000));
        assertCleanFailure(extract(dir, store, idx, "out.bin"), dir, "out.bin", "t.caibx", "truncated");
    }

    @Test
    void indexCutInsideTheHeader(@TempDir Path dir) throws Exception {
        Path idx = dir.resolve("h.caibx");
        Files.write(idx, java.util.Arrays.copyOf(Files.readAllBytes(index), 30));
        assertCleanFailure(extract(dir, store, idx, "out.bin"), dir, "out.bin", "h.caibx");
    }

    @Test
    void garbageIndex(@TempDir Path dir) throws Exception {
        Path idx = dir.resolve("g.caibx");
        Files.write(idx, random(201, 5000));
        assertCleanFailure(extract(dir, store, idx, "out.bin"), dir, "out.bin", "g.caibx");
        // Also as digest, which reads indexes on its own path.
        assertCleanFailure(jcasync(dir, "digest", "--store=" + store, idx.toString()), null, null, "g.caibx");
    }

    @Test
    void indexWithOneTrailingByte(@TempDir Path dir) throws Exception {
        Path idx = dir.resolve("x.caibx");
        byte[] b = Files.readAllBytes(index);
        byte[] c = java.util.Arrays.copyOf(b, b.length + 1);
        Files.write(idx, c);
        assertCleanFailure(extract(dir, store, idx, "out.bin"), dir, "out.bin", "x.caibx", "trailing");
    }

    @Test
    void indexWithDecreasingOffsets(@TempDir Path dir) throws Exception {
        Path idx = dir.resolve("d.caibx");
        byte[] b = Files.readAllBytes(index);
        // Swap the end offsets of items 2 and 3.
        byte[] t = java.util.Arrays.copyOfRange(b, 64 + 80, 64 + 88);
        System.arraycopy(b, 64 + 120, b, 64 + 80, 8);
        System.arraycopy(t, 0, b, 64 + 120, 8);
        Files.write(idx, b);
        assertCleanFailure(extract(dir, store, idx, "out.bin"), dir, "out.bin", "d.caibx");
    }

    @Test
    void corruptedChunk(@TempDir Path dir) throws Exception {
        Path st = storeCopy(dir);
        String id = ids.get(ids.size() / 2);
        Path f = ItFiles.chunkPath(st, id);
        byte[] b = Files.readAllBytes(f);
        b[b.length / 2] ^= 0x5a;
        Files.delete(f);
        Files.write(f, b);
        assertCleanFailure(extract(dir, st, index, "out.bin"), dir, "out.bin", id);
    }

    @Test
    void truncatedChunkFile(@TempDir Path dir) throws Exception {
        Path st = storeCopy(dir);
        String id = ids.get(3);
        Path f = ItFiles.chunkPath(st, id);
        byte[] b = Files.readAllBytes(f);
        Files.delete(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
        assertCleanFailure(extract(dir, st, index, "out.bin"), dir, "out.bin", id);
    }

    @Test
    void missingChunk(@TempDir Path dir) throws Exception {
        Path st = storeCopy(dir);
        String id = ids.get(ids.size() - 1);
        Files.delete(ItFiles.chunkPath(st, id));
        assertCleanFailure(extract(dir, st, index, "out.bin"), dir, "out.bin", id, "missing");
        // A pre-existing output stays exactly as it was.
        Path existing = dir.resolve("existing.bin");
        byte[] before = random(202, 100_000);
        Files.write(existing, before);
        assertCleanFailure(extract(dir, st, index, "existing.bin"), dir, null, id);
        assertThat(Files.readAllBytes(existing)).isEqualTo(before);
        // Same for digest of the index.
        assertCleanFailure(jcasync(dir, "digest", "--store=" + st, index.toString()), null, null, id);
    }

    @Test
    void chunkWithTheWrongContent(@TempDir Path dir) throws Exception {
        // A valid zstd frame (another chunk's file) under the wrong name: only the digest check can catch it.
        Path st = storeCopy(dir);
        String id = ids.get(1);
        Files.copy(ItFiles.chunkPath(st, ids.get(2)), ItFiles.chunkPath(st, id), StandardCopyOption.REPLACE_EXISTING);
        assertCleanFailure(extract(dir, st, index, "out.bin"), dir, "out.bin", id);
        Path stdout = dir.resolve("stdout.bin");
        Tools.Result r = Tools.jcasyncStdoutTo(dir, stdout, "extract", "--store=" + st, index.toString(), "-");
        assertCleanFailure(r, null, null, id);
    }

    @Test
    void nonExistentIndex(@TempDir Path dir) throws Exception {
        assertCleanFailure(extract(dir, store, dir.resolve("nope.caibx"), "out.bin"), dir, "out.bin", "nope.caibx");
    }

    @Test
    void nonExistentStore(@TempDir Path dir) throws Exception {
        assertCleanFailure(extract(dir, dir.resolve("nostore.castr"), index, "out.bin"), dir, "out.bin",
                "nostore.castr");
    }

    @Test
    void makeToAFileWithoutAValidSuffix(@TempDir Path dir) throws Exception {
        assertCleanFailure(jcasync(dir, "make", "--store=s.castr", "x.img", blob.toString()), dir, "x.img",
                "File to create does not have valid suffix, refusing. (May be one of: .catar, .caidx, .caibx)");
        assertThat(dir.resolve("s.castr")).doesNotExist();
    }

    @Test
    void makeOfANonExistentInput(@TempDir Path dir) throws Exception {
        assertCleanFailure(jcasync(dir, "make", "--store=s.castr", "x.caibx", "missing.bin"), dir, "x.caibx",
                "missing.bin");
    }

    @ParameterizedTest(name = "--chunk-size={0}")
    @CsvSource(delimiter = '|', value = {
            "1K:4K|--chunk-size= requires either a single average chunk size or a triplet of minimum, average and "
                    + "maximum chunk size.",
            "0|Average chunk size must be >= 1.",
            "x|Can't parse average chunk size: x",
            "x:4K:16K|Can't parse minimum chunk size: x:4K:16K",
            "64K:16K:256K|Average chunk size must be larger than minimum chunk size.",
            "1K:4K:200M|Maximum chunk size must be <= 134217728."})
    void makeWithABadChunkSizeGivesCasyncsMessage(String size, String message, @TempDir Path dir) throws Exception {
        Tools.Result r = jcasync(dir, "make", "--chunk-size=" + size, "--store=s.castr", "x.caibx",
                blob.toString());
        assertCleanFailure(r, dir, "x.caibx");
        assertThat(r.err()).isEqualTo("jcasync: " + message + "\n");
        assertThat(dir.resolve("s.castr")).doesNotExist();
        if (casyncInstalled()) {
            Tools.Result c = Tools.casync(dir, "make", "--chunk-size=" + size, "--store=s.castr", "x.caibx",
                    blob.toString());
            assertThat(c.exit()).isNotZero();
            assertThat(c.err()).as("casync's own message").isEqualTo(message + "\n");
        }
    }

    /** casync accepts 10:20:40 but fails while chunking (a chunk cannot be shorter than the 48-byte window). */
    @Test
    void makeWithAMaximumBelowTheHashWindowFails(@TempDir Path dir) throws Exception {
        // A small input: jcasync chunks and stores a whole 4 MiB batch before it notices (casync fails at once).
        Files.write(dir.resolve("small.bin"), random(204, 5000));
        Tools.Result r = jcasync(dir, "make", "--chunk-size=10:20:40", "--store=s.castr", "x.caibx", "small.bin");
        assertCleanFailure(r, dir, "x.caibx", "x.caibx");
        try (Stream<Path> w = Files.walk(dir)) {
            assertThat(w.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList())
                    .as("chunk temp files").isEmpty();
        }
    }

    private static boolean casyncInstalled() {
        return Files.isExecutable(Path.of("/usr/bin/casync")) || Files.isExecutable(Path.of("/usr/local/bin/casync"));
    }

    @Test
    void unknownOption(@TempDir Path dir) throws Exception {
        Tools.Result r = jcasync(dir, "--frobnicate", "make", "x.caibx", blob.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("frobnicate").doesNotContain("Exception", "\tat ");
        assertThat(dir.resolve("x.caibx")).doesNotExist();
        Tools.Result r2 = jcasync(dir, "extract", "--frobnicate", index.toString(), "out.bin");
        assertThat(r2.exit()).isNotZero();
        assertThat(dir.resolve("out.bin")).doesNotExist();
    }

    // ---- file-system failures: need root to mount a tmpfs ----

    static void mountTmpfs(Path mnt, String options) throws Exception {
        Files.createDirectories(mnt);
        Tools.Result r = Tools.run(mnt.getParent(), List.of("mount", "-t", "tmpfs", "-o", options, "tmpfs",
                mnt.toString()));
        Assumptions.assumeTrue(r.exit() == 0, "cannot mount a tmpfs (not root?): " + r.err());
    }

    static void unmount(Path mnt) throws Exception {
        if (Tools.run(mnt.getParent(), List.of("umount", mnt.toString())).exit() != 0) {
            Tools.run(mnt.getParent(), List.of("umount", "-l", mnt.toString()));
        }
    }

    @Test
    void readOnlyOutputDirectory(@TempDir Path dir) throws Exception {
        Path ro = dir.resolve("ro");
        mountTmpfs(ro, "ro,size=1m");
        try {
            Tools.Result r = extract(dir, store, index, ro.resolve("out.bin").toString());
            assertCleanFailure(r, ro, "out.bin", "Read-only file system", ro.toString());
            Tools.Result m = jcasync(dir, "make", "--store=" + dir.resolve("m.castr"), ro.resolve("x.caibx").toString(),
                    blob.toString());
            assertCleanFailure(m, ro, "x.caibx", "Read-only file system", ro.toString());
            assertThat(ItFiles.tree(ro)).isEmpty();
        } finally {
            unmount(ro);
        }
    }

    @Test
    void diskFull(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("big.bin");
        Files.write(big, random(203, 10 << 20));
        jcasync(dir, "make", "--store=s.castr", "big.caibx", "big.bin").ok();
        Path full = dir.resolve("full");
        mountTmpfs(full, "size=2m");
        try {
            Tools.Result r = extract(dir, dir.resolve("s.castr"), dir.resolve("big.caibx"),
                    full.resolve("out.bin").toString());
            assertCleanFailure(r, full, "out.bin", "No space left");
            assertThat(ItFiles.tree(full)).as("left behind on the full file system").isEmpty();

            // make with its store and index on the full file system: no index, no temporary files anywhere.
            Tools.Result m = jcasync(dir, "make", "--store=" + full.resolve("s.castr"),
                    full.resolve("big.caibx").toString(), "big.bin");
            assertCleanFailure(m, full, "big.caibx", "No space left");
            try (Stream<Path> w = Files.walk(full)) {
                assertThat(w.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList())
                        .as("chunk temp files").isEmpty();
            }
        } finally {
            unmount(full);
        }
    }
}
