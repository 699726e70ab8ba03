package org.jcasync.bench;

import org.jcasync.server.ChunkPath;
import org.jcasync.server.RawConnection;
import org.jcasync.server.TestChunks;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.jcasync.bench.BenchSupport.cpu;
import static org.jcasync.bench.BenchSupport.delete;

/**
 * The chunk-server as a process ({@code jcasync chunk-server}) under many clients, each a raw HTTP/1.1 connection
 * on a virtual thread of this JVM:
 * <ul>
 * <li>{@code serve-load}: {@code --clients} (1,000) keep-alive clients for {@code --seconds} (600), each sending
 * GETs (70%), HEADs (20%, half of them of absent chunks) and authorised PUTs (10%, of a pool of chunks the store
 * lacks at first) with a random pause of about {@code --think-ms} (100) between requests; reports requests, errors,
 * latency percentiles and the server's RSS at start, after a minute, at the end and at most;</li>
 * <li>{@code serve-attack}: GET latency of probes (each on a new connection) without and then with hostile clients
 * holding connections open: silent uploads to a read-only server, silent batch bodies, slowloris headers
 * (re-opened as the server closes them);</li>
 * <li>{@code serve-verify}: GET throughput and server CPU per GET without and with {@code --verify}.</li>
 * </ul>
 */
final class ServeBench {
    private static final String AUTH = "Bearer bench";
    /** Every request to the writable server carries it (the server asks it of all, not only of uploads). */
    private static final String AUTH_HEADER = "Authorization: " + AUTH + "\r\n";
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private ServeBench() {
    }

    /** Options shared by the three benchmarks. */
    private static final class Options {
        Path jcasync = Paths.get("jcasync").toAbsolutePath();
        int clients = 1000;
        int seconds = 600;
        int thinkMs = 100;
        int hostile = 450;
        int probes = 1000;
        Path out;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--jcasync" -> o.jcasync = Paths.get(args[++i]).toAbsolutePath();
                    case "--clients" -> o.clients = Integer.parseInt(args[++i]);
                    case "--seconds" -> o.seconds = Integer.parseInt(args[++i]);
                    case "--think-ms" -> o.thinkMs = Integer.parseInt(args[++i]);
                    case "--hostile" -> o.hostile = Integer.parseInt(args[++i]);
                    case "--probes" -> o.probes = Integer.parseInt(args[++i]);
                    case "--out" -> o.out = Paths.get(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return o;
        }
    }

    static int run(String verb, String[] args) throws Exception {
        Options o = Options.parse(args);
        Path work = Files.createTempDirectory("jcasync-serve-bench");
        try {
            String report = switch (verb) {
                case "serve-load" -> load(o, work);
                case "serve-attack" -> attack(o, work);
                case "serve-verify" -> verify(o, work);
                default -> throw new IllegalArgumentException(verb);
            };
            String head = "## " + verb + " (" + cpu() + ", " + Runtime.getRuntime().availableProcessors()
                    + " CPUs, load "
                    + Files.readString(Path.of("/proc/loadavg")).trim() + " at the end)\n\n";
            System.out.print(head + report);
            if (o.out != null) {
                Files.writeString(o.out, head + report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            return 0;
        } finally {
            delete(work);
        }
    }

    /** A chunk-server process: its URL, its RSS, stopped on close. */
    private record Server(Process process, URI uri) implements AutoCloseable {
        static Server start(Options o, Path work, String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(o.jcasync.toString(), "chunk-server", "-l", "127.0.0.1:0"));
            cmd.addAll(List.of(args));
            Path err = Files.createTempFile(work, "server", ".err");
            Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(err.toFile()).start();
            for (int i = 0; i < 1200 && p.isAlive(); i++) {
                Matcher m = LISTENING.matcher(Files.readString(err));
                if (m.find()) {
                    return new Server(p, URI.create(m.group(1)));
                }
                Thread.sleep(100);
            }
            p.destroyForcibly();
            throw new IllegalStateException("the chunk-server did not start: " + Files.readString(err));
        }

        /** Resident memory in KiB (VmRSS), or -1. */
        long rssKiB() {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (l.startsWith("VmRSS:")) {
                        return Long.parseLong(l.replaceAll("\\D", ""));
                    }
                }
            } catch (IOException e) {
                // Gone.
            }
            return -1;
        }

        /** User and system CPU time so far, in clock ticks (utime + stime). */
        long cpuTicks() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** {@code n} chunks of 16 to 128 KiB in a new local store at {@code dir}. */
    private static List<TestChunks> store(Path dir, int n, long seed) throws IOException {
        LocalStore store = new LocalStore(dir, StoreOptions.DEFAULT);
        List<TestChunks> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(TestChunks.random(seed + i, (16 << 10) + (int) ((seed + i) * 7919 % (112 << 10))).putInto(store));
        }
        return out;
    }

    /** Frames as the store keeps them, in order. */
    private static byte[][] frames(Path dir, List<TestChunks> chunks) throws IOException {
        LocalStore store = new LocalStore(dir, StoreOptions.DEFAULT);
        byte[][] f = new byte[chunks.size()][];
        for (int i = 0; i < f.length; i++) {
            f[i] = Files.readAllBytes(store.chunkPath(chunks.get(i).id()));
        }
        return f;
    }

    /** Latencies in microseconds, from any number of threads. */
    private static final class Latencies {
        private final ConcurrentLinkedQueue<int[]> parts = new ConcurrentLinkedQueue<>();

        /** A per-thread buffer; {@link #add} it when done. */
        static final class Part {
            int[] v = new int[1024];
            int n;

            void record(long nanos) {
                if (n == v.length) {
                    v = Arrays.copyOf(v, 2 * n);
                }
                v[n++] = (int) Math.min(Integer.MAX_VALUE, nanos / 1000);
            }
        }

        void add(Part p) {
            parts.add(Arrays.copyOf(p.v, p.n));
        }

        int[] sorted() {
            int[] all = parts.stream().flatMapToInt(Arrays::stream).toArray();
            Arrays.sort(all);
            return all;
        }

        static String summary(int[] s) {
            if (s.length == 0) {
                return "no samples";
            }
            return String.format("p50 %s, p99 %s, p99.9 %s, max %s", ms(pct(s, 50)), ms(pct(s, 99)), ms(pct(s, 99.9)),
                    ms(s[s.length - 1]));
        }

        private static int pct(int[] s, double p) {
            return s[(int) Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)];
        }

        private static String ms(int micros) {
            return micros < 10_000 ? String.format("%.2f ms", micros / 1000.0) : String.format("%.0f ms",
                    micros / 1000.0);
        }
    }

    // ---- serve-load ----

    private static String load(Options o, Path work) throws Exception {
        Path dir = work.resolve("store.castr");
        List<TestChunks> stored = store(dir, 512, 1);
        byte[][] frames = frames(dir, stored);
        // Chunks the store lacks at first: the PUTs upload them (201), then again (200, checked all the same).
        List<TestChunks> uploads = new ArrayList<>();
        for (int i = 0; i < 2048; i++) {
            uploads.add(TestChunks.random(1_000_000 + i, (8 << 10) + i * 37 % (56 << 10)));
        }
        AtomicLong gets = new AtomicLong();
        AtomicLong heads = new AtomicLong();
        AtomicLong puts = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong reconnects = new AtomicLong();
        ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
        Latencies lat = new Latencies();
        Path log = work.resolve("requests.log");
        try (Server server = Server.start(o, work, "-s", dir.toString(), "-w", "--authorization", AUTH, "--log",
                log.toString())) {
            long rssStart = server.rssKiB();
            List<long[]> rss = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + o.seconds * 1_000_000_000L;
            AtomicBoolean stop = new AtomicBoolean();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (int k = 0; k < o.clients; k++) {
                    all.add(clients.submit(() -> {
                        Latencies.Part part = new Latencies.Part();
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        RawConnection c = null;
                        try {
                            // Spread the clients' first requests over the first think time.
                            Thread.sleep(r.nextInt(Math.max(1, o.thinkMs) + 1));
                            while (System.nanoTime() < end && !stop.get()) {
                                if (c == null) {
                                    c = new RawConnection(server.uri(), 60_000);
                                    reconnects.incrementAndGet();
                                }
                                int op = r.nextInt(100);
                                long t0 = System.nanoTime();
                                String problem;
                                try {
                                    problem = op < 70 ? get(c, stored, frames, r, gets)
                                            : op < 90 ? head(c, stored, r, heads) : put(c, uploads, r, puts);
                                } catch (IOException e) {
                                    problem = e.toString();
                                    c.close();
                                    c = null;
                                }
                                part.record(System.nanoTime() - t0);
                                if (problem != null) {
                                    errors.incrementAndGet();
                                    if (firstErrors.size() < 5) {
                                        firstErrors.add(String.format("at %.1f s: %s", (t0 - start) / 1e9,
                                                problem));
                                    }
                                }
                                if (o.thinkMs > 0) {
                                    Thread.sleep(r.nextInt(2 * o.thinkMs + 1));
                                }
                            }
                        } finally {
                            lat.add(part);
                            if (c != null) {
                                c.close();
                            }
                        }
                        return null;
                    }));
                }
                long t0 = System.nanoTime();
                while (System.nanoTime() < end) {
                    Thread.sleep(Math.min(10_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                    rss.add(new long[] {(System.nanoTime() - t0) / 1_000_000_000L, server.rssKiB()});
                }
                for (Future<?> f : all) {
                    f.get(120, TimeUnit.SECONDS);
                }
            }
            long total = gets.get() + heads.get() + puts.get();
            long rssMinute = rss.stream().filter(s -> s[0] >= 60).findFirst().map(s -> s[1]).orElse(-1L);
            long rssEnd = rss.isEmpty() ? -1 : rss.getLast()[1];
            long rssMax = rss.stream().mapToLong(s -> s[1]).max().orElse(-1);
            StringBuilder b = new StringBuilder();
            b.append(String.format("%d clients for %d s, pause %d ms on average: %,d requests (%,d GET, %,d HEAD, "
                            + "%,d PUT), %.0f/s, %d errors, %d connections opened%n", o.clients, o.seconds, o.thinkMs,
                    total, gets.get(), heads.get(), puts.get(), total / (double) o.seconds, errors.get(),
                    reconnects.get()));
            b.append("latency: ").append(Latencies.summary(lat.sorted())).append('\n');
            b.append(String.format("server RSS: %,d KiB at start, %,d KiB after a minute, %,d KiB at the end, %,d KiB "
                    + "at most%n", rssStart, rssMinute, rssEnd, rssMax));
            b.append("RSS every 10 s (s:KiB):");
            for (long[] s : rss) {
                b.append(' ').append(s[0]).append(':').append(s[1]);
            }
            b.append('\n');
            b.append("served, by status (the server's log): ").append(statuses(log)).append('\n');
            for (String e : firstErrors) {
                b.append("error: ").append(e).append('\n');
            }
            return b.toString();
        }
    }

    /** Requests of the server's log by method and status, e.g. {@code GET 200: 1,234}. */
    private static String statuses(Path log) throws IOException {
        TreeMap<String, Long> n = new TreeMap<>();
        try (Stream<String> lines = Files.lines(log)) {
            lines.forEach(l -> {
                String[] f = l.split(" ");
                if (f.length > 4) {
                    n.merge(f[2] + " " + f[4], 1L, Long::sum);
                }
            });
        }
        StringBuilder b = new StringBuilder();
        n.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(": ").append(String.format("%,d", v)));
        return b.toString();
    }

    /** A GET of a stored chunk; null when its frame came back exact. */
    private static String get(RawConnection c, List<TestChunks> stored, byte[][] frames, ThreadLocalRandom r,
                              AtomicLong count) throws IOException {
        int i = r.nextInt(stored.size());
        RawConnection.Reply reply = c.send(RawConnection.request("GET", stored.get(i).path(), AUTH_HEADER))
                .readReply();
        count.incrementAndGet();
        if (reply.status() != 200 || !Arrays.equals(reply.body(), frames[i])) {
            return "GET " + stored.get(i).path() + ": " + reply.status() + ", " + reply.body().length + " bytes";
        }
        return null;
    }

    /** A HEAD of a stored chunk or of an absent one; null when the status says which. */
    private static String head(RawConnection c, List<TestChunks> stored, ThreadLocalRandom r, AtomicLong count)
            throws IOException {
        boolean present = r.nextBoolean();
        String path = present ? stored.get(r.nextInt(stored.size())).path()
                : ChunkPath.of(TestChunks.random(r.nextLong(), 64).id());
        int status = RawConnection.status(c.send(RawConnection.request("HEAD", path, AUTH_HEADER)).readHead());
        count.incrementAndGet();
        return status == (present ? 200 : 404) ? null : "HEAD " + path + ": " + status;
    }

    /** An authorised PUT of a chunk of the pool; null when stored (201) or already there (200). */
    private static String put(RawConnection c, List<TestChunks> uploads, ThreadLocalRandom r, AtomicLong count)
            throws IOException {
        TestChunks u = uploads.get(r.nextInt(uploads.size()));
        RawConnection.Reply reply = c.send(RawConnection.request("PUT", u.path(), AUTH_HEADER + "Content-Length: "
                + u.frame().length + "\r\n")).send(u.frame()).readReply();
        count.incrementAndGet();
        return reply.status() == 201 || reply.status() == 200 ? null : "PUT " + u.path() + ": " + reply.status()
                + " " + new String(reply.body(), StandardCharsets.UTF_8).trim();
    }

    // ---- serve-attack ----

    private static String attack(Options o, Path work) throws Exception {
        Path dir = work.resolve("store.castr");
        List<TestChunks> stored = store(dir, 64, 1);
        byte[][] frames = frames(dir, stored);
        try (Server server = Server.start(o, work, "-s", dir.toString())) {
            // Warm up the server (class loading, JIT) before anything is measured.
            probes(server.uri(), stored, frames, 200);
            Result quiet = probes(server.uri(), stored, frames, o.probes);
            Hostile hostile = new Hostile(server.uri(), o.hostile);
            Result attacked;
            try {
                hostile.awaitOpen();
                attacked = probes(server.uri(), stored, frames, o.probes);
            } finally {
                hostile.close();
            }
            return String.format("%d probes, each a GET on a new connection, one after the other%n"
                            + "without attack: %s; %d errors%n"
                            + "with %d hostile connections held open (%d silent PUT uploads, %d silent batch bodies, "
                            + "%d slowloris headers; %d re-opened after the server closed them): %s; %d errors%n",
                    o.probes, Latencies.summary(quiet.latencies()), quiet.errors(), o.hostile, hostile.uploads,
                    hostile.batches, hostile.slowloris, hostile.reopened.get(), Latencies.summary(attacked.latencies()),
                    attacked.errors());
        }
    }

    private record Result(int[] latencies, int errors) {
    }

    /** {@code n} GETs, each on a new connection; a wrong or missing reply (60 s at most) is an error. */
    private static Result probes(URI uri, List<TestChunks> stored, byte[][] frames, int n) {
        Latencies lat = new Latencies();
        Latencies.Part part = new Latencies.Part();
        int errors = 0;
        for (int k = 0; k < n; k++) {
            int i = k % stored.size();
            long t0 = System.nanoTime();
            try (RawConnection c = new RawConnection(uri, 60_000)) {
                RawConnection.Reply r = c.send(RawConnection.request("GET", stored.get(i).path(), "")).readReply();
                if (r.status() != 200 || !Arrays.equals(r.body(), frames[i])) {
                    errors++;
                }
            } catch (IOException e) {
                errors++;
            }
            part.record(System.nanoTime() - t0);
        }
        lat.add(part);
        return new Result(lat.sorted(), errors);
    }

    /** Hostile connections of three kinds, each re-opened when the server closes it. */
    private static final class Hostile implements AutoCloseable {
        final int uploads;
        final int batches;
        final int slowloris;
        final AtomicLong reopened = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final CountDownLatch open;
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

        Hostile(URI uri, int n) {
            uploads = n * 5 / 9;
            batches = n * 2 / 9;
            slowloris = n - uploads - batches;
            open = new CountDownLatch(n);
            String upload = RawConnection.request("PUT", ChunkPath.of(TestChunks.random(9, 64).id()),
                    "Content-Length: 1000000\r\n");
            String batch = RawConnection.request("POST", "/batch", "Content-Length: 131072\r\n");
            String slow = RawConnection.request("GET", "/", "X-Padding: " + "a".repeat(4000) + "\r\n");
            for (int i = 0; i < n; i++) {
                String header = i < uploads ? upload : i < uploads + batches ? batch : slow;
                boolean trickle = i >= uploads + batches;
                threads.submit(() -> hold(uri, header, trickle));
            }
        }

        /** Keeps one hostile connection open until stopped: sends the header (or trickles it), then waits. */
        private Void hold(URI uri, String header, boolean trickle) throws InterruptedException {
            boolean first = true;
            while (!stop.get()) {
                try (RawConnection c = new RawConnection(uri, 1000)) {
                    if (trickle) {
                        c.send(header.substring(0, 1));
                    } else {
                        c.send(header);
                    }
                    if (first) {
                        open.countDown();
                        first = false;
                    } else {
                        reopened.incrementAndGet();
                    }
                    for (int at = 1; !stop.get(); at++) {
                        if (trickle && at < header.length()) {
                            c.send(header.substring(at, at + 1));
                        }
                        if (c.closedByServer()) {
                            break;
                        }
                    }
                } catch (IOException e) {
                    Thread.sleep(100);
                }
            }
            return null;
        }

        void awaitOpen() throws InterruptedException {
            open.await(120, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            stop.set(true);
            threads.shutdownNow();
        }
    }

    // ---- serve-verify ----

    private static String verify(Options o, Path work) throws Exception {
        Path dir = work.resolve("store.castr");
        List<TestChunks> stored = store(dir, 512, 1);
        byte[][] frames = frames(dir, stored);
        long bytes = Arrays.stream(frames).mapToLong(f -> f.length).sum();
        StringBuilder b = new StringBuilder(String.format("%d keep-alive clients GET %d chunks (16-128 KiB, %.1f "
                + "MiB in all) for %d s each way%n", o.clients, stored.size(), bytes / 1048576.0, o.seconds));
        for (boolean verify : new boolean[] {false, true}) {
            List<String> args = new ArrayList<>(List.of("-s", dir.toString()));
            if (verify) {
                args.add("--verify");
            }
            try (Server server = Server.start(o, work, args.toArray(new String[0]))) {
                throughput(server, stored, frames, Math.min(o.seconds, 5), o.clients);
                long cpu0 = server.cpuTicks();
                double[] r = throughput(server, stored, frames, o.seconds, o.clients);
                long ticks = server.cpuTicks() - cpu0;
                double cpuMsPerGet = ticks * 10.0 / r[0];
                b.append(String.format("%-10s %,.0f GET/s, %.0f MB/s, server CPU %.3f ms per GET, %d errors%n",
                        verify ? "--verify:" : "default:", r[0] / o.seconds, r[1] / o.seconds / 1e6, cpuMsPerGet,
                        (long) r[2]));
            }
        }
        return b.toString();
    }

    /** GETs as fast as {@code clients} connections go for {@code seconds}: {count, bytes, errors}. */
    private static double[] throughput(Server server, List<TestChunks> stored, byte[][] frames, int seconds,
                                       int clients) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong count = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int k = 0; k < clients; k++) {
                pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    try (RawConnection c = new RawConnection(server.uri(), 60_000)) {
                        while (System.nanoTime() < end) {
                            int i = r.nextInt(stored.size());
                            RawConnection.Reply reply = c.send(RawConnection.request("GET", stored.get(i).path(), ""))
                                    .readReply();
                            count.incrementAndGet();
                            bytes.addAndGet(reply.body().length);
                            if (reply.status() != 200 || !Arrays.equals(reply.body(), frames[i])) {
                                errors.incrementAndGet();
                            }
                        }
                    }
                    return null;
                });
            }
        }
        return new double[] {count.get(), bytes.get(), errors.get()};
    }
}
