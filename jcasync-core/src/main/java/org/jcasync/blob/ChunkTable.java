package org.jcasync.blob;

import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntConsumer;

/**
 * The positions of an index grouped by chunk id, with a claim flag per position so that every position is written
 * exactly once whichever thread finds its data first.
 */
final class ChunkTable {
    private final Index index;
    private final Map<ChunkId, Integer> first;
    private final int[] nextSame;
    private final AtomicIntegerArray done;

    ChunkTable(Index index) {
        this.index = index;
        int n = index.size();
        this.first = HashMap.newHashMap(n);
        this.nextSame = new int[n];
        this.done = new AtomicIntegerArray(n);
        int[] last = new int[n];
        for (int i = 0; i < n; i++) {
            nextSame[i] = -1;
            Integer f = first.putIfAbsent(index.id(i), i);
            if (f == null) {
                last[i] = i;
            } else {
                nextSame[last[f]] = i;
                last[f] = i;
            }
        }
    }

    Index index() {
        return index;
    }

    /** First position of {@code id}, or -1 when the index does not contain it. */
    int firstPosition(ChunkId id) {
        Integer f = first.get(id);
        return f == null ? -1 : f;
    }

    /** The distinct ids with their first position. */
    Map<ChunkId, Integer> distinct() {
        return first;
    }

    boolean isDone(int pos) {
        return done.get(pos) != 0;
    }

    /** Claims one position; true when this caller must write it. */
    boolean claim(int pos) {
        return done.compareAndSet(pos, 0, 1);
    }

    /** True when some position of the id that starts at {@code firstPos} is still unclaimed. */
    boolean anyPending(int firstPos) {
        for (int p = firstPos; p >= 0; p = nextSame[p]) {
            if (done.get(p) == 0) {
                return true;
            }
        }
        return false;
    }

    /** Claims every unclaimed position of the id starting at {@code firstPos} and hands each to {@code action}. */
    void claimAll(int firstPos, IntConsumer action) {
        for (int p = firstPos; p >= 0; p = nextSame[p]) {
            if (claim(p)) {
                action.accept(p);
            }
        }
    }

    /** Number of unclaimed positions. */
    int pendingCount() {
        int c = 0;
        for (int i = 0; i < done.length(); i++) {
            if (done.get(i) == 0) {
                c++;
            }
        }
        return c;
    }
}
