package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The lookup table of one pack ({@code <pack id>.capidx}): for every chunk in the pack, where its compressed frame
 * is. Layout (little endian): magic {@code CAPACKIX}, u32 version 1, u32 count, then count entries sorted by chunk
 * id of {32-byte id, u64 offset, u32 length, u32 zero}, then the SHA-512/256 of everything before it.
 */
public final class PackIndex {
    static final byte[] MAGIC = "CAPACKIX".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int HEADER = 16;
    private static final int ENTRY = 48;
    /** More chunks than any pack holds (packs of 1 TiB of 4 KiB chunks stay below). */
    private static final int MAX_COUNT = 1 << 28;

    private final PackId pack;
    private final byte[] ids;
    private final long[] offsets;
    private final int[] lengths;

    private PackIndex(PackId pack, byte[] ids, long[] offsets, int[] lengths) {
        this.pack = pack;
        this.ids = ids;
        this.offsets = offsets;
        this.lengths = lengths;
    }

    /** One chunk's frame in a pack. */
    public record Entry(ChunkId id, long offset, int length) {
    }

    /** The table of pack {@code pack} for {@code entries} (any order; ids must be distinct). */
    public static PackIndex of(PackId pack, List<Entry> entries) {
        Entry[] e = entries.toArray(Entry[]::new);
        Arrays.sort(e, (a, b) -> a.id().compareTo(b.id()));
        byte[] ids = new byte[e.length * ChunkId.LENGTH];
        long[] offsets = new long[e.length];
        int[] lengths = new int[e.length];
        for (int i = 0; i < e.length; i++) {
            if (i > 0 && e[i].id().equals(e[i - 1].id())) {
                throw new IllegalArgumentException("chunk " + e[i].id() + " twice in pack " + pack);
            }
            e[i].id().copyTo(ids, i * ChunkId.LENGTH);
            offsets[i] = e[i].offset();
            lengths[i] = e[i].length();
        }
        return new PackIndex(pack, ids, offsets, lengths);
    }

    /** The pack this table describes. */
    public PackId pack() {
        return pack;
    }

    /** Chunks in the pack. */
    public int size() {
        return offsets.length;
    }

    /** The i-th entry in id order. */
    public Entry entry(int i) {
        return new Entry(ChunkId.of(ids, i * ChunkId.LENGTH), offsets[i], lengths[i]);
    }

    /** Where chunk {@code id} is, or null when the pack does not have it. */
    public Entry find(ChunkId id) {
        byte[] want = id.toBytes();
        int lo = 0;
        int hi = offsets.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Arrays.compareUnsigned(ids, mid * ChunkId.LENGTH, (mid + 1) * ChunkId.LENGTH, want, 0,
                    ChunkId.LENGTH);
            if (c == 0) {
                return new Entry(id, offsets[mid], lengths[mid]);
            }
            if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return null;
    }

    /** The file's bytes. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(HEADER + offsets.length * ENTRY + 32).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(1).putInt(offsets.length);
        for (int i = 0; i < offsets.length; i++) {
            b.put(ids, i * ChunkId.LENGTH, ChunkId.LENGTH).putLong(offsets[i]).putInt(lengths[i]).putInt(0);
        }
        byte[] out = b.array();
        byte[] sum = DigestAlgorithm.SHA512_256.digestBytes(out, 0, out.length - 32);
        System.arraycopy(sum, 0, out, out.length - 32, 32);
        return out;
    }

    /**
     * Parses a pack table, checking its magic, version, size, checksum and order.
     *
     * @param name for messages
     */
    public static PackIndex parse(PackId pack, byte[] file, String name) throws IOException {
        if (file.length < HEADER + 32 || !Arrays.equals(file, 0, 8, MAGIC, 0, 8)) {
            throw new IOException(name + ": not a pack index (bad magic or too short)");
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getInt(8);
        long count = Integer.toUnsignedLong(b.getInt(12));
        if (version != 1) {
            throw new IOException(name + ": pack index version " + version + " is not supported");
        }
        if (count > MAX_COUNT || file.length != HEADER + count * ENTRY + 32) {
            throw new IOException(name + ": pack index of " + file.length + " bytes cannot hold " + count
                    + " entries");
        }
        byte[] sum = DigestAlgorithm.SHA512_256.digestBytes(file, 0, file.length - 32);
        if (!Arrays.equals(sum, 0, 32, file, file.length - 32, file.length)) {
            throw new IOException(name + ": pack index checksum mismatch (corrupt file)");
        }
        int n = (int) count;
        byte[] ids = new byte[n * ChunkId.LENGTH];
        long[] offsets = new long[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            int at = HEADER + i * ENTRY;
            System.arraycopy(file, at, ids, i * ChunkId.LENGTH, ChunkId.LENGTH);
            offsets[i] = b.getLong(at + 32);
            lengths[i] = b.getInt(at + 40);
            if (offsets[i] < 0 || lengths[i] <= 0) {
                throw new IOException(name + ": entry " + i + " has an impossible offset or length");
            }
            if (i > 0 && Arrays.compareUnsigned(ids, (i - 1) * ChunkId.LENGTH, i * ChunkId.LENGTH, ids,
                    i * ChunkId.LENGTH, (i + 1) * ChunkId.LENGTH) >= 0) {
                throw new IOException(name + ": entries are not in chunk id order");
            }
        }
        return new PackIndex(pack, ids, offsets, lengths);
    }
}
