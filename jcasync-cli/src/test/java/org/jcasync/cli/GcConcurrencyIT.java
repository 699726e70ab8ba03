package org.jcasync.cli;

import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.s3.S3TestServer;
import org.jcasync.ssh.LoopbackSshd;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreLock;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.random;

/**
 * gc racing a make of a new index into the same store, as separate processes, on a local, an SFTP and an S3 store.
 * The make reads its blob from a pipe that the test fills in two parts, so that gc starts at a known point: after the
 * make has found the old chunks it reuses (and written some new ones), before it has written its index. gc is given
 * only an older index. Before the fix both exited 0 and the new index named chunks gc had removed. Now gc waits for
 * the make (local, SFTP: store lock) or keeps what the make wrote or freshened (S3: grace period), and the new index
 * extracts.
 */
class GcConcurrencyIT {
    private static final String BUCKET = "gc-race";
    private static final int REUSED = 8 << 20;
    private static final int FRESH = 2 << 20;
    private static final int TAIL = 1 << 20;
    /** casync's default largest chunk: a chunk ending this far before the end of what was sent is out already. */
    private static final int MAX_CHUNK = 256 << 10;

    @TempDir
    static Path work;
    static LoopbackSshd sshd;
    static S3TestServer s3;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3TestServer.startOnDisk(Files.createDirectories(work.resolve("s3")));
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stop() {
        if (sshd != null) {
            sshd.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /** A store as the processes name it, and how the test looks into it. */
    interface Place {
        /** The store location given to jcasync. */
        String store();

        /** Whether the chunk is in the store. */
        boolean has(String id) throws IOException;

        /** Makes the chunk two hours old. */
        void age(String id) throws IOException;

        /** Environment for the processes. */
        Map<String, String> env();
    }

    /** A store directory on this machine, named by {@code location} (a path, or an sftp:// URL of it). */
    static Place directory(Path root, String location, Map<String, String> env) {
        LocalStore s = new LocalStore(root, StoreOptions.DEFAULT);
        return new Place() {
            @Override
            public String store() {
                return location;
            }

            @Override
            public boolean has(String id) {
                return Files.exists(s.chunkPath(org.jcasync.chunk.ChunkId.parse(id)));
            }

            @Override
            public void age(String id) throws IOException {
                Files.setLastModifiedTime(s.chunkPath(org.jcasync.chunk.ChunkId.parse(id)),
                        FileTime.from(Instant.now().minus(Duration.ofHours(2))));
            }

            @Override
            public Map<String, String> env() {
                return env;
            }
        };
    }

    @Test
    void localStore() throws Exception {
        Path d = Files.createDirectories(work.resolve("local"));
        Path root = d.resolve("s.castr");
        Race r = race(d, directory(root, root.toString(), Map.of()), List.of(), List.of());
        assertThat(r.gcErr()).as("gc waited for the make").contains("waiting for the lock on " + root
                + "/locks held by make (pid ");
        // casync reads the store (and its lock directory does not disturb it).
        Tools.casync(d, "extract", "--store=" + root, "b.caibx", "casync.out").ok();
        assertSameBytes(d.resolve("b.bin"), d.resolve("casync.out"));
    }

    @Test
    void sftpStore() throws Exception {
        sshd = sshd != null ? sshd : LoopbackSshd.start(Files.createDirectories(work.resolve("sshd")));
        Path d = Files.createDirectories(work.resolve("sftp"));
        Path root = d.resolve("s.castr");
        String url = "sftp://127.0.0.1" + root;
        Race r = race(d, directory(root, url, sshd.clientEnvironment()), List.of(), List.of());
        assertThat(r.gcErr()).as("gc waited for the make").contains("waiting for the lock on " + url
                + "/locks held by make (pid ");
    }

    @Test
    void s3Store() throws Exception {
        Path d = Files.createDirectories(work.resolve("s3-race"));
        String prefix = "store";
        Place p = new Place() {
            @Override
            public String store() {
                return s3.url(BUCKET + "/" + prefix);
            }

            @Override
            public boolean has(String id) {
                return s3.keys(BUCKET, key(id)).contains(key(id));
            }

            @Override
            public void age(String id) throws IOException {
                s3.age(BUCKET, key(id), Duration.ofHours(2));
            }

            private String key(String id) {
                return prefix + "/" + id.substring(0, 4) + "/" + id + ".cacnk";
            }

            @Override
            public Map<String, String> env() {
                return S3TestServer.env();
            }
        };
        Race r = race(d, p, List.of(), List.of());
        assertThat(r.gcErr()).as("no lock on S3: gc ran meanwhile").doesNotContain("waiting");
    }

    /**
     * The same with packs: the reused chunks are also in an old pack, which the gc (given only the older index)
     * would remove; the make packs the new index at its end and names that pack in its map.
     */
    @Test
    void localStoreWithPacks() throws Exception {
        Path d = Files.createDirectories(work.resolve("packs"));
        Path root = d.resolve("s.castr");
        race(d, directory(root, root.toString(), Map.of()), List.of("--packs=yes"), List.of());
        assertThat(d.resolve("b.caibx.camap")).exists();
        Tools.Result x = Tools.jcasync(d, "extract", "-v", "--store=" + root, "b.caibx", "packed.out").ok();
        assertThat(x.err()).contains("(packs)");
        assertSameBytes(d.resolve("b.bin"), d.resolve("packed.out"));
    }

    /**
     * Without a grace period, the lock still keeps what the make that gc waited for relies on: its index, which gc was
     * not given, exists by the time gc runs.
     */
    @Test
    void localStoreWithoutGracePeriod() throws Exception {
        Path d = Files.createDirectories(work.resolve("grace0"));
        Path root = d.resolve("s.castr");
        Race r = race(d, directory(root, root.toString(), Map.of()), List.of(), List.of("--grace=0"));
        assertThat(r.gcErr()).contains("held by make (pid ");
    }

    /** What a race left: gc's standard error. */
    record Race(String gcErr) {
    }

    /**
     * Makes a.caibx (1 MiB) and c.caibx (8 MiB) into the store and makes their chunks (and packs) two hours old;
     * then makes b.caibx of c's bytes, 2 MiB of new ones and 1 MiB more from a pipe: once the new chunks of the
     * first part are in the store, runs {@code gc a.caibx} (with {@code gcOptions}) and waits until it has exited or
     * says it waits; then sends the rest. Both must exit 0 and b must extract.
     */
    private Race race(Path d, Place p, List<String> makeOptions, List<String> gcOptions) throws Exception {
        byte[] reused = random(1101, REUSED);
        byte[] fresh = random(1102, FRESH);
        byte[] tail = random(1103, TAIL);
        Files.write(d.resolve("a.bin"), random(1100, 1 << 20));
        Files.write(d.resolve("c.bin"), reused);
        Path b = d.resolve("b.bin");
        Files.write(b, reused);
        Files.write(b, fresh, java.nio.file.StandardOpenOption.APPEND);
        Files.write(b, tail, java.nio.file.StandardOpenOption.APPEND);
        jcasync(d, p, concat(List.of("make", "--store=" + p.store()), makeOptions, "a.caibx", "a.bin")).ok();
        jcasync(d, p, concat(List.of("make", "--store=" + p.store()), makeOptions, "c.caibx", "c.bin")).ok();
        for (String index : List.of("a.caibx", "c.caibx")) {
            for (String id : ItFiles.indexIds(d.resolve(index))) {
                p.age(id);
            }
        }
        agePacks(d.resolve("s.castr"));
        // Which chunks of b lie inside its new bytes and are cut before the first part ends (chunking is
        // deterministic: an index of b made elsewhere names them).
        Tools.jcasync(d, "make", "--store=ref.castr", "ref.caibx", "b.bin").ok();
        List<String> marks = chunksWithin(d.resolve("ref.caibx"), REUSED, REUSED + FRESH - MAX_CHUNK);
        assertThat(marks).hasSizeGreaterThan(5);

        List<String> make = concat(List.of("make", "--store=" + p.store()), makeOptions, "b.caibx", "-");
        Process maker = start(d, p, make, "make");
        Process gc = null;
        try (OutputStream in = maker.getOutputStream()) {
            write(in, reused, maker, d, "make");
            write(in, fresh, maker, d, "make");
            await(() -> allPresent(p, marks), maker, d, "make", "the new chunks of the first part");
            gc = start(d, p, concat(List.of("gc", "--store=" + p.store()), gcOptions, "a.caibx"), "gc");
            Process g = gc;
            await(() -> !g.isAlive() || read(d, "gc.err").contains("waiting for"), null, d, "gc",
                    "gc to finish or wait");
            write(in, tail, maker, d, "make");
        }
        assertThat(exit(maker)).as("make: " + read(d, "make.err")).isZero();
        assertThat(exit(gc)).as("gc: " + read(d, "gc.err")).isZero();
        Tools.Result x = jcasync(d, p, List.of("extract", "--store=" + p.store(), "b.caibx", "b.out"));
        assertThat(x.exit()).as("extract of the new index: " + x.err()).isZero();
        assertSameBytes(b, d.resolve("b.out"));
        return new Race(read(d, "gc.err"));
    }

    private static void agePacks(Path root) throws IOException {
        Path packs = root.resolve("packs");
        if (Files.isDirectory(packs)) {
            try (var s = Files.list(packs)) {
                for (Path f : s.toList()) {
                    Files.setLastModifiedTime(f, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
                }
            }
        }
    }

    /** The ids of the chunks of an index that lie within [from, to) of its blob. */
    private static List<String> chunksWithin(Path caibx, long from, long to) throws IOException {
        Index idx = IndexReader.read(new ByteArrayInputStream(Files.readAllBytes(caibx)), caibx.toString());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < idx.size(); i++) {
            if (idx.start(i) >= from && idx.end(i) <= to) {
                ids.add(idx.id(i).toHex());
            }
        }
        return ids;
    }

    private static boolean allPresent(Place p, List<String> ids) throws IOException {
        for (String id : ids) {
            if (!p.has(id)) {
                return false;
            }
        }
        return true;
    }

    private static List<String> concat(List<String> head, List<String> middle, String... rest) {
        List<String> all = new ArrayList<>(head);
        all.addAll(middle);
        all.addAll(List.of(rest));
        return all;
    }

    private static Tools.Result jcasync(Path d, Place p, List<String> args) throws Exception {
        return Tools.run(d, Tools.jcasyncCommand(args.toArray(String[]::new)), null, p.env());
    }

    /** Starts jcasync with its standard output and error in {@code name}.out and {@code name}.err. */
    private static Process start(Path d, Place p, List<String> args, String name) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Tools.jcasyncCommand(args.toArray(String[]::new)))
                .directory(d.toFile());
        pb.environment().putAll(p.env());
        pb.redirectOutput(d.resolve(name + ".out").toFile()).redirectError(d.resolve(name + ".err").toFile());
        if (name.equals("gc")) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        return pb.start();
    }

    private static void write(OutputStream in, byte[] b, Process p, Path d, String name) throws IOException {
        try {
            in.write(b);
            in.flush();
        } catch (IOException e) {
            fail(name + " stopped reading: " + read(d, name + ".err"), e);
        }
    }

    /** A condition the test waits for. */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws IOException;
    }

    /**
     * Waits (at most two minutes) until {@code done} holds; fails naming what was awaited and what {@code name} said
     * when it does not, or when {@code process} (if given) exits first.
     */
    private static void await(Condition done, Process process, Path d, String name, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!done.holds()) {
            if (System.nanoTime() > deadline || process != null && !process.isAlive()) {
                fail("waited in vain for " + what + "; " + name + " said: " + read(d, name + ".err"));
            }
            Thread.sleep(20);
        }
    }

    private static int exit(Process p) throws InterruptedException {
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("timed out");
        }
        return p.exitValue();
    }

    private static String read(Path d, String file) {
        try {
            return Files.readString(d.resolve(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A make uploading through a writable chunk-server asks HEAD before each PUT; the server freshens the old chunks
     * it has, so a gc of the server's store (not given the new index yet) keeps them. Before, their times stayed and
     * gc removed them.
     */
    @Test
    void uploadsThroughTheChunkServerFreshenReusedChunks() throws Exception {
        Path d = Files.createDirectories(work.resolve("upload"));
        Path root = d.resolve("s.castr");
        Files.write(d.resolve("a.bin"), random(1400, 400_000));
        Files.write(d.resolve("c.bin"), random(1401, 600_000));
        Tools.jcasync(d, "make", "--store=" + root, "a.caibx", "a.bin").ok();
        Tools.jcasync(d, "make", "--store=" + root, "c.caibx", "c.bin").ok();
        Place p = directory(root, root.toString(), Map.of());
        List<String> reused = ItFiles.indexIds(d.resolve("c.caibx"));
        for (String index : List.of("a.caibx", "c.caibx")) {
            for (String id : ItFiles.indexIds(d.resolve(index))) {
                p.age(id);
            }
        }
        try (Tools.Running server = Tools.startJcasync(d, "chunk-server", "-s", root.toString(), "-w", "-l",
                "127.0.0.1:0", "--authorization", "Bearer it")) {
            Tools.jcasync(d, "make", "--store=" + server.url(), "--authorization=Bearer it", "b.caibx", "c.bin")
                    .ok();
        }
        Instant recent = Instant.now().minus(Duration.ofMinutes(30));
        LocalStore local = new LocalStore(root, StoreOptions.DEFAULT);
        for (String id : reused) {
            assertThat(Files.getLastModifiedTime(local.chunkPath(org.jcasync.chunk.ChunkId.parse(id))).toInstant())
                    .as(id).isAfter(recent);
        }
        Tools.jcasync(d, "gc", "--store=" + root, "a.caibx").ok();
        Tools.jcasync(d, "extract", "--store=" + root, "b.caibx", "b.out").ok();
        assertSameBytes(d.resolve("c.bin"), d.resolve("b.out"));
    }

    /** gc -n tells what the grace period keeps; --grace=0 keeps nothing for its age; a bad duration is one line. */
    @Test
    void gracePeriodOptions() throws Exception {
        Path d = Files.createDirectories(work.resolve("grace"));
        Files.write(d.resolve("a.bin"), random(1200, 300_000));
        Files.write(d.resolve("c.bin"), random(1201, 300_000));
        Tools.jcasync(d, "make", "--store=s", "a.caibx", "a.bin").ok();
        Tools.jcasync(d, "make", "--store=s", "c.caibx", "c.bin").ok();
        int unused = ItFiles.indexIds(d.resolve("c.caibx")).size();
        int used = ItFiles.indexIds(d.resolve("a.caibx")).size();
        Tools.Result dry = Tools.jcasync(d, "gc", "-n", "--store=s", "a.caibx").ok();
        assertThat(dry.out()).isEqualTo("Would remove 0 chunks, " + (used + unused) + " chunks remaining.\n"
                + "Would keep " + unused + " unused chunks younger than 1h.\n");
        Tools.Result verbose = Tools.jcasync(d, "gc", "-n", "-v", "--grace=30m", "--store=s", "a.caibx").ok();
        assertThat(verbose.out().lines().filter(l -> l.startsWith("Would keep chunk ")
                && l.endsWith(".cacnk (younger than 30m).")).count()).isEqualTo(unused);
        assertThat(Tools.jcasync(d, "gc", "-n", "--grace=0", "--store=s", "a.caibx").ok().out())
                .isEqualTo("Would remove " + unused + " chunks, " + used + " chunks remaining.\n");
        Tools.jcasync(d, "gc", "--store=s", "a.caibx").ok();
        assertThat(ItFiles.chunkFiles(d.resolve("s"))).hasSize(used + unused);
        Tools.jcasync(d, "--grace=0", "gc", "--store=s", "a.caibx").ok();
        assertThat(ItFiles.chunkFiles(d.resolve("s"))).hasSize(used);
        for (String bad : List.of("abc", "-1h", "1x", "1h-", "99999999999", "3650000d", "")) {
            Tools.Result r = Tools.jcasync(d, "gc", "--grace=" + bad, "--store=s", "a.caibx");
            assertThat(r.exit()).as(bad).isEqualTo(1);
            assertThat(r.err().strip().lines()).as(bad).hasSize(1);
            assertThat(r.err()).as(bad).contains("--grace");
        }
        assertThat(Tools.jcasync(d, "gc", "--help").ok().out()).contains("--grace=DURATION")
                .satisfies(h -> assertThat(h.lines()).allMatch(l -> l.length() <= 80));
    }

    /**
     * casync's gc, make and extract run on a store while a jcasync writer holds its lock (the lock directory and its
     * file are there), and jcasync's gc of a casync-made store leaves a valid casync store.
     */
    @Test
    void casyncIgnoresTheLockDirectory() throws Exception {
        Tools.requireCasync();
        Path d = Files.createDirectories(work.resolve("casync"));
        Files.write(d.resolve("a.bin"), random(1300, 500_000));
        Files.write(d.resolve("c.bin"), random(1301, 500_000));
        Path root = d.resolve("s.castr");
        Tools.casync(d, "make", "--store=" + root, "a.caibx", "a.bin").ok();
        Tools.jcasync(d, "make", "--store=" + root, "c.caibx", "c.bin").ok();
        List<String> messages = new ArrayList<>();
        try (StoreLock held = StoreLock.forWriting(new LocalStore(root, StoreOptions.DEFAULT), "make",
                messages::add)) {
            assertThat(held.held()).isTrue();
            try (var s = Files.list(root.resolve("locks"))) {
                assertThat(s.toList()).hasSize(1);
            }
            Tools.casync(d, "gc", "--store=" + root, "a.caibx", "c.caibx").ok();
            Tools.casync(d, "make", "--store=" + root, "e.caibx", "a.bin").ok();
            Tools.casync(d, "extract", "--store=" + root, "c.caibx", "c.out").ok();
            assertSameBytes(d.resolve("c.bin"), d.resolve("c.out"));
        }
        Tools.jcasync(d, "gc", "--grace=0", "--store=" + root, "a.caibx").ok();
        Tools.casync(d, "gc", "--store=" + root, "a.caibx").ok();
        Tools.casync(d, "extract", "--store=" + root, "a.caibx", "a.out").ok();
        assertSameBytes(d.resolve("a.bin"), d.resolve("a.out"));
        assertThat(root.resolve("locks")).isDirectory();
        assertThat(messages).isEmpty();
    }
}
