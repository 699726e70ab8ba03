package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.store.BatchReadStore;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.FetchListener;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreStats;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Chunks of one index read from packs through its chunk map, with loose chunks as the fallback. Told up front which
 * chunks an extract needs ({@link #willNeed}), it sorts them by pack and offset, merges neighbours whose gap costs
 * less than a separate range, and fetches them in a handful of (multi-)range requests, a few at a time, within a
 * memory budget; the extract's requests are then served from what arrived. Every chunk is verified by its id; a
 * chunk a pack cannot give (missing pack, wrong bytes) is taken from the loose store instead, or reported.
 */
public final class PackedStore extends BatchReadStore {
    /** Prefetched bytes not yet taken by the extract. */
    private static final int BUDGET_BYTES = 96 << 20;
    /**
     * Largest request made on a guess ({@link #mayNeed}): guessed requests run one at a time, and those not started
     * when the real list arrives are dropped, so at most about this much is fetched for nothing.
     */
    private static final long GUESS_REQUEST_BYTES = 4 << 20;

    private final Map<ChunkId, ChunkMap.Location> where = new HashMap<>();
    private final RangeSource packs;
    private final ChunkStore loose;
    private final StoreOptions options;
    private final Map<ChunkId, CompletableFuture<byte[]>> prefetched = new ConcurrentHashMap<>();
    private final Semaphore budget = new Semaphore(BUDGET_BYTES);
    private final Semaphore slots;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong fromPacks = new AtomicLong();
    private final AtomicLong packFailures = new AtomicLong();
    private final PackId ownPack;
    /** Requests started on a guess ({@link #mayNeed}), until the real list arrives ({@link #willNeed}). */
    private final List<Prefetch> guessed = new ArrayList<>();
    private volatile Thread planner;
    private volatile Thread guesser;

    /**
     * @param index the index being extracted
     * @param map its chunk map (checked by the caller to match the index)
     * @param packs where the pack files are
     * @param loose the store for chunks the map does not place in a pack, and for fallbacks
     */
    public PackedStore(Index index, ChunkMap map, RangeSource packs, ChunkStore loose, StoreOptions options) {
        if (map.size() != index.size()) {
            throw new IllegalArgumentException("the chunk map has " + map.size() + " chunks, the index "
                    + index.size());
        }
        for (int i = 0; i < index.size(); i++) {
            ChunkMap.Location l = map.location(i);
            if (l != null) {
                where.putIfAbsent(index.id(i), l);
            }
        }
        this.ownPack = map.ownPack();
        this.packs = packs;
        this.slots = new Semaphore(Math.max(1, packs.parallelRequests()));
        this.loose = loose;
        this.options = options;
    }

    /** A planned request: ranges of one pack and the chunks in them. */
    private record Request(PackId pack, List<RangeSource.Range> ranges, List<List<Frame>> frames, long bytes) {
        int chunks() {
            return frames.stream().mapToInt(List::size).sum();
        }
    }

    /** A chunk inside a range: where its frame starts relative to the range. */
    private record Frame(ChunkId id, int offset, int length) {
    }

    /**
     * A prefetch request's state. It is claimed once, by the prefetcher or by a reader that needs one of its chunks
     * before the prefetcher got to it (so a reader never waits for budget held by chunks it will only take later).
     * Its budget is returned when its last chunk is taken or when it fails.
     */
    private final class Prefetch {
        final Request request;
        final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger untaken;
        final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
        volatile int budgetHeld;

        Prefetch(Request request) {
            this.request = request;
            this.untaken = new java.util.concurrent.atomic.AtomicInteger(request.chunks());
        }

        void taken() {
            if (untaken.decrementAndGet() == 0) {
                settle();
            }
        }

        void settle() {
            if (settled.compareAndSet(false, true)) {
                budget.release(budgetHeld);
            }
        }

        /** Fetches the request in this thread; a failure leaves its chunks to be read on demand. */
        void run() {
            try {
                fetch(request);
            } catch (IOException | RuntimeException e) {
                packFailures.incrementAndGet();
                for (List<Frame> fs : request.frames()) {
                    for (Frame f : fs) {
                        CompletableFuture<byte[]> fut = prefetched.remove(f.id());
                        if (fut != null) {
                            fut.completeExceptionally(e);
                        }
                    }
                }
                settle();
            }
        }
    }

    private final Map<ChunkId, Prefetch> prefetchOf = new ConcurrentHashMap<>();

    /**
     * Starts fetching, one request at a time, the chunks among {@code ids} that sit in the index's own pack (the
     * chunks this version added to the store: what an update from an earlier version lacks), while the caller is
     * still working out what its seeds hold. {@link #willNeed} then drops what was guessed but is not needed and has
     * not started.
     */
    @Override
    public void mayNeed(List<ChunkId> ids) {
        if (ownPack == null) {
            return;
        }
        List<ChunkId> own = new ArrayList<>();
        for (ChunkId id : ids) {
            ChunkMap.Location l = where.get(id);
            if (l != null && l.pack().equals(ownPack)) {
                own.add(id);
            }
        }
        List<Prefetch> work = register(plan(own, Math.min(GUESS_REQUEST_BYTES, packs.requestBytes())));
        if (work.isEmpty()) {
            return;
        }
        synchronized (guessed) {
            guessed.addAll(work);
        }
        guesser = Thread.ofVirtual().name("pack-guess").start(() -> {
            for (Prefetch p : work) {
                if (!start(p)) {
                    return;
                }
                if (p.budgetHeld > 0) {
                    p.run();
                    slots.release();
                }
            }
        });
    }

    @Override
    public void willNeed(List<ChunkId> ids) {
        settleGuesses(ids);
        List<Prefetch> work = register(plan(ids, packs.requestBytes()));
        if (work.isEmpty()) {
            return;
        }
        planner = Thread.ofVirtual().name("pack-prefetch").start(() -> {
            for (Prefetch p : work) {
                if (!start(p)) {
                    return;
                }
                if (p.budgetHeld > 0) {
                    requests.submit(() -> {
                        try {
                            p.run();
                        } finally {
                            slots.release();
                        }
                    });
                }
            }
        });
    }

    /** Makes the futures of a plan's chunks findable; returns its requests as prefetches. */
    private List<Prefetch> register(List<Request> plan) {
        List<Prefetch> work = new ArrayList<>();
        for (Request r : plan) {
            Prefetch p = new Prefetch(r);
            work.add(p);
            for (List<Frame> fs : r.frames()) {
                for (Frame f : fs) {
                    prefetched.putIfAbsent(f.id(), new CompletableFuture<>());
                    prefetchOf.putIfAbsent(f.id(), p);
                }
            }
        }
        return work;
    }

    /**
     * Waits for budget and a request slot for {@code p} and claims it; then {@code p.budgetHeld > 0} and the caller
     * runs it and releases the slot. When a reader (or {@link #settleGuesses}) claimed it first, nothing is held.
     *
     * @return false when interrupted (the store is closing)
     */
    private boolean start(Prefetch p) {
        if (p.claimed.get()) {
            return true;
        }
        int want = (int) Math.max(1, Math.min(p.request.bytes(), BUDGET_BYTES));
        try {
            budget.acquire(want);
            slots.acquire();
        } catch (InterruptedException e) {
            return false;
        }
        if (!p.claimed.compareAndSet(false, true)) {
            budget.release(want);
            slots.release();
            return true;
        }
        p.budgetHeld = want;
        return true;
    }

    /**
     * The real list has arrived: guessed requests not started are dropped (their chunks that are needed are planned
     * again with the rest), and chunks of started ones that are not needed are let go (their budget returns).
     */
    private void settleGuesses(List<ChunkId> ids) {
        List<Prefetch> gs;
        synchronized (guessed) {
            gs = List.copyOf(guessed);
            guessed.clear();
        }
        if (gs.isEmpty()) {
            return;
        }
        Set<ChunkId> needed = new HashSet<>(ids);
        for (Prefetch p : gs) {
            boolean dropped = p.claimed.compareAndSet(false, true);
            for (List<Frame> fs : p.request.frames()) {
                for (Frame f : fs) {
                    if (dropped || !needed.contains(f.id())) {
                        CompletableFuture<byte[]> fut = prefetched.get(f.id());
                        if (prefetchOf.remove(f.id(), p) && fut != null && prefetched.remove(f.id(), fut)) {
                            // Anyone waiting after all reads it directly.
                            fut.completeExceptionally(new IOException("guessed wrong: not needed"));
                            if (!dropped) {
                                p.taken();
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Sorts the packed chunks among {@code ids} by pack and offset and cuts them into merged ranges and requests,
     * ordered by when their first chunk is needed.
     */
    private List<Request> plan(List<ChunkId> ids, long requestBytes) {
        Map<ChunkId, ChunkMap.Location> wanted = new LinkedHashMap<>();
        Map<ChunkId, Integer> order = new HashMap<>();
        for (ChunkId id : ids) {
            ChunkMap.Location l = where.get(id);
            if (l != null && !prefetched.containsKey(id) && wanted.putIfAbsent(id, l) == null) {
                order.put(id, order.size());
            }
        }
        Map<PackId, List<Map.Entry<ChunkId, ChunkMap.Location>>> groups = new LinkedHashMap<>();
        for (Map.Entry<ChunkId, ChunkMap.Location> e : wanted.entrySet()) {
            groups.computeIfAbsent(e.getValue().pack(), p -> new ArrayList<>()).add(e);
        }
        List<Request> out = new ArrayList<>();
        int gap = packs.mergeGap();
        int maxRanges = packs.maxRangesPerRequest();
        for (Map.Entry<PackId, List<Map.Entry<ChunkId, ChunkMap.Location>>> g : groups.entrySet()) {
            List<Map.Entry<ChunkId, ChunkMap.Location>> cs = g.getValue();
            cs.sort(Comparator.comparingLong(e -> e.getValue().offset()));
            // Merged ranges: neighbours closer than the gap, none larger than a request.
            List<RangeSource.Range> merged = new ArrayList<>();
            List<List<Frame>> mergedFrames = new ArrayList<>();
            long start = -1;
            long end = -1;
            List<Frame> current = null;
            for (Map.Entry<ChunkId, ChunkMap.Location> e : cs) {
                ChunkMap.Location l = e.getValue();
                if (current == null || l.offset() - end > gap || l.end() - start > requestBytes) {
                    if (current != null) {
                        merged.add(new RangeSource.Range(start, end));
                        mergedFrames.add(current);
                    }
                    start = l.offset();
                    end = l.end();
                    current = new ArrayList<>();
                }
                current.add(new Frame(e.getKey(), (int) (l.offset() - start), l.length()));
                end = Math.max(end, l.end());
            }
            if (current != null) {
                merged.add(new RangeSource.Range(start, end));
                mergedFrames.add(current);
            }
            // Requests: ranges in order while they fit the request size and the transport's range limit.
            List<RangeSource.Range> ranges = new ArrayList<>();
            List<List<Frame>> frames = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < merged.size(); i++) {
                RangeSource.Range r = merged.get(i);
                if (!ranges.isEmpty() && (ranges.size() >= maxRanges || bytes + r.length() > requestBytes)) {
                    out.add(new Request(g.getKey(), ranges, frames, bytes));
                    ranges = new ArrayList<>();
                    frames = new ArrayList<>();
                    bytes = 0;
                }
                ranges.add(r);
                frames.add(mergedFrames.get(i));
                bytes += r.length();
            }
            if (!ranges.isEmpty()) {
                out.add(new Request(g.getKey(), ranges, frames, bytes));
            }
        }
        out.sort(Comparator.comparingInt(r -> r.frames().stream().flatMap(List::stream)
                .mapToInt(f -> order.get(f.id())).min().orElse(0)));
        return out;
    }

    /** Runs one request, completing the futures of its chunks with their frames as the ranges arrive. */
    private void fetch(Request r) throws IOException {
        boolean[] done = new boolean[r.ranges().size()];
        packs.read(r.pack().packPath(), r.ranges(), (i, data) -> {
            if (data.length != r.ranges().get(i).length()) {
                throw new IOException("pack " + r.pack() + ": range " + r.ranges().get(i) + " came with "
                        + data.length + " bytes");
            }
            synchronized (done) {
                if (done[i]) {
                    return;
                }
                done[i] = true;
            }
            for (Frame f : r.frames().get(i)) {
                CompletableFuture<byte[]> fut = prefetched.get(f.id());
                if (fut != null) {
                    fut.complete(java.util.Arrays.copyOfRange(data, f.offset(), f.offset() + f.length()));
                }
            }
        });
        for (int i = 0; i < done.length; i++) {
            if (!done[i]) {
                throw new IOException("pack " + r.pack() + ": range " + r.ranges().get(i) + " never arrived");
            }
        }
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        byte[][] frames = new byte[ids.size()][];
        List<ChunkId> direct = new ArrayList<>();
        for (int i = 0; i < frames.length; i++) {
            CompletableFuture<byte[]> f = prefetched.get(ids.get(i));
            if (f != null) {
                Prefetch p = prefetchOf.get(ids.get(i));
                if (p != null && !f.isDone() && p.claimed.compareAndSet(false, true)) {
                    p.run(); // not started yet: needed now, so fetched here rather than waited for
                }
                try {
                    frames[i] = f.get();
                    if (prefetched.remove(ids.get(i), f) && p != null) {
                        prefetchOf.remove(ids.get(i), p);
                        p.taken();
                    }
                    continue;
                } catch (ExecutionException e) {
                    // The prefetch failed: fetched directly below.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted waiting for chunk " + ids.get(i));
                }
            }
            if (where.containsKey(ids.get(i))) {
                direct.add(ids.get(i));
            }
        }
        IOException packError = null;
        if (!direct.isEmpty()) {
            try {
                List<Request> plan = plan(direct, packs.requestBytes());
                Map<ChunkId, byte[]> got = new HashMap<>();
                for (Request r : plan) {
                    packs.read(r.pack().packPath(), r.ranges(), (k, data) -> {
                        for (Frame f : r.frames().get(k)) {
                            synchronized (got) {
                                got.put(f.id(), java.util.Arrays.copyOfRange(data, f.offset(),
                                        f.offset() + f.length()));
                            }
                        }
                    });
                }
                for (int i = 0; i < frames.length; i++) {
                    if (frames[i] == null && got.containsKey(ids.get(i))) {
                        frames[i] = got.get(ids.get(i));
                    }
                }
            } catch (IOException e) {
                packFailures.incrementAndGet();
                packError = e;
            }
        }
        byte[][] out = new byte[frames.length][];
        List<Integer> fallback = new ArrayList<>();
        for (int i = 0; i < frames.length; i++) {
            if (frames[i] == null) {
                fallback.add(i);
                continue;
            }
            try {
                out[i] = Compression.decompress(frames[i], frames[i].length, options.maxChunkSize());
            } catch (IOException e) {
                packFailures.incrementAndGet();
                packError = new ChunkInvalidException(ids.get(i), packs.location() + " (pack "
                        + where.get(ids.get(i)).pack() + ")", e.getMessage(), e);
                frames[i] = null;
                fallback.add(i);
            }
        }
        ChunkId[] actual = options.digest().ids(out);
        for (int i = 0; i < out.length; i++) {
            if (out[i] != null && !actual[i].equals(ids.get(i))) {
                packFailures.incrementAndGet();
                packError = new ChunkInvalidException(ids.get(i), packs.location() + " (pack "
                        + where.get(ids.get(i)).pack() + ")", "its content has digest " + actual[i], null);
                out[i] = null;
                frames[i] = null;
                fallback.add(i);
            } else if (out[i] != null) {
                fromPacks.incrementAndGet();
                if (listener != null) {
                    listener.fetched(ids.get(i), out[i], frames[i]);
                }
            }
        }
        if (!fallback.isEmpty()) {
            List<ChunkId> ask = new ArrayList<>();
            for (int i : fallback) {
                ask.add(ids.get(i));
            }
            byte[][] got = listener == null ? loose.getAll(ask) : loose.getAll(ask, listener);
            for (int k = 0; k < got.length; k++) {
                int i = fallback.get(k);
                out[i] = got[k];
                if (out[i] == null && packError != null && where.containsKey(ids.get(i))) {
                    throw packError;
                }
            }
        }
        return out;
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        return loose.getStored(id);
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        return where.containsKey(id) || loose.has(id);
    }

    /** Chunks delivered from packs. */
    public long chunksFromPacks() {
        return fromPacks.get();
    }

    @Override
    public long bytesRead() {
        return loose.bytesRead() + packs.stats().stream().mapToLong(StoreStats::bytes).sum();
    }

    @Override
    public List<StoreStats> stats() {
        List<StoreStats> all = new ArrayList<>();
        for (StoreStats s : packs.stats()) {
            all.add(new StoreStats(s.location(), fromPacks.get(), s.bytes(), s.requests(), s.retries(),
                    s.errors() + packFailures.get()));
        }
        all.addAll(loose.stats());
        return all;
    }

    @Override
    public String location() {
        return loose.location() + " (packs)";
    }

    @Override
    public void close() throws IOException {
        for (Thread t : new Thread[] {planner, guesser}) {
            if (t != null) {
                t.interrupt();
            }
        }
        requests.shutdownNow();
        try {
            packs.close();
        } finally {
            loose.close();
        }
    }
}
