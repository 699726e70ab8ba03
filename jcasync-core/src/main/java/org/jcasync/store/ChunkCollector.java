package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.PrunableChunkStore.ChunkFile;
import org.jcasync.store.PrunableChunkStore.ChunkSink;
import org.jcasync.store.PrunableChunkStore.PruneListener;
import org.jcasync.store.PrunableChunkStore.PruneResult;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The garbage-collection loop of every {@link PrunableChunkStore}: lists the chunk files, keeps those in use and
 * those younger than the grace period, removes the rest (in batches where the store takes many at once), and removes
 * the chunk directories it emptied.
 *
 * <p>The grace period is what makes a collection safe next to writers it does not know of (casync, stores without
 * locks): a chunk written, or freshened ({@link WritableChunkStore#freshen}) by a writer that reuses it, is younger
 * than the grace period until that writer has long written its index. The time a file is compared with is asked
 * only for chunks no index uses, so a local store stats only those.
 */
final class ChunkCollector implements ChunkSink {
    /**
     * Longest a file judged old stays listed before it is removed: on a store without locks, a writer freshening it
     * in between loses it, so batches (S3: up to 1000 keys a request) are sent at least this often.
     */
    private static final long MAX_PENDING_NANOS = 1_000_000_000L;
    private final PrunableChunkStore store;
    private final Predicate<ChunkId> keep;
    private final Instant keepSince;
    private final boolean dryRun;
    private final PruneListener listener;
    private final List<ChunkFile> pending = new ArrayList<>();
    private long pendingSince;
    private long all;
    private long removed;
    private long young;
    private long directories;
    /** Chunks kept in the directory being listed (it cannot become empty then). */
    private long keptHere;

    ChunkCollector(PrunableChunkStore store, Predicate<ChunkId> keep, Instant keepSince, boolean dryRun,
            PruneListener listener) {
        this.store = store;
        this.keep = keep;
        this.keepSince = keepSince;
        this.dryRun = dryRun;
        this.listener = listener != null ? listener : f -> { };
    }

    PruneResult run() throws IOException {
        store.listChunks(this);
        flush();
        return new PruneResult(removed, directories, all - removed, young);
    }

    @Override
    public void chunk(ChunkFile f) throws IOException {
        if (keep.test(f.id())) {
            all++;
            keptHere++;
            return;
        }
        if (keepSince != null) {
            Instant t = store.modified(f);
            if (t == null) {
                return; // removed meanwhile (another collection): not a chunk of this store any more
            }
            if (!t.isBefore(keepSince)) {
                all++;
                young++;
                keptHere++;
                listener.keepingYoung(f.name());
                return;
            }
        }
        all++;
        removed++;
        listener.removing(f.name());
        if (!dryRun) {
            if (pending.isEmpty()) {
                pendingSince = System.nanoTime();
            }
            pending.add(f);
            if (pending.size() >= store.removeBatch() || System.nanoTime() - pendingSince > MAX_PENDING_NANOS) {
                flush();
            }
        }
    }

    @Override
    public void directoryEnd(String directory) throws IOException {
        if (!dryRun && keptHere == 0) {
            flush();
            if (store.removeDirectory(directory)) {
                directories++;
            }
        }
        keptHere = 0;
    }

    private void flush() throws IOException {
        if (!pending.isEmpty()) {
            store.remove(List.copyOf(pending));
            pending.clear();
        }
    }
}
