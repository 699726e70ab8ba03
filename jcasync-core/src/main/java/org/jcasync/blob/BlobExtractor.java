package org.jcasync.blob;

import org.jcasync.io.Futures;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.internal.fs.LinuxFile;
import org.jcasync.io.AtomicFile;
import org.jcasync.io.Failures;
import org.jcasync.store.CachedStore;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreStats.Role;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jcasync.chunk.Hasher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Rebuilds a blob from its index, like {@code casync extract x.caibx OUTPUT}.
 *
 * <p>Order of work, each step only for positions still missing: zero chunks (holes, never fetched); with
 * {@code inPlace}, chunks already correct in the output; each seed, first probed at the same offsets (unchanged
 * regions of an updated image sit where they were; one read and one digest per chunk, no chunking), then the seed's
 * remaining regions chunked with the index's parameters (or its own {@code .caibx}) to find moved data; finally the
 * stores. Every byte written was verified against its chunk id just before. Output goes to a temp file renamed at
 * the end (or is written in place for block devices and {@code inPlace}), truncated to the exact size.
 */
public final class BlobExtractor {
    private static final int BATCH_BYTES = 4 << 20;
    /** Chunks per store request: enough for the eight lanes of the multi-buffer digest. */
    private static final int STORE_BATCH = 16;

    private final Index index;
    private final ChunkStore store;
    private final ExecutorService pool;
    private final ExtractOptions opt;
    private final ExtractStats stats = new ExtractStats();
    private final ChunkTable table;
    private final DigestAlgorithm digest;
    private final Map<Integer, ChunkId> zeroIds = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong written = new AtomicLong();
    private PrintStream warnings = System.err;
    private PrintStream verbose;
    private long phaseStart = System.nanoTime();
    private LongConsumer progress = n -> { };
    private BlobWriter writer;
    /** The size every chunk inside a long zero run has. */
    private final int zeroChunkSize;

    /** Extracts {@code index} reading missing chunks from {@code store}. */
    public BlobExtractor(Index index, ChunkStore store, ExecutorService pool, ExtractOptions opt) {
        this.index = index;
        this.store = store;
        this.pool = pool;
        this.opt = opt;
        this.table = new ChunkTable(index);
        this.digest = index.digest();
        this.zeroChunkSize = new org.jcasync.chunk.Chunker(index.params()).zeroChunkSize();
    }

    /** Where seed warnings go. */
    public BlobExtractor warnings(PrintStream w) {
        this.warnings = w;
        return this;
    }

    /** Where per-phase timings go ({@code -v}); null for none. */
    public BlobExtractor verbose(PrintStream v) {
        this.verbose = v;
        return this;
    }

    private void phase(String what) {
        if (verbose != null) {
            long now = System.nanoTime();
            verbose.printf(java.util.Locale.ROOT, "jcasync: %-40s %6.3f s, %d chunks still missing%n", what,
                    (now - phaseStart) / 1e9, table.pendingCount());
            phaseStart = now;
        }
    }

    /** Told the number of bytes of the blob that are done, from any thread. */
    public BlobExtractor onProgress(LongConsumer p) {
        this.progress = p;
        return this;
    }

    /** The counters (filled in as the extract runs). */
    public ExtractStats stats() {
        return stats;
    }

    /** Extracts into a file or block device. */
    public ExtractStats extract(Path output, List<Path> seeds) throws IOException {
        long t0 = System.nanoTime();
        long len = index.length();
        boolean blockDev = LinuxFile.isBlockDevice(output);
        boolean inPlace = opt.inPlace() || blockDev;
        List<Path> seedPaths = new ArrayList<>();
        if (!inPlace && opt.seedOutput() && Files.isRegularFile(output) && Files.size(output) > 0) {
            seedPaths.add(output);
        }
        for (Path s : seeds) {
            if (!s.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize()) || inPlace) {
                seedPaths.add(s);
            }
        }
        AtomicFile af = null;
        FileChannel ch;
        Path target;
        if (inPlace) {
            ch = FileChannel.open(output, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            target = output;
            if (blockDev) {
                try (LinuxFile f = LinuxFile.open(output, false)) {
                    if (f.blockDeviceSize() < len) {
                        ch.close();
                        throw new IOException(output + ": block device has " + f.blockDeviceSize()
                                + " bytes, the blob needs " + len);
                    }
                }
            } else if (ch.size() < len) {
                setLength(output, len);
            }
        } else {
            af = AtomicFile.create(output);
            ch = af.channel();
            target = af.temp();
            setLength(target, len);
        }
        // The native handle serves hole punching (existing output) and reflinks (seeds); FFM linking costs start-up
        // time, so a plain extract into a new file does without it.
        boolean needNative = inPlace || opt.reflink() && !seedPaths.isEmpty();
        try (LinuxFile nf = needNative ? openNative(target) : null; AtomicFile ignored = af) {
            writer = new BlobWriter(ch, nf, !inPlace, opt.punchHoles());
            phase("opened output");
            markZeros();
            phase("zero chunks");
            if (inPlace) {
                checkInPlace(target, blockDev);
                phase("checked output in place");
            }
            for (Path s : seedPaths) {
                if (table.pendingCount() == 0) {
                    break;
                }
                SeedSource seed;
                try {
                    seed = SeedSource.open(s, index);
                } catch (IOException e) {
                    warnings.println("jcasync: cannot use seed " + s + ", ignoring it: " + Failures.reason(e));
                    continue;
                }
                try (seed) {
                    useSeed(seed, target, nf);
                }
            }
            fetchFromStore();
            phase("fetched from store");
            if (table.pendingCount() != 0) {
                throw new IOException("internal error: " + table.pendingCount() + " chunks were not written");
            }
            if (inPlace && !blockDev) {
                ch.truncate(len);
            }
            if (af != null) {
                af.commit();
            } else {
                ch.close();
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        stats.storeBytesRead.set(store.bytesRead());
        stats.finish(index.size(), len, (System.nanoTime() - t0) / 1e9);
        return stats;
    }

    private static LinuxFile openNative(Path p) {
        try {
            return LinuxFile.open(p, true);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void setLength(Path p, long len) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(len);
        }
    }

    private ChunkId zeroId(int size) {
        return zeroIds.computeIfAbsent(size, s -> digest.digest(new byte[s], 0, s));
    }

    /** Zero chunks: ids of all-zero data of the sizes zero chunks can have. */
    private void markZeros() throws IOException {
        int n = index.size();
        if (n == 0) {
            return;
        }
        java.util.Set<Integer> sizes = new java.util.HashSet<>();
        sizes.add(zeroChunkSize);
        sizes.add(index.chunkSize(n - 1));
        for (int size : sizes) {
            int first = table.firstPosition(zeroId(size));
            if (first < 0 || index.chunkSize(first) != size) {
                continue;
            }
            if (writer.fresh()) {
                table.claimAll(first, p -> {
                    stats.zero.add(size);
                    progress.accept(written.addAndGet(size));
                });
            }
        }
    }

    /** In-place: positions whose current bytes already are the chunk are left alone. */
    private void checkInPlace(Path target, boolean blockDev) throws IOException {
        try (BlobSource cur = BlobSource.open(target)) {
            long curSize = cur.size();
            List<int[]> batches = batches(i -> !table.isDone(i) && index.end(i) <= curSize);
            runAll(batches, b -> {
                Hasher md = digest.newHasher();
                byte[] buf = new byte[index.params().max()];
                for (int i = b[0]; i < b[1]; i++) {
                    if (table.isDone(i) || index.end(i) > curSize) {
                        continue;
                    }
                    int size = index.chunkSize(i);
                    cur.read(index.start(i), buf, 0, size);
                    md.update(buf, 0, size);
                    if (index.idEquals(i, md.digest()) && table.claim(i)) {
                        stats.inPlace.add(size);
                        progress.accept(written.addAndGet(size));
                    }
                }
                return null;
            });
        }
        // Zero positions not already zero: punch or zero-fill.
        for (int size : zeroIds.keySet()) {
            int first = table.firstPosition(zeroIds.get(size));
            if (first < 0) {
                continue;
            }
            List<Integer> todo = new ArrayList<>();
            table.claimAll(first, todo::add);
            for (int p : todo) {
                writer.zero(index.start(p), index.chunkSize(p));
                stats.zero.add(index.chunkSize(p));
                progress.accept(written.addAndGet(index.chunkSize(p)));
            }
        }
    }

    private void useSeed(SeedSource seed, Path target, LinuxFile out) throws IOException {
        BlobSource s = seed.blob;
        if (seed.index != null) {
            useSeedIndex(seed);
            phase("seed " + s.path().getFileName() + " (by its index)");
            return;
        }
        boolean[] matched = new boolean[index.size()];
        LinuxFile seedNative = null;
        boolean clone = false;
        if (opt.reflink() && out != null && writer.fresh() && Files.isRegularFile(s.path())
                && LinuxFile.canReflink(s.path().toAbsolutePath().getParent(),
                target.toAbsolutePath().getParent())) {
            seedNative = LinuxFile.open(s.path(), false);
            clone = true;
        }
        try {
            probeSameOffsets(s, matched, clone);
            phase("seed " + s.path().getFileName() + ": same offsets");
            if (clone) {
                cloneMatched(seedNative, out, matched, s);
                phase("seed " + s.path().getFileName() + ": reflinked");
            }
        } finally {
            if (seedNative != null) {
                seedNative.close();
            }
        }
        if (table.pendingCount() > 0) {
            if (!storeTold) {
                // Chunking the seed takes a while: a store that can tell what is probably missing anyway (the
                // index's own pack) starts fetching it meanwhile.
                storeTold = true;
                store.mayNeed(idsAt(pendingFirsts()));
            }
            scanSeedRegions(s, matched);
            phase("seed " + s.path().getFileName() + ": chunked the rest");
        }
    }

    /**
     * Reads the seed at each missing chunk's own offset; where the digest matches, the chunk is written (or, with
     * {@code cloneLater}, only marked for cloning). Gives up early when the seed evidently is laid out differently.
     */
    private void probeSameOffsets(BlobSource s, boolean[] matched, boolean cloneLater) throws IOException {
        long seedSize = s.size();
        if (!sampleSameOffsets(s)) {
            return;
        }
        List<int[]> batches = batches(i -> !table.isDone(i) && index.end(i) <= seedSize);
        AtomicInteger probes = new AtomicInteger();
        AtomicInteger hits = new AtomicInteger();
        int wave = Math.max(2, 2 * opt.threads());
        for (int w = 0; w < batches.size(); w += wave) {
            if (probes.get() >= 256 && hits.get() * 8 < probes.get()) {
                return;
            }
            runAll(batches.subList(w, Math.min(batches.size(), w + wave)), b -> {
                Hasher md = digest.newHasher();
                byte[] buf = new byte[index.params().max()];
                for (int i = b[0]; i < b[1]; i++) {
                    if (table.isDone(i) || index.end(i) > seedSize) {
                        continue;
                    }
                    int size = index.chunkSize(i);
                    long start = index.start(i);
                    if (s.isHole(start, start + size)) {
                        continue;
                    }
                    probes.incrementAndGet();
                    s.read(start, buf, 0, size);
                    md.update(buf, 0, size);
                    if (!index.idEquals(i, md.digest())) {
                        continue;
                    }
                    hits.incrementAndGet();
                    matched[i] = true;
                    if (cloneLater) {
                        if (table.claim(i)) {
                            stats.seeds.add(size);
                        }
                        continue;
                    }
                    final byte[] data = buf;
                    writeAll(table.firstPosition(index.id(i)), data, size, stats.seeds);
                }
                return null;
            });
        }
    }

    /**
     * Probes up to 64 missing positions spread over the whole blob; true when at least a quarter of them match
     * the seed at the same offset, i.e. when probing everything is likely to pay.
     */
    private boolean sampleSameOffsets(BlobSource s) throws IOException {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < index.size(); i++) {
            if (!table.isDone(i) && index.end(i) <= s.size() && !s.isHole(index.start(i), index.end(i))) {
                candidates.add(i);
            }
        }
        if (candidates.isEmpty()) {
            return false;
        }
        int samples = Math.min(64, candidates.size());
        Hasher md = digest.newHasher();
        byte[] buf = new byte[index.params().max()];
        int hits = 0;
        for (int k = 0; k < samples; k++) {
            int i = candidates.get((int) ((long) k * candidates.size() / samples));
            int size = index.chunkSize(i);
            s.read(index.start(i), buf, 0, size);
            md.update(buf, 0, size);
            if (index.idEquals(i, md.digest())) {
                hits++;
            }
        }
        return hits * 4 >= samples;
    }

    /** Clones runs of matched positions (same offset in seed and output), copying unaligned edges. */
    private void cloneMatched(LinuxFile seed, LinuxFile out, boolean[] matched, BlobSource s) throws IOException {
        int n = index.size();
        byte[] buf = new byte[index.params().max()];
        for (int i = 0; i < n; ) {
            if (!matched[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < n && matched[j + 1]) {
                j++;
            }
            long from = index.start(i);
            long to = index.end(j);
            long a = (from + 4095) & ~4095L;
            long b = to == index.length() ? to : to & ~4095L;
            boolean cloned = b > a && out.cloneRangeFrom(seed, a, b - a, a);
            if (cloned) {
                stats.reflinked.addAndGet(b - a);
                copyRange(s, from, a, buf);
                copyRange(s, b, to, buf);
            } else {
                copyRange(s, from, to, buf);
            }
            for (int k = i; k <= j; k++) {
                progress.accept(written.addAndGet(index.chunkSize(k)));
            }
            i = j + 1;
        }
    }

    private void copyRange(BlobSource s, long from, long to, byte[] buf) throws IOException {
        for (long p = from; p < to; ) {
            int n = (int) Math.min(buf.length, to - p);
            s.read(p, buf, 0, n);
            writer.write(p, buf, 0, n);
            p += n;
        }
    }

    /**
     * Chunks the parts of the seed not matched at the same offset (in independent sections, each from a fresh
     * chunker: content-defined cuts re-synchronise within a chunk or two) and writes every chunk still missing.
     */
    private void scanSeedRegions(BlobSource s, boolean[] matched) throws IOException {
        List<long[]> regions = new ArrayList<>();
        long cursor = 0;
        for (int i = 0; i < index.size(); i++) {
            if (matched[i]) {
                if (index.start(i) > cursor) {
                    regions.add(new long[] {cursor, index.start(i)});
                }
                cursor = index.end(i);
            }
        }
        if (cursor < s.size()) {
            regions.add(new long[] {cursor, s.size()});
        }
        long section = Math.max(16L << 20, 16L * index.params().max());
        List<long[]> pieces = new ArrayList<>();
        for (long[] r : regions) {
            if (s.isHole(r[0], r[1])) {
                continue;
            }
            for (long a = r[0]; a < r[1]; a += section) {
                pieces.add(new long[] {a, Math.min(r[1], a + section)});
            }
        }
        java.util.BitSet sizes = new java.util.BitSet(index.params().max() + 1);
        for (int i = 0; i < index.size(); i++) {
            sizes.set(index.chunkSize(i));
        }
        AtomicLong followed = new AtomicLong();
        AtomicLong chunked = new AtomicLong();
        runAll(pieces, piece -> {
            SeedScanner sc = new SeedScanner(s, index, table, sizes, (first, data, off, size) ->
                    writeAll(first, data, off, size, stats.seeds));
            sc.scan(piece[0], piece[1]);
            followed.addAndGet(sc.followed);
            chunked.addAndGet(sc.chunked);
            return null;
        });
        if (verbose != null) {
            verbose.printf("jcasync: seed %s: %s followed in order, %s chunked%n", s.path().getFileName(),
                    org.jcasync.io.ByteSizes.format(followed.get()), org.jcasync.io.ByteSizes.format(chunked.get()));
        }
    }

    private void useSeedIndex(SeedSource seed) throws IOException {
        Index si = seed.index;
        BlobSource s = seed.blob;
        List<int[]> batches = new ArrayList<>();
        int start = 0;
        long bytes = 0;
        for (int i = 0; i < si.size(); i++) {
            bytes += si.chunkSize(i);
            if (bytes >= BATCH_BYTES || i == si.size() - 1) {
                batches.add(new int[] {start, i + 1});
                start = i + 1;
                bytes = 0;
            }
        }
        AtomicInteger invalid = new AtomicInteger();
        runAll(batches, b -> {
            Hasher md = digest.newHasher();
            byte[] buf = new byte[index.params().max()];
            for (int j = b[0]; j < b[1]; j++) {
                int first = table.firstPosition(si.id(j));
                if (first < 0 || !table.anyPending(first)) {
                    continue;
                }
                int size = si.chunkSize(j);
                s.read(si.start(j), buf, 0, size);
                md.update(buf, 0, size);
                if (!si.idEquals(j, md.digest())) {
                    invalid.incrementAndGet();
                    continue;
                }
                writeAll(first, buf, size, stats.seeds);
            }
            return null;
        });
        if (invalid.get() > 0) {
            warnings.println("jcasync: seed " + seed.name + " does not match its index in " + invalid.get()
                    + " chunks; those come from elsewhere");
        }
    }

    /** Whether the store was already given a guess of what it will be asked for ({@code mayNeed}). */
    private boolean storeTold;

    /** First positions of the distinct chunks still pending. */
    private List<Integer> pendingFirsts() {
        List<Integer> todo = new ArrayList<>();
        for (int first : table.distinct().values()) {
            if (table.anyPending(first)) {
                todo.add(first);
            }
        }
        return todo;
    }

    /** The chunk ids at index positions {@code positions}. */
    private List<ChunkId> idsAt(List<Integer> positions) {
        List<ChunkId> ids = new ArrayList<>(positions.size());
        for (int p : positions) {
            ids.add(index.id(p));
        }
        return ids;
    }

    private void fetchFromStore() throws IOException {
        List<Integer> todo = pendingFirsts();
        store.willNeed(idsAt(todo));
        // Batches of chunks: a store verifies a batch with one multi-buffer digest call.
        List<int[]> work = new ArrayList<>();
        for (int i = 0; i < todo.size(); i += STORE_BATCH) {
            int[] b = new int[Math.min(STORE_BATCH, todo.size() - i)];
            for (int k = 0; k < b.length; k++) {
                b[k] = todo.get(i + k);
            }
            work.add(b);
        }
        runAll(work, w -> {
            List<ChunkId> ids = new ArrayList<>(w.length);
            for (int first : w) {
                ids.add(index.id(first));
            }
            Role[] servedBy = new Role[w.length];
            byte[][] got = store.getAllWithRoles(ids, servedBy);
            for (int k = 0; k < w.length; k++) {
                int first = w[k];
                ChunkId id = ids.get(k);
                byte[] data = got[k];
                if (data == null) {
                    throw new ChunkMissingException(id, store.location());
                }
                if (data.length != index.chunkSize(first)) {
                    throw new StoreException(id, "chunk " + id + " from " + store.location() + " has "
                            + data.length + " bytes, the index says " + index.chunkSize(first), null);
                }
                writeAll(first, data, data.length, servedBy[k] == Role.CACHE ? stats.cache : stats.store);
            }
            return null;
        });
    }

    /** Writes {@code data} to every still-missing position of the id whose first position is {@code first}. */
    private void writeAll(int first, byte[] data, int size, ExtractStats.Counter counter) throws IOException {
        writeAll(first, data, 0, size, counter);
    }

    /** Writes {@code data[off, off+size)} to every still-missing position of the id starting at {@code first}. */
    private void writeAll(int first, byte[] data, int off, int size, ExtractStats.Counter counter)
            throws IOException {
        IOException[] err = new IOException[1];
        table.claimAll(first, p -> {
            if (err[0] != null) {
                return;
            }
            try {
                writer.write(index.start(p), data, off, size);
                counter.add(size);
                progress.accept(written.addAndGet(size));
            } catch (IOException e) {
                err[0] = e;
            }
        });
        if (err[0] != null) {
            throw err[0];
        }
    }

    /** Splits the positions accepted by {@code want} into runs of about 4 MiB. */
    private List<int[]> batches(java.util.function.IntPredicate want) {
        List<int[]> out = new ArrayList<>();
        int start = -1;
        long bytes = 0;
        for (int i = 0; i < index.size(); i++) {
            if (!want.test(i)) {
                continue;
            }
            if (start < 0) {
                start = i;
            }
            bytes += index.chunkSize(i);
            if (bytes >= BATCH_BYTES) {
                out.add(new int[] {start, i + 1});
                start = -1;
                bytes = 0;
            }
        }
        if (start >= 0) {
            out.add(new int[] {start, index.size()});
        }
        return out;
    }

    /** A unit of work on the pool. */
    @FunctionalInterface
    private interface Work<T> {
        Void run(T item) throws IOException;
    }

    /** Runs {@code work} over {@code items} on the pool with bounded parallelism; rethrows the first failure. */
    private <T> void runAll(List<T> items, Work<T> work) throws IOException {
        ArrayDeque<Future<Void>> inFlight = new ArrayDeque<>();
        int limit = 4 * Math.max(1, opt.threads());
        try {
            for (T item : items) {
                while (inFlight.size() >= limit) {
                    Futures.await(inFlight.poll());
                }
                Callable<Void> c = () -> work.run(item);
                inFlight.add(pool.submit(c));
            }
            while (!inFlight.isEmpty()) {
                Futures.await(inFlight.poll());
            }
        } finally {
            for (Future<Void> f : inFlight) {
                f.cancel(true);
            }
        }
    }

    /**
     * Extracts to a stream (stdout): chunks are produced in order with a bounded window fetched ahead in parallel;
     * zero chunks come from memory. Seeds are not used for streams.
     */
    public ExtractStats extract(OutputStream out) throws IOException {
        long t0 = System.nanoTime();
        new StreamExtractor(index, store, pool, opt.threads(), stats, zeroChunkSize)
                .run(out, n -> progress.accept(n));
        stats.storeBytesRead.set(store.bytesRead());
        stats.finish(index.size(), index.length(), (System.nanoTime() - t0) / 1e9);
        return stats;
    }
}
