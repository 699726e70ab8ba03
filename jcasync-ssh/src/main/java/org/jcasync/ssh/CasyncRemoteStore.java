package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.BatchReadStore;
import org.jcasync.store.FetchListener;
import org.jcasync.store.StoreException;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A store served by {@code casync pull - - - STORE} (the real casync or {@code jcasync pull}) on the far side of
 * ssh. Requests are pipelined: up to {@link TransportOptions#maxInFlight()} chunks are asked for at once, spread
 * over up to {@value #MAX_SESSIONS} ssh sessions started as load requires. Every chunk is decompressed and verified
 * against its id. casync's server answers each id once per session, so an id asked again goes to another session
 * (a session that asked too many is retired and replaced); a small cache of recent frames makes that rare.
 */
public final class CasyncRemoteStore extends BatchReadStore {
    /** Most ssh sessions at once. */
    static final int MAX_SESSIONS = 4;
    /** Requests in flight on one session before another is started. */
    private static final int SESSION_TARGET = 16;
    /** Bytes of recently received frames kept for ids asked again. */
    static final long CACHE_BYTES = 32L << 20;

    private final String location;
    private final StoreOptions options;
    private final TransportOptions transport;
    private final Supplier<List<String>> command;
    private final long cacheBytes;
    private final List<PullSession> sessions = new ArrayList<>();
    private final Semaphore permits;
    private final LinkedHashMap<ChunkId, PullSession.Reply> recent = new LinkedHashMap<>(64, 0.75f, true);
    private long recentBytes;
    private final AtomicLong chunks = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private boolean closed;

    /**
     * A store at {@code location} reached by running {@code command} (a new process per session).
     */
    public CasyncRemoteStore(String location, Supplier<List<String>> command, StoreOptions options,
                             TransportOptions transport) {
        this(location, command, options, transport, CACHE_BYTES);
    }

    /** As above, keeping {@code cacheBytes} of recent frames. */
    CasyncRemoteStore(String location, Supplier<List<String>> command, StoreOptions options,
                      TransportOptions transport, long cacheBytes) {
        this.cacheBytes = cacheBytes;
        this.location = location;
        this.command = command;
        this.options = options;
        this.transport = transport;
        this.permits = new Semaphore(transport.maxInFlight());
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        return getAll(List.of(id))[0] != null;
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        Map<ChunkId, PullSession.Reply> replies = fetch(ids);
        // Each distinct chunk is decompressed and verified once.
        ChunkId[] distinct = replies.keySet().toArray(new ChunkId[0]);
        byte[][] received = new byte[distinct.length][];
        boolean[] compressed = new boolean[distinct.length];
        for (int i = 0; i < distinct.length; i++) {
            received[i] = replies.get(distinct[i]).data();
            compressed[i] = replies.get(distinct[i]).compressed();
        }
        byte[][] data = ChunkVerifier.verify(distinct, received, compressed, options, location);
        Map<ChunkId, byte[]> verified = new HashMap<>();
        for (int i = 0; i < data.length; i++) {
            if (data[i] == null) {
                continue;
            }
            verified.put(distinct[i], data[i]);
            chunks.incrementAndGet();
            if (listener != null) {
                listener.fetched(distinct[i], data[i], compressed[i] ? received[i] : null);
            }
        }
        byte[][] out = new byte[ids.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = verified.get(ids.get(i));
        }
        return out;
    }

    /** The server's reply for each distinct id, with retries on transport failures. */
    private Map<ChunkId, PullSession.Reply> fetch(List<ChunkId> ids) throws IOException {
        Map<ChunkId, PullSession.Reply> replies = new LinkedHashMap<>();
        List<ChunkId> todo = new ArrayList<>();
        synchronized (recent) {
            for (ChunkId id : ids) {
                if (replies.containsKey(id)) {
                    continue;
                }
                PullSession.Reply cached = recent.get(id);
                if (cached != null) {
                    replies.put(id, cached);
                } else {
                    todo.add(id);
                }
            }
        }
        todo = new ArrayList<>(new java.util.LinkedHashSet<>(todo));
        IOException last = null;
        for (int attempt = 0; !todo.isEmpty(); attempt++) {
            if (attempt > transport.retries()) {
                errors.addAndGet(todo.size());
                throw last;
            }
            if (attempt > 0) {
                retries.addAndGet(todo.size());
                sleep(transport.retryDelay().toMillis() << Math.min(attempt - 1, 10));
            }
            Map<ChunkId, CompletableFuture<PullSession.Reply>> futures = submit(todo);
            List<ChunkId> failed = new ArrayList<>();
            for (Map.Entry<ChunkId, CompletableFuture<PullSession.Reply>> e : futures.entrySet()) {
                try {
                    PullSession.Reply r = e.getValue().get(transport.timeout().toMillis(), TimeUnit.MILLISECONDS);
                    replies.put(e.getKey(), r);
                    remember(r);
                } catch (ExecutionException ex) {
                    failed.add(e.getKey());
                    last = ex.getCause() instanceof IOException io ? io
                            : new StoreException(e.getKey(), location + ": " + ex.getCause(), ex.getCause());
                } catch (TimeoutException ex) {
                    failed.add(e.getKey());
                    last = new StoreException(e.getKey(), location + ": no reply for chunk " + e.getKey()
                            + " within " + transport.timeout().toSeconds() + " s", ex);
                    dropSessionsWith(e.getKey());
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while fetching from " + location);
                }
            }
            todo = failed;
        }
        return replies;
    }

    /** Sends a request for each id, at most maxInFlight in flight over all sessions. */
    private Map<ChunkId, CompletableFuture<PullSession.Reply>> submit(List<ChunkId> ids) throws IOException {
        Map<ChunkId, CompletableFuture<PullSession.Reply>> out = new LinkedHashMap<>();
        java.util.Set<PullSession> touched = new java.util.HashSet<>();
        try {
            for (ChunkId id : ids) {
                if (!permits.tryAcquire()) {
                    touched.forEach(PullSession::send);
                    try {
                        if (!permits.tryAcquire(transport.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                            throw new StoreException(id, location + ": no reply within "
                                    + transport.timeout().toSeconds() + " s", null);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while fetching from " + location);
                    }
                }
                PullSession s = sessionFor(id);
                touched.add(s);
                CompletableFuture<PullSession.Reply> f = s.request(id);
                requests.incrementAndGet();
                f.whenComplete((r, e) -> permits.release());
                out.put(id, f);
            }
        } finally {
            touched.forEach(PullSession::send);
        }
        return out;
    }

    /** A session that has not been asked for {@code id}, starting one when all are busy or have been. */
    private synchronized PullSession sessionFor(ChunkId id) throws IOException {
        if (closed) {
            throw new IOException(location + ": store closed");
        }
        sessions.removeIf(s -> !s.usable());
        PullSession best = null;
        for (PullSession s : sessions) {
            if (!s.asked(id) && (best == null || s.inFlight() < best.inFlight())) {
                best = s;
            }
        }
        if (best != null && (best.inFlight() < SESSION_TARGET || sessions.size() >= MAX_SESSIONS)) {
            return best;
        }
        if (best == null && sessions.size() >= MAX_SESSIONS) {
            // Every session was asked for this id already: retire the one that was asked the most.
            PullSession worn = sessions.getFirst();
            for (PullSession s : sessions) {
                if (s.askedCount() > worn.askedCount()) {
                    worn = s;
                }
            }
            sessions.remove(worn);
            worn.retire();
        }
        PullSession s = PullSession.start(command.get(), location);
        sessions.add(s);
        return s;
    }

    private synchronized void dropSessionsWith(ChunkId id) {
        for (PullSession s : new ArrayList<>(sessions)) {
            if (s.asked(id)) {
                sessions.remove(s);
                s.close();
            }
        }
    }

    private void remember(PullSession.Reply r) {
        if (r.data() == null) {
            return;
        }
        bytes.addAndGet(r.data().length);
        synchronized (recent) {
            if (recent.put(r.id(), r) != null) {
                return;
            }
            recentBytes += r.data().length;
            var it = recent.entrySet().iterator();
            while (recentBytes > cacheBytes && it.hasNext()) {
                recentBytes -= it.next().getValue().data().length;
                it.remove();
            }
        }
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    @Override
    public long bytesRead() {
        return bytes.get();
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(location, chunks.get(), bytes.get(), requests.get(), retries.get(),
                errors.get()));
    }

    /** ssh sessions open now (for tests). */
    synchronized int sessionCount() {
        return sessions.size();
    }

    @Override
    public void close() {
        List<PullSession> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(sessions);
            sessions.clear();
        }
        all.forEach(PullSession::close);
    }

    @Override
    public String toString() {
        return location;
    }
}
