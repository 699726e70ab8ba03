package org.jcasync.catar;

import java.util.Arrays;

/**
 * The items of one directory's GOODBYE record: one per child, collected while the directory is written, then
 * sorted by (hash, start offset) and permuted into the implicit binary search tree casync writes
 * ({@code src/camakebst.c}).
 */
public final class GoodbyeTable {
    /** One child: where its FILENAME record starts, where its serialization ends, and its name hash. */
    public record Item(long start, long end, long hash) {
    }

    private Item[] items = new Item[8];
    private int n;

    /** Adds a child whose FILENAME record starts at {@code start} and whose serialization ends at {@code end}. */
    public void add(long start, long end, long hash) {
        if (n == items.length) {
            items = Arrays.copyOf(items, n * 2);
        }
        items[n++] = new Item(start, end, hash);
    }

    /** Number of children. */
    public int size() {
        return n;
    }

    /** Size of the GOODBYE record: header, items and tail. */
    public long recordSize() {
        return CatarFormat.HEADER_SIZE + (long) CatarFormat.GOODBYE_ITEM_SIZE * (n + 1);
    }

    /**
     * The whole GOODBYE record for a directory whose ENTRY starts at {@code entryStart} and whose GOODBYE record
     * starts at {@code goodbyeStart}.
     */
    public byte[] record(long entryStart, long goodbyeStart) {
        Item[] sorted = Arrays.copyOf(items, n);
        Arrays.sort(sorted, (a, b) -> {
            int c = Long.compareUnsigned(a.hash, b.hash);
            return c != 0 ? c : Long.compareUnsigned(a.start, b.start);
        });
        Item[] bst = bst(sorted);
        long size = recordSize();
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate((int) size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bb.putLong(size).putLong(CatarFormat.GOODBYE);
        for (Item it : bst) {
            bb.putLong(goodbyeStart - it.start).putLong(it.end - it.start).putLong(it.hash);
        }
        bb.putLong(goodbyeStart - entryStart).putLong(size).putLong(CatarFormat.GOODBYE_TAIL_MARKER);
        return bb.array();
    }

    /** Permutes a sorted array into casync's BST layout: the children of slot i are at 2i+1 and 2i+2. */
    public static <T> T[] bst(T[] sorted) {
        T[] out = sorted.clone();
        int n = sorted.length;
        if (n > 1) {
            int e = 64 - Long.numberOfLeadingZeros(n); // floor(log2 n) + 1
            inner(sorted, 0, n, e, out, 0);
        }
        return out;
    }

    private static <T> void inner(T[] in, int lo, int n, int e, T[] out, int i) {
        if (n == 0) {
            return;
        }
        long p = 1L << (e - 1);
        long q = 1L << e;
        long k = n >= p - 1 + p / 2 ? (q - 2) / 2 : (q - 2) / 2 - (p - 1 + p / 2 - n);
        out[i] = in[lo + (int) k];
        inner(in, lo, (int) k, e - 1, out, 2 * i + 1);
        inner(in, lo + (int) k + 1, n - (int) k - 1, e - 1, out, 2 * i + 2);
    }
}
