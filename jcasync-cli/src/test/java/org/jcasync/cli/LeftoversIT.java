package org.jcasync.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.BadInputIT.assertCleanFailure;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.jcasync;
import static org.jcasync.cli.Tools.startJcasync;

/**
 * What killed runs leave behind, and what the next run does about it: real processes killed with SIGKILL while their
 * temporary file is open (a blob extract, a make's index, a pack), then the same command again, which must remove
 * the dead run's temporaries (and only those) and succeed. Also: a FIFO in a store, an output whose directory does
 * not exist, and an interrupted or failed {@code --in-place} extract that a rerun completes.
 */
class LeftoversIT {
    @TempDir
    static Path shared;
    static Path blob;

    @BeforeAll
    static void input() throws Exception {
        blob = shared.resolve("blob.bin");
        Files.write(blob, random(401, 24 << 20));
        jcasync(shared, "make", "--store=s.castr", "b.caibx", "blob.bin").ok();
    }

    /** The names in {@code dir} that start with ".#". */
    static List<String> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".#")).sorted().toList();
        }
    }

    /**
     * Waits (at most 120 s) until {@code dir} holds a temporary that is not one of {@code before} (taken before
     * {@code p} started), then kills {@code p} with SIGKILL.
     */
    static void killOnceANewTemporaryExists(Process p, Path dir, List<String> before) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (before.containsAll(temporaries(dir))) {
            assertThat(p.isAlive()).as("the process is still running (it would have left no temporary)").isTrue();
            assertThat(System.nanoTime()).as("a temporary appeared in time").isLessThan(deadline);
            Thread.sleep(5);
        }
        p.destroyForcibly();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("killed by SIGKILL").isEqualTo(137);
    }

    static Process start(Path dir, String... args) throws IOException {
        return new ProcessBuilder(Tools.jcasyncCommand(args)).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    @Test
    void killedBlobExtractsLeaveTemporariesThatTheNextRunRemoves(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        // A casync temporary of the same target and a jcasync one of another target: not ours to judge.
        List<String> planted = List.of(".#image.bin0123456789abcdef", ".#other.bin.jcasync-0123456789abcdef");
        for (String n : planted) {
            Files.write(out.resolve(n), new byte[10]);
        }
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", shared.resolve("s.castr").toString(),
                "-l", "127.0.0.1:0")) {
            List<String> left = new ArrayList<>();
            for (int kill = 0; kill < 3; kill++) {
                // 2 MB/s: the 24 MiB extract takes about 12 s, long enough to be killed in the middle.
                List<String> before = temporaries(out);
                Process p = start(dir, "extract", "--store=" + server.url(), "--rate-limit-bps=2M",
                        shared.resolve("b.caibx").toString(), out.resolve("image.bin").toString());
                killOnceANewTemporaryExists(p, out, before);
                left = new ArrayList<>(temporaries(out));
                left.removeAll(planted);
                assertThat(left).as("the killed run's temporary (the earlier ones were removed)").hasSize(1);
            }
            jcasync(dir, "extract", "--store=" + server.url(), shared.resolve("b.caibx").toString(),
                    out.resolve("image.bin").toString()).ok();
        }
        assertSameBytes(blob, out.resolve("image.bin"));
        assertThat(temporaries(out)).isEqualTo(planted);
    }

    @Test
    void aLiveRunsTemporaryIsLeftAlone(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", shared.resolve("s.castr").toString(),
                "-l", "127.0.0.1:0")) {
            Process slow = start(dir, "extract", "--store=" + server.url(), "--rate-limit-bps=1M",
                    shared.resolve("b.caibx").toString(), out.resolve("image.bin").toString());
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (temporaries(out).isEmpty()) {
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    Thread.sleep(5);
                }
                String live = temporaries(out).getFirst();
                // A second extract to the same target while the first one runs: it must not take the first one's
                // temporary for a leftover (it is locked by a live process).
                Path small = dir.resolve("small.bin");
                Files.write(small, random(402, 100_000));
                jcasync(dir, "make", "--store=" + dir.resolve("t.castr"), "small.caibx", small.toString()).ok();
                jcasync(dir, "extract", "--store=" + dir.resolve("t.castr"), "small.caibx",
                        out.resolve("image.bin").toString()).ok();
                assertThat(temporaries(out)).as("the live run's temporary").contains(live);
                assertThat(slow.isAlive()).isTrue();
            } finally {
                slow.destroyForcibly();
                slow.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aKilledMakeLeavesAnIndexTemporaryThatTheNextMakeRemoves(@TempDir Path dir) throws Exception {
        for (int kill = 0; kill < 2; kill++) {
            // The input comes from a pipe this test feeds, so the make is still running when it is killed.
            List<String> before = temporaries(dir);
            Process p = new ProcessBuilder(Tools.jcasyncCommand("make", "--store=m.castr", "x.caibx", "-"))
                    .directory(dir.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            OutputStream in = p.getOutputStream();
            in.write(random(403, 1 << 20));
            in.flush();
            killOnceANewTemporaryExists(p, dir, before);
            assertThat(temporaries(dir)).as("the killed make's temporary (the earlier one was removed)").hasSize(1);
        }
        assertThat(temporaries(dir).getFirst()).startsWith(".#x.caibx.jcasync-");
        jcasync(dir, "make", "--store=m.castr", "x.caibx", blob.toString()).ok();
        assertThat(temporaries(dir)).isEmpty();
        jcasync(dir, "extract", "--store=m.castr", "x.caibx", "back.bin").ok();
        assertSameBytes(blob, dir.resolve("back.bin"));
    }

    @Test
    void aKilledPackLeavesATemporaryThatTheNextPackRemoves(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("big.bin");
        Files.write(big, random(404, 96 << 20));
        jcasync(dir, "make", "--store=p.castr", "big.caibx", big.toString()).ok();
        Path packs = dir.resolve("p.castr/packs");
        ItFiles.copyTree(dir.resolve("p.castr"), dir.resolve("pristine.castr"));
        boolean killed = false;
        for (int attempt = 0; attempt < 10 && !killed; attempt++) {
            Files.createDirectories(packs);
            Process p = start(dir, "pack", "--store=p.castr", "-j", "1", "big.caibx");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (temporaries(packs).isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            p.destroyForcibly();
            p.waitFor(60, TimeUnit.SECONDS);
            killed = p.exitValue() == 137 && !temporaries(packs).isEmpty();
            if (!killed) {
                // The pack finished before it could be killed: start again from the unpacked store.
                try (Stream<Path> w = Files.walk(dir.resolve("p.castr"))) {
                    for (Path f : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
                ItFiles.copyTree(dir.resolve("pristine.castr"), dir.resolve("p.castr"));
                Files.deleteIfExists(dir.resolve("big.caibx.camap"));
            }
        }
        assertThat(killed).as("a pack was killed while writing its pack").isTrue();
        assertThat(temporaries(packs)).hasSize(1);
        jcasync(dir, "pack", "--store=p.castr", "big.caibx").ok();
        assertThat(temporaries(packs)).isEmpty();
        jcasync(dir, "extract", "--store=p.castr", "big.caibx", "back.bin").ok();
        assertSameBytes(big, dir.resolve("back.bin"));
    }

    @Test
    void aFifoInTheStoreIsRefusedInsteadOfHanging(@TempDir Path dir) throws Exception {
        Path st = dir.resolve("s.castr");
        ItFiles.copyTree(shared.resolve("s.castr"), st);
        String id = ItFiles.indexIds(shared.resolve("b.caibx")).get(5);
        Path chunk = ItFiles.chunkPath(st, id);
        Files.delete(chunk);
        assertThat(Tools.run(dir, List.of("mkfifo", chunk.toString())).exit()).isZero();
        Process p = new ProcessBuilder(Tools.jcasyncCommand("extract", "--store=" + st,
                shared.resolve("b.caibx").toString(), "out.bin")).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("err.txt").toFile()).start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
        }
        assertThat(ended).as("extract ended instead of waiting on the FIFO for ever").isTrue();
        assertCleanFailure(new Tools.Result(p.exitValue(), "", Files.readString(dir.resolve("err.txt"))), null,
                null, id, "is a FIFO, not a regular file");
        assertThat(dir.resolve("out.bin")).doesNotExist();
    }

    @Test
    void anOutputInAMissingDirectorySaysSo(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("no/such/dir/out.bin");
        Tools.Result r = jcasync(dir, "extract", "--store=" + shared.resolve("s.castr"),
                shared.resolve("b.caibx").toString(), out.toString());
        assertCleanFailure(r, null, null, out.toString(), "its directory " + out.getParent() + " does not exist");
        Tools.Result m = jcasync(dir, "make", "--store=" + dir.resolve("m.castr"), out.resolveSibling("x.caibx")
                .toString(), blob.toString());
        assertCleanFailure(m, null, null, "x.caibx", "does not exist");
    }

    @Test
    void aFailedInPlaceExtractIsCompletedByARerun(@TempDir Path dir) throws Exception {
        Path st = dir.resolve("s.castr");
        ItFiles.copyTree(shared.resolve("s.castr"), st);
        List<String> ids = ItFiles.indexIds(shared.resolve("b.caibx"));
        String missing = ids.get(ids.size() / 2);
        Path chunk = ItFiles.chunkPath(st, missing);
        Path aside = dir.resolve("aside.cacnk");
        Files.move(chunk, aside);
        Path out = dir.resolve("out.bin");
        byte[] old = random(405, 20 << 20);
        Files.write(out, old);
        Tools.Result r = jcasync(dir, "extract", "--in-place", "--store=" + st, shared.resolve("b.caibx").toString(),
                out.toString());
        assertCleanFailure(r, null, null, missing);
        assertThat(Files.readAllBytes(out)).as("an in-place extract writes into the output as it goes")
                .isNotEqualTo(old);
        Files.move(aside, chunk);
        Tools.Result again = jcasync(dir, "extract", "--in-place", "--print-stats", "--store=" + st,
                shared.resolve("b.caibx").toString(), out.toString()).ok();
        assertSameBytes(blob, out);
        assertThat(again.out()).as("the rerun kept what the first run wrote").contains(
                "\"chunks-in-place\":").doesNotContain("\"chunks-in-place\":0,");
    }

    @Test
    void aKilledInPlaceExtractIsCompletedByARerun(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.bin");
        Files.write(out, random(406, 20 << 20));
        try (Tools.Running server = startJcasync(dir, "chunk-server", "-s", shared.resolve("s.castr").toString(),
                "-l", "127.0.0.1:0")) {
            Process p = start(dir, "extract", "--in-place", "--store=" + server.url(), "--rate-limit-bps=2M",
                    shared.resolve("b.caibx").toString(), out.toString());
            Thread.sleep(4000);
            p.destroyForcibly();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            jcasync(dir, "extract", "--in-place", "--store=" + server.url(), shared.resolve("b.caibx").toString(),
                    out.toString()).ok();
        }
        assertSameBytes(blob, out);
        assertThat(temporaries(dir)).isEmpty();
    }
}
