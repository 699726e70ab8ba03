package org.jcasync.cli;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.BadInputIT.assertCleanFailure;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.jcasync;
import static org.jcasync.cli.Tools.startJcasync;

/**
 * Full and read-only file systems (small tmpfs mounts, as root) as the store of make, the index of make, the target
 * of extract, the {@code --cache} of extract and the store of a chunk-server receiving uploads. Each failure is one
 * line naming the path and the reason with exit status 1; no output is left under its real name, no temporary
 * stays, and every chunk file that made it into a store is whole (verifies against its id). A cache that cannot keep
 * chunks is said once and the extract goes on without it: the cache only saves downloads.
 */
class DiskFullIT {
    @TempDir
    static Path shared;
    static Path blob;
    private final List<Path> mounts = new ArrayList<>();

    @BeforeAll
    static void input() throws Exception {
        blob = shared.resolve("big.bin");
        Files.write(blob, random(501, 10 << 20));
        jcasync(shared, "make", "--store=s.castr", "big.caibx", "big.bin").ok();
    }

    @AfterEach
    void unmountAll() throws Exception {
        for (Path m : mounts) {
            BadInputIT.unmount(m);
        }
    }

    private Path tmpfs(Path dir, String name, String options) throws Exception {
        Path m = dir.resolve(name);
        BadInputIT.mountTmpfs(m, options);
        mounts.add(m);
        return m;
    }

    /** A tmpfs of 4 MiB filled up to its last byte. */
    private Path full(Path dir) throws Exception {
        Path m = tmpfs(dir, "full", "size=4m");
        try (OutputStream o = Files.newOutputStream(m.resolve("filler"))) {
            byte[] b = new byte[4096];
            while (true) {
                o.write(b);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left");
        }
        return m;
    }

    private static List<String> named(Path root, String suffix) throws IOException {
        try (Stream<Path> w = Files.walk(root)) {
            return w.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).toList();
        }
    }

    /** Every chunk file under {@code store} decompresses to the chunk its name says; no temporary is left. */
    static void assertWholeChunks(Path store) throws IOException {
        if (!Files.isDirectory(store)) {
            return;
        }
        LocalStore s = new LocalStore(store, StoreOptions.DEFAULT);
        try (Stream<Path> w = Files.walk(store)) {
            for (Path f : w.filter(Files::isRegularFile).toList()) {
                String n = f.getFileName().toString();
                assertThat(n).as("file in store " + store).endsWith(".cacnk");
                s.get(ChunkId.parse(n.substring(0, n.length() - ".cacnk".length())));
            }
        }
    }

    @Test
    void makeIntoAFullStore(@TempDir Path dir) throws Exception {
        Path store = tmpfs(dir, "small", "size=2m").resolve("s.castr");
        Tools.Result r = jcasync(dir, "make", "--store=" + store, "x.caibx", blob.toString());
        assertCleanFailure(r, dir, "x.caibx", store.toString(), "No space left on device");
        assertWholeChunks(store);
    }

    @Test
    void makeIntoAReadOnlyStore(@TempDir Path dir) throws Exception {
        Path store = tmpfs(dir, "ro", "ro,size=1m").resolve("s.castr");
        Tools.Result r = jcasync(dir, "make", "--store=" + store, "x.caibx", blob.toString());
        assertCleanFailure(r, dir, "x.caibx", store.toString(), "Read-only file system");
        assertThat(store).doesNotExist();
    }

    @Test
    void makeOfAnIndexOnAFullFileSystem(@TempDir Path dir) throws Exception {
        Path full = full(dir);
        Tools.Result r = jcasync(dir, "make", "--store=" + dir.resolve("m.castr"), full.resolve("x.caibx").toString(),
                blob.toString());
        assertCleanFailure(r, full, "x.caibx", full.resolve("x.caibx").toString(), "No space left on device");
        assertWholeChunks(dir.resolve("m.castr"));
    }

    @Test
    void extractToAFullFileSystem(@TempDir Path dir) throws Exception {
        Path full = full(dir);
        Path existing = full.resolve("filler");
        long before = Files.size(existing);
        Tools.Result r = jcasync(dir, "extract", "--store=" + shared.resolve("s.castr"),
                shared.resolve("big.caibx").toString(), full.resolve("out.bin").toString());
        assertCleanFailure(r, full, "out.bin", full.resolve("out.bin").toString(), "No space left on device");
        assertThat(Files.size(existing)).isEqualTo(before);
    }

    @Test
    void extractToAReadOnlyFileSystem(@TempDir Path dir) throws Exception {
        Path ro = tmpfs(dir, "ro", "ro,size=1m");
        Tools.Result r = jcasync(dir, "extract", "--store=" + shared.resolve("s.castr"),
                shared.resolve("big.caibx").toString(), ro.resolve("out.bin").toString());
        assertCleanFailure(r, ro, "out.bin", ro.resolve("out.bin").toString(), "Read-only file system");
    }

    @Test
    void aCacheOnAFullFileSystemIsSkippedWithOneWarning(@TempDir Path dir) throws Exception {
        Path cache = Files.createDirectories(tmpfs(dir, "small", "size=2m").resolve("cache"));
        Tools.Result r = jcasync(dir, "extract", "--store=" + shared.resolve("s.castr"), "--cache=" + cache,
                shared.resolve("big.caibx").toString(), "out.bin").ok();
        assertSameBytes(blob, dir.resolve("out.bin"));
        List<String> warnings = r.err().lines().filter(l -> l.contains("warning")).toList();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.getFirst()).contains("cache " + cache, "No space left on device",
                "going on without caching");
        assertWholeChunks(cache);
        assertThat(named(cache, ".tmp")).isEmpty();
        // The next run reads what the cache did keep.
        jcasync(dir, "extract", "--store=" + shared.resolve("s.castr"), "--cache=" + cache,
                shared.resolve("big.caibx").toString(), "again.bin").ok();
        assertSameBytes(blob, dir.resolve("again.bin"));
    }

    @Test
    void aCacheOnAReadOnlyFileSystemIsSkippedWithOneWarning(@TempDir Path dir) throws Exception {
        Path cache = tmpfs(dir, "ro", "ro,size=1m").resolve("cache");
        Tools.Result r = jcasync(dir, "extract", "--store=" + shared.resolve("s.castr"), "--cache=" + cache,
                shared.resolve("big.caibx").toString(), "out.bin").ok();
        assertSameBytes(blob, dir.resolve("out.bin"));
        assertThat(r.err().lines().filter(l -> l.contains("warning")).toList()).singleElement().asString()
                .contains(cache.toString(), "Read-only file system");
    }

    @Test
    void uploadsToAChunkServerWhoseStoreIsFull(@TempDir Path dir) throws Exception {
        Path store = tmpfs(dir, "small", "size=2m").resolve("up.castr");
        Files.createDirectories(store);
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", store.toString(), "-w",
                "--authorization", "Bearer t0k3n", "-l", "127.0.0.1:0")) {
            Tools.Result r = jcasync(dir, "make", "--retries=1", "--authorization=Bearer t0k3n",
                    "--store=" + server.url(), "x.caibx", blob.toString());
            assertCleanFailure(r, dir, "x.caibx", server.url().toString(), "HTTP 500", "No space left on device");
        }
        assertWholeChunks(store);
        assertThat(named(store, ".tmp")).isEmpty();
    }
}
