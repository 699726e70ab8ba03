package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.StoreException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.jcasync.ssh.CasyncProtocol.*;

/**
 * One {@code casync pull} on the far side of ssh, serving chunks: requests are queued with {@link #request}, sent
 * together by {@link #send}, and answered in any order by a reader thread (many requests in flight at once).
 * casync answers each chunk id once per session, so the ids asked so far are remembered ({@link #asked}).
 */
final class PullSession implements AutoCloseable {
    /** A chunk as the server sent it: data null when the server does not have it. */
    record Reply(ChunkId id, byte[] data, boolean compressed) {
    }

    private final RemoteProcess process;
    private final FrameWriter writer;
    private final FrameReader reader;
    private final String location;
    private final Map<ChunkId, CompletableFuture<Reply>> pending = new HashMap<>();
    private final Set<ChunkId> asked = new HashSet<>();
    private final List<ChunkId> unsent = new ArrayList<>();
    private final CompletableFuture<Long> hello = new CompletableFuture<>();
    private IOException failure;
    private boolean retiring;

    private PullSession(RemoteProcess process, String location) {
        this.process = process;
        this.location = location;
        this.writer = new FrameWriter(process.out());
        this.reader = new FrameReader(process.in(), location);
    }

    /** Starts the ssh command and says HELLO (wanting chunks); the server's HELLO is checked by the reader. */
    static PullSession start(List<String> command, String location) throws IOException {
        PullSession s = new PullSession(RemoteProcess.start(command), location);
        try {
            s.writer.hello(PULL_CHUNKS);
            s.writer.flush();
        } catch (IOException e) {
            s.fail(new StoreException(null, location + ": " + s.process.failure(), e));
        }
        Thread.ofVirtual().name("ssh-pull-reader").start(s::readLoop);
        return s;
    }

    private void readLoop() {
        try {
            Frame f = reader.read();
            if (f == null) {
                throw new StoreException(null, location + ": " + process.failure(), null);
            }
            if (f.type() == ABORT) {
                throw new StoreException(null, location + ": the server aborted: " + f.describeAbort(), null);
            }
            if (f.type() != HELLO) {
                throw new ProtocolException(location + ": expected HELLO, got " + typeName(f.type()));
            }
            if (!has(f.featureFlags(), READABLE_STORE)) {
                throw new StoreException(null, location + ": the remote side serves no store (HELLO flags 0x"
                        + Long.toHexString(f.featureFlags()) + ")", null);
            }
            hello.complete(f.featureFlags());
            while (true) {
                f = reader.read();
                if (f == null) {
                    throw new StoreException(null, location + ": " + process.failure(), null);
                }
                if (f.type() == CHUNK || f.type() == MISSING) {
                    ChunkId id = f.chunkId();
                    Reply r = f.type() == CHUNK ? new Reply(id, f.chunkData(), f.compressed()) : new Reply(id, null,
                            false);
                    CompletableFuture<Reply> w;
                    synchronized (this) {
                        w = pending.remove(id);
                    }
                    if (w != null) {
                        w.complete(r);
                    }
                } else if (f.type() == ABORT) {
                    throw new StoreException(null, location + ": the server aborted: " + f.describeAbort(), null);
                } else if (f.type() == GOODBYE) {
                    throw new StoreException(null, location + ": the server ended the session", null);
                } else {
                    throw new ProtocolException(location + ": unexpected " + typeName(f.type()) + " frame");
                }
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(IOException e) {
        List<CompletableFuture<Reply>> waiting;
        synchronized (this) {
            if (failure == null) {
                failure = e;
            }
            waiting = new ArrayList<>(pending.values());
            pending.clear();
        }
        hello.completeExceptionally(e);
        for (CompletableFuture<Reply> w : waiting) {
            w.completeExceptionally(e);
        }
    }

    /** Whether this session can take requests. */
    synchronized boolean usable() {
        return failure == null && !retiring;
    }

    /** Whether {@code id} was asked on this session before (casync would not answer it again). */
    synchronized boolean asked(ChunkId id) {
        return asked.contains(id);
    }

    /** Ids asked so far. */
    synchronized int askedCount() {
        return asked.size();
    }

    /** Requests not yet answered. */
    synchronized int inFlight() {
        return pending.size();
    }

    /** Queues a request for {@code id} (sent by {@link #send}); the future completes with the reply. */
    synchronized CompletableFuture<Reply> request(ChunkId id) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        if (failure != null) {
            f.completeExceptionally(failure);
            return f;
        }
        asked.add(id);
        pending.put(id, f);
        unsent.add(id);
        return f;
    }

    /** Sends the queued requests as REQUEST frames. */
    void send() {
        List<ChunkId> batch;
        synchronized (this) {
            if (unsent.isEmpty() || failure != null) {
                return;
            }
            batch = new ArrayList<>(unsent);
            unsent.clear();
        }
        try {
            for (int i = 0; i < batch.size(); i += 4096) {
                writer.request(batch.subList(i, Math.min(batch.size(), i + 4096)), 0);
            }
            writer.flush();
        } catch (IOException e) {
            fail(new StoreException(null, location + ": " + process.failure(), e));
        }
    }

    /** No new requests; closed once the ones in flight are answered. */
    void retire() {
        boolean idle;
        synchronized (this) {
            retiring = true;
            idle = pending.isEmpty();
        }
        if (idle) {
            close();
        } else {
            CompletableFuture.allOf(snapshot()).whenComplete((v, e) -> close());
        }
    }

    private synchronized CompletableFuture<?>[] snapshot() {
        return pending.values().toArray(new CompletableFuture<?>[0]);
    }

    /** Says GOODBYE and ends the ssh process. */
    @Override
    public void close() {
        try {
            writer.empty(GOODBYE);
            writer.close();
        } catch (IOException ignored) {
            // The other side is already gone.
        }
        process.close();
        fail(new StoreException(null, location + ": session closed", null));
    }
}
