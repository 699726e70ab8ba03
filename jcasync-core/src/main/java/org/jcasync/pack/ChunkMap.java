package org.jcasync.pack;

import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each chunk of one index is packed ({@code <index file>.camap}, beside the index): for chunk i of the index,
 * a pack and the offset and length of its compressed frame there, or "loose" (read it as a {@code .cacnk} file).
 * The map names the SHA-512/256 of the index file it was made for, so a map left over from another version of the
 * index is recognized as stale.
 * <p>
 * Layout (little endian): magic {@code CACHKMAP}, u32 version 1, u32 pack count P, u32 chunk count N, u32 own pack
 * (the number of the pack made with this index plus one, or 0 for none), the 32-byte digest of the index file, P
 * pack ids (32 bytes each), N entries {u32 pack number or 0xFFFFFFFF for loose, u32 length, u64 offset}, then the
 * SHA-512/256 of everything before it.
 * <p>
 * The <em>own pack</em> is the pack that received the chunks this index added to the store: when the index is a new
 * version of an image or tree, its chunks there are what the previous version lacks, so a client updating from the
 * previous version can start fetching them before it has worked out exactly what its seeds hold.
 */
public final class ChunkMap {
    /** What is appended to an index's name to name its map. */
    public static final String SUFFIX = ".camap";
    static final byte[] MAGIC = "CACHKMAP".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int HEADER = 24;
    private static final int ENTRY = 16;
    private static final int LOOSE = -1;

    private final byte[] indexDigest;
    private final List<PackId> packs;
    private final int[] pack;
    private final int[] length;
    private final long[] offset;
    /** Number of the own pack, or -1. */
    private final int own;

    private ChunkMap(byte[] indexDigest, List<PackId> packs, int own, int[] pack, int[] length, long[] offset) {
        this.indexDigest = indexDigest;
        this.packs = List.copyOf(packs);
        this.own = own;
        this.pack = pack;
        this.length = length;
        this.offset = offset;
    }

    /** Where one chunk's frame is. */
    public record Location(PackId pack, long offset, int length) {
        /** The first byte after the frame. */
        public long end() {
            return offset + length;
        }
    }

    /** Finds a chunk in packs. */
    @FunctionalInterface
    public interface Locator {
        /** Where chunk i of the index is packed, or null when it is only loose. */
        Location locate(int i);
    }

    /** The map of {@code index} (whose file bytes are {@code indexFile}), locating each chunk with {@code where}. */
    public static ChunkMap build(byte[] indexFile, Index index, Locator where) {
        return build(indexFile, index, where, null);
    }

    /**
     * The map of {@code index} (whose file bytes are {@code indexFile}), locating each chunk with {@code where};
     * {@code ownPack} is the pack made with this index (ignored when the map places no chunk in it), or null.
     */
    public static ChunkMap build(byte[] indexFile, Index index, Locator where, PackId ownPack) {
        int n = index.size();
        int[] pack = new int[n];
        int[] length = new int[n];
        long[] offset = new long[n];
        List<PackId> packs = new ArrayList<>();
        Map<PackId, Integer> numbers = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Location l = where.locate(i);
            if (l == null) {
                pack[i] = LOOSE;
                continue;
            }
            pack[i] = numbers.computeIfAbsent(l.pack(), p -> {
                packs.add(p);
                return packs.size() - 1;
            });
            length[i] = l.length();
            offset[i] = l.offset();
        }
        return new ChunkMap(digest(indexFile), packs, ownPack == null ? -1 : packs.indexOf(ownPack), pack, length,
                offset);
    }

    private static byte[] digest(byte[] b) {
        return DigestAlgorithm.SHA512_256.digestBytes(b, 0, b.length);
    }

    /** Whether this map was made for the index file {@code indexFile} (else it is stale and must not be used). */
    public boolean matches(byte[] indexFile) {
        return matchesDigest(digest(indexFile));
    }

    /** Whether this map was made for the index file whose SHA-512/256 is {@code indexFileDigest}. */
    public boolean matchesDigest(byte[] indexFileDigest) {
        return Arrays.equals(indexDigest, indexFileDigest);
    }

    /** The packs the map refers to. */
    public List<PackId> packs() {
        return packs;
    }

    /** The pack that received the chunks this index added to the store, or null when the map names none. */
    public PackId ownPack() {
        return own < 0 ? null : packs.get(own);
    }

    /** Chunks in the map (the index's chunk count). */
    public int size() {
        return pack.length;
    }

    /** Where chunk {@code i} of the index is packed, or null when it is loose. */
    public Location location(int i) {
        return pack[i] == LOOSE ? null : new Location(packs.get(pack[i]), offset[i], length[i]);
    }

    /** Chunks of the index that are in a pack. */
    public int packedCount() {
        int n = 0;
        for (int p : pack) {
            n += p == LOOSE ? 0 : 1;
        }
        return n;
    }

    /** The file's bytes. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(HEADER + 32 + packs.size() * 32 + pack.length * ENTRY + 32)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(1).putInt(packs.size()).putInt(pack.length).putInt(own + 1).put(indexDigest);
        for (PackId p : packs) {
            b.put(p.toBytes());
        }
        for (int i = 0; i < pack.length; i++) {
            b.putInt(pack[i]).putInt(length[i]).putLong(offset[i]);
        }
        byte[] out = b.array();
        System.arraycopy(DigestAlgorithm.SHA512_256.digestBytes(out, 0, out.length - 32), 0, out, out.length - 32,
                32);
        return out;
    }

    /**
     * Reads a chunk map file from {@code in} as it arrives: its header says exactly how long it is, so nothing past
     * that is read (a longer stream is refused) and nothing is allocated for a map of more than {@code maxChunks}
     * chunks or more packs than chunks. The bytes are then {@link #check checked} and returned for {@link #parse}.
     *
     * @param name for messages
     */
    public static byte[] read(java.io.InputStream in, int maxChunks, String name) throws IOException {
        byte[] head = in.readNBytes(HEADER + 32);
        if (head.length < HEADER + 32 || !Arrays.equals(head, 0, 8, MAGIC, 0, 8)) {
            throw new IOException(name + ": not a chunk map (bad magic or too short)");
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        long packCount = Integer.toUnsignedLong(b.getInt(12));
        long n = Integer.toUnsignedLong(b.getInt(16));
        if (n > maxChunks || packCount > n) {
            throw new IOException(name + ": chunk map declares " + n + " chunks in " + packCount + " packs (at most "
                    + maxChunks + " chunks, and no more packs than chunks)");
        }
        long size = HEADER + 32 + packCount * 32 + n * ENTRY + 32;
        byte[] file = Arrays.copyOf(head, (int) size);
        int got = in.readNBytes(file, head.length, file.length - head.length);
        if (got < file.length - head.length) {
            throw new IOException(name + ": chunk map ends after " + (head.length + got) + " of its " + size
                    + " bytes");
        }
        if (in.read() >= 0) {
            throw new IOException(name + ": chunk map is longer than the " + size + " bytes its header declares");
        }
        check(file, name);
        return file;
    }

    /**
     * Checks that {@code file} is a whole chunk map: magic, version, size matching its counts, checksum (what can be
     * checked without its index, e.g. when a server receives one).
     *
     * @param name for messages
     * @throws IOException naming what is wrong
     */
    public static void check(byte[] file, String name) throws IOException {
        if (file.length < HEADER + 64 || !Arrays.equals(file, 0, 8, MAGIC, 0, 8)) {
            throw new IOException(name + ": not a chunk map (bad magic or too short)");
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getInt(8);
        long packCount = Integer.toUnsignedLong(b.getInt(12));
        long n = Integer.toUnsignedLong(b.getInt(16));
        if (version != 1) {
            throw new IOException(name + ": chunk map version " + version + " is not supported");
        }
        if (file.length != HEADER + 32 + packCount * 32 + n * ENTRY + 32) {
            throw new IOException(name + ": chunk map of " + file.length + " bytes does not match its counts");
        }
        if (!Arrays.equals(DigestAlgorithm.SHA512_256.digestBytes(file, 0, file.length - 32), 0, 32, file,
                file.length - 32, file.length)) {
            throw new IOException(name + ": chunk map checksum mismatch (corrupt file)");
        }
    }

    /**
     * Parses a map, checking magic, version, sizes, checksum and every entry.
     *
     * @param chunks the chunk count of the index it belongs to
     * @param name for messages
     */
    public static ChunkMap parse(byte[] file, int chunks, String name) throws IOException {
        check(file, name);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long packCount = Integer.toUnsignedLong(b.getInt(12));
        long n = Integer.toUnsignedLong(b.getInt(16));
        if (n != chunks) {
            throw new IOException(name + ": chunk map has " + n + " chunks, the index " + chunks + " (stale map)");
        }
        long ownPlusOne = Integer.toUnsignedLong(b.getInt(20));
        if (ownPlusOne > packCount) {
            throw new IOException(name + ": chunk map names own pack " + ownPlusOne + " of " + packCount);
        }
        byte[] indexDigest = Arrays.copyOfRange(file, HEADER, HEADER + 32);
        List<PackId> packs = new ArrayList<>();
        int at = HEADER + 32;
        for (int i = 0; i < packCount; i++, at += 32) {
            packs.add(PackId.of(Arrays.copyOfRange(file, at, at + 32)));
        }
        int[] pack = new int[(int) n];
        int[] length = new int[(int) n];
        long[] offset = new long[(int) n];
        for (int i = 0; i < n; i++, at += ENTRY) {
            pack[i] = b.getInt(at);
            length[i] = b.getInt(at + 4);
            offset[i] = b.getLong(at + 8);
            if (pack[i] != LOOSE && (pack[i] < 0 || pack[i] >= packCount || length[i] <= 0 || offset[i] < 0)) {
                throw new IOException(name + ": entry " + i + " names no pack or an impossible range");
            }
        }
        return new ChunkMap(indexDigest, packs, (int) ownPlusOne - 1, pack, length, offset);
    }
}
