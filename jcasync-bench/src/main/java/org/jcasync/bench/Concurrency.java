package org.jcasync.bench;

import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.s3.S3StoreProvider;
import org.jcasync.s3.S3TestServer;
import org.jcasync.ssh.LoopbackSshd;
import org.jcasync.ssh.SftpStoreProvider;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.TransportOptions;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code concurrency}: makes, packs and gcs of different versions running at once on one store (a local directory,
 * SFTP through a loopback sshd, S3 through s3proxy), as separate jcasync processes, round after round. Each round
 * starts, at staggered moments, makes of new versions, a make of the version the round retires (so it reuses exactly
 * the chunks the gcs remove), a pack of the live indexes (local) and gcs given the live indexes without the retired
 * one; before each round every file in the store is made two hours old, as if the rounds were hours apart, so the gcs
 * really remove (with the default grace period) and the makes must freshen what they reuse. After each round every
 * live index must have each of its chunks in the store, decompressing to its id (read through jcasync's stores, which
 * verify), and one of them must extract byte for byte, by jcasync (through its packs, when it has a chunk map) and by
 * casync (local). Reports rounds, operations, failed operations, waits for locks and corrupted rounds.
 */
final class Concurrency {
    private static final int CHANGE = 128 << 10;

    private Concurrency() {
    }

    /**
     * Where the store is, the environment its processes need, the directory holding its files, and the registry this
     * JVM reads it with.
     */
    private record Target(String kind, String location, Map<String, String> env, Path files,
            StoreRegistry registry) {
    }

    /** Totals of one store kind. */
    private static final class Totals {
        int rounds;
        int operations;
        int failed;
        int lockWaits;
        int corruptedRounds;
        long chunksChecked;
        final List<String> problems = new ArrayList<>();
    }

    static int run(String[] args) throws Exception {
        int rounds = 4;
        int makers = 2;
        int gcs = 2;
        int sizeMib = 8;
        int maxMinutes = 30;
        String grace = null;
        List<String> kinds = List.of("local", "sftp", "s3");
        String jcasync = "./jcasync";
        Path out = null;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--makers" -> makers = Integer.parseInt(args[++i]);
                case "--gcs" -> gcs = Integer.parseInt(args[++i]);
                case "--size-mib" -> sizeMib = Integer.parseInt(args[++i]);
                case "--max-minutes" -> maxMinutes = Integer.parseInt(args[++i]);
                case "--grace" -> grace = args[++i];
                case "--stores" -> kinds = List.of(args[++i].split(","));
                case "--jcasync" -> jcasync = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--keep" -> keep = true;
                default -> {
                    System.err.println("usage: bench concurrency [--rounds N] [--makers N] [--gcs N] [--size-mib N]"
                            + " [--stores local,sftp,s3] [--grace D] [--max-minutes N] [--jcasync PATH] [--out FILE]"
                            + " [--keep]");
                    return 2;
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(maxMinutes);
        StringBuilder report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "%s; %d rounds of %d makes + 1 re-make of the retired version + "
                + "%d gcs (+ 1 pack on local) of %d MiB versions; grace %s%n", BenchSupport.cpu(), rounds, makers,
                gcs, sizeMib, grace == null ? "default (1h), files aged 2h before each round" : grace));
        report.append("| store | rounds | operations | failed | lock waits | chunks checked | corrupted rounds "
                + "| seconds |\n|---|---|---|---|---|---|---|---|\n");
        boolean ok = true;
        Path work = Files.createTempDirectory("jcasync-concurrency");
        try {
            for (String kind : kinds) {
                Path dir = Files.createDirectories(work.resolve(kind));
                long t0 = System.nanoTime();
                Totals t = runStore(kind, dir, Path.of(jcasync).toAbsolutePath(), rounds, makers, gcs, sizeMib,
                        grace, deadline);
                double s = (System.nanoTime() - t0) / 1e9;
                report.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %.0f |%n", kind,
                        t.rounds, t.operations, t.failed, t.lockWaits, t.chunksChecked, t.corruptedRounds, s));
                for (String p : t.problems.subList(0, Math.min(20, t.problems.size()))) {
                    report.append("  ").append(kind).append(": ").append(p).append('\n');
                }
                if (t.problems.size() > 20) {
                    report.append("  ").append(kind).append(": ").append(t.problems.size() - 20)
                            .append(" more problems\n");
                }
                ok &= t.failed == 0 && t.corruptedRounds == 0;
                System.err.print(report);
            }
        } finally {
            if (keep && !ok) {
                System.err.println("kept for inspection (gc -v output in r*-op*.out): " + work);
            } else {
                BenchSupport.delete(work);
            }
        }
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report);
        }
        return ok ? 0 : 1;
    }

    private static Totals runStore(String kind, Path dir, Path jcasync, int rounds, int makers, int gcs, int sizeMib,
            String grace, long deadline) throws Exception {
        LoopbackSshd sshd = null;
        S3TestServer s3 = null;
        try {
            Target target;
            switch (kind) {
                case "local" -> target = new Target(kind, dir.resolve("s.castr").toString(), Map.of(),
                        dir.resolve("s.castr"), new StoreRegistry(List.of()));
                case "sftp" -> {
                    sshd = LoopbackSshd.start(Files.createDirectories(dir.resolve("sshd")));
                    target = new Target(kind, "sftp://127.0.0.1" + dir.resolve("s.castr"), sshd.clientEnvironment(),
                            dir.resolve("s.castr"), new StoreRegistry(List.of(new SftpStoreProvider(
                            sshd.commands(null)))));
                }
                case "s3" -> {
                    Path disk = Files.createDirectories(dir.resolve("s3"));
                    s3 = S3TestServer.startOnDisk(disk);
                    s3.createBucket("bench");
                    target = new Target(kind, s3.url("bench/store"), S3TestServer.env(), disk.resolve("bench"),
                            new StoreRegistry(List.of(new S3StoreProvider(S3TestServer.env()))));
                }
                default -> throw new IllegalArgumentException("unknown store kind " + kind);
            }
            return rounds(target, dir, jcasync, rounds, makers, gcs, sizeMib, grace, deadline);
        } finally {
            if (sshd != null) {
                sshd.close();
            }
            if (s3 != null) {
                s3.close();
            }
        }
    }

    private static Totals rounds(Target target, Path dir, Path jcasync, int rounds, int makers, int gcs,
            int sizeMib, String grace, long deadline) throws Exception {
        Totals t = new Totals();
        Random random = new Random(20251207L);
        Versions versions = new Versions(dir, sizeMib << 20, random);
        List<String> live = new ArrayList<>();
        Map<String, Integer> versionOf = new java.util.HashMap<>();
        for (int v = 0; v < 2; v++) {
            String idx = "v" + v + ".caibx";
            versionOf.put(idx, v);
            run(target, dir, jcasync, List.of("make", "--store=" + target.location(), idx, versions.file(v)), t);
            live.add(idx);
        }
        int next = 2;
        for (int r = 0; r < rounds && System.nanoTime() < deadline; r++) {
            if (grace == null) {
                age(target.files());
            }
            String retired = live.getFirst();
            List<String> kept = new ArrayList<>(live.subList(1, live.size()));
            List<List<String>> ops = new ArrayList<>();
            List<String> made = new ArrayList<>();
            for (int m = 0; m < makers; m++, next++) {
                String idx = "v" + next + ".caibx";
                List<String> cmd = new ArrayList<>(List.of("make", "--store=" + target.location()));
                if (m == 0 && target.kind().equals("local")) {
                    cmd.add("--packs=yes");
                }
                cmd.addAll(List.of(idx, versions.file(next)));
                ops.add(cmd);
                made.add(idx);
                versionOf.put(idx, next);
            }
            // The retired version made again under a new name: it reuses exactly what the gcs remove.
            String again = "again" + r + ".caibx";
            ops.add(List.of("make", "--store=" + target.location(), again, versions.file(versionOf.get(retired))));
            made.add(again);
            versionOf.put(again, versionOf.get(retired));
            for (int g = 0; g < gcs; g++) {
                List<String> cmd = new ArrayList<>(List.of("gc", "-v", "--store=" + target.location()));
                if (grace != null) {
                    cmd.add("--grace=" + grace);
                }
                cmd.addAll(kept);
                ops.add(cmd);
            }
            if (target.kind().equals("local")) {
                List<String> cmd = new ArrayList<>(List.of("pack", "--store=" + target.location()));
                cmd.addAll(kept);
                ops.add(cmd);
            }
            java.util.Collections.shuffle(ops, random);
            List<Process> running = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                running.add(start(target, dir, jcasync, ops.get(i), "r" + r + "-op" + i));
                Thread.sleep(random.nextInt(400));
            }
            for (int i = 0; i < running.size(); i++) {
                Process p = running.get(i);
                if (!p.waitFor(10, TimeUnit.MINUTES)) {
                    p.destroyForcibly().waitFor();
                }
                t.operations++;
                String err = Files.readString(dir.resolve("r" + r + "-op" + i + ".err"));
                t.lockWaits += (int) err.lines().filter(l -> l.contains("waiting for the lock")).count();
                if (p.exitValue() != 0) {
                    t.failed++;
                    t.problems.add("round " + r + ": " + String.join(" ", ops.get(i)) + " exited "
                            + p.exitValue() + ": " + err.strip());
                }
            }
            Files.deleteIfExists(dir.resolve(retired));
            Files.deleteIfExists(dir.resolve(retired + ".camap"));
            live = new ArrayList<>(kept);
            live.addAll(made);
            int bad = verify(target, dir, jcasync, live, versions, versionOf, r, t);
            t.rounds++;
            if (bad > 0) {
                t.corruptedRounds++;
            }
        }
        return t;
    }

    /** Every chunk of every live index, read (and so verified) through jcasync's store; one extract by each tool. */
    private static int verify(Target target, Path dir, Path jcasync, List<String> live, Versions versions,
            Map<String, Integer> versionOf, int round, Totals t) throws Exception {
        int bad = 0;
        try (ChunkStore store = target.registry().open(target.location(), StoreOptions.DEFAULT, TransportOptions.DEFAULT)) {
            for (String idx : live) {
                Index index = IndexReader.read(new ByteArrayInputStream(Files.readAllBytes(dir.resolve(idx))), idx);
                Set<ChunkId> ids = new LinkedHashSet<>();
                for (int i = 0; i < index.size(); i++) {
                    ids.add(index.id(i));
                }
                List<ChunkId> all = new ArrayList<>(ids);
                for (int from = 0; from < all.size(); from += 256) {
                    List<ChunkId> batch = all.subList(from, Math.min(all.size(), from + 256));
                    try {
                        byte[][] got = store.getAll(batch);
                        for (int i = 0; i < got.length; i++) {
                            t.chunksChecked++;
                            if (got[i] == null) {
                                bad++;
                                t.problems.add("round " + round + ": " + idx + ": chunk " + batch.get(i)
                                        + " missing");
                            }
                        }
                    } catch (ChunkInvalidException e) {
                        bad++;
                        t.problems.add("round " + round + ": " + idx + ": " + e.getMessage());
                    }
                }
            }
        }
        String one = live.get(round % live.size());
        Path expected = Path.of(versions.file(versionOf.get(one)));
        List<List<String>> extracts = new ArrayList<>();
        extracts.add(List.of(jcasync.toString(), "extract", "--store=" + target.location(), one, "check.out"));
        if (target.kind().equals("local") && Files.isExecutable(Path.of("/usr/bin/casync"))) {
            extracts.add(List.of("casync", "extract", "--store=" + target.location(), one, "check.out"));
        }
        for (List<String> cmd : extracts) {
            Files.deleteIfExists(dir.resolve("check.out"));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("check.log").toFile());
            pb.environment().putAll(target.env());
            Process p = pb.start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0
                    || Files.mismatch(dir.resolve("check.out"), expected) != -1) {
                bad++;
                t.problems.add("round " + round + ": " + cmd.getFirst() + " extract of " + one + " failed: "
                        + Files.readString(dir.resolve("check.log")).strip());
            }
        }
        Files.deleteIfExists(dir.resolve("check.out"));
        return bad;
    }

    /** Sets the time of every file under {@code root} to two hours ago. */
    private static void age(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                try {
                    Files.setLastModifiedTime(f, old);
                } catch (java.nio.file.NoSuchFileException e) {
                    // removed meanwhile
                }
            }
        }
    }

    private static void run(Target target, Path dir, Path jcasync, List<String> args, Totals t) throws Exception {
        Process p = start(target, dir, jcasync, args, "setup");
        t.operations++;
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            t.failed++;
            t.problems.add(String.join(" ", args) + ": " + Files.readString(dir.resolve("setup.err")).strip());
        }
    }

    private static Process start(Target target, Path dir, Path jcasync, List<String> args, String name)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(jcasync.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(target.env());
        return pb.start();
    }

    /**
     * Versions of a blob, each the one before with four 128 KiB pieces replaced (so neighbours share most chunks),
     * written as {@code vN.bin} on first use.
     */
    private static final class Versions {
        private final Path dir;
        private final List<byte[]> made = new ArrayList<>();
        private final Random random;

        Versions(Path dir, int size, Random random) {
            this.dir = dir;
            this.random = random;
            byte[] first = new byte[size];
            random.nextBytes(first);
            made.add(first);
        }

        String file(int v) throws IOException {
            while (made.size() <= v) {
                byte[] b = made.getLast().clone();
                byte[] piece = new byte[CHANGE];
                for (int k = 0; k < 4; k++) {
                    random.nextBytes(piece);
                    System.arraycopy(piece, 0, b, random.nextInt(b.length - CHANGE), CHANGE);
                }
                made.add(b);
            }
            Path f = dir.resolve("v" + v + ".bin");
            if (!Files.exists(f)) {
                Files.write(f, made.get(v));
            }
            return f.toString();
        }
    }
}
