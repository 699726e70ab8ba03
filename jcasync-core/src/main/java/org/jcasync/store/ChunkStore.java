package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Where chunks are read from. Implementations are safe for concurrent use. */
public interface ChunkStore extends Closeable {
    /**
     * Reads, decompresses and verifies a chunk.
     *
     * @return the uncompressed bytes, whose digest is {@code id}
     * @throws ChunkMissingException when the store does not have it
     * @throws ChunkInvalidException when the stored bytes are not that chunk
     */
    byte[] get(ChunkId id) throws IOException;

    /**
     * Reads several chunks, each verified like {@link #get}; a chunk the store does not have is {@code null} in the
     * result. Stores that can verify a batch together (multi-buffer digests) override this.
     */
    default byte[][] getAll(List<ChunkId> ids) throws IOException {
        byte[][] out = new byte[ids.size()][];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = get(ids.get(i));
            } catch (ChunkMissingException e) {
                out[i] = null;
            }
        }
        return out;
    }

    /**
     * {@link #getAll(List)}, telling {@code listener} about each chunk delivered with its stored bytes.
     * Network stores override this so a cache keeps the compressed frames they downloaded instead of compressing
     * the chunks again.
     */
    default byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        byte[][] out = getAll(ids);
        for (int i = 0; i < out.length; i++) {
            if (out[i] != null) {
                listener.fetched(ids.get(i), out[i], null);
            }
        }
        return out;
    }

    /**
     * {@link #get}, also telling in {@code servedBy[0]} the role of the store that served it, so an extract can
     * count what a cache saved. Composites that can hold a cache ({@link StoreRouter}, {@link CachedStore}) pass
     * the question on; every other store is a {@link StoreStats.Role#STORE}.
     */
    default byte[] getWithRole(ChunkId id, StoreStats.Role[] servedBy) throws IOException {
        byte[] data = get(id);
        servedBy[0] = StoreStats.Role.STORE;
        return data;
    }

    /** {@link #getAll(List)}, also telling for each chunk the role of the store that served it. */
    default byte[][] getAllWithRoles(List<ChunkId> ids, StoreStats.Role[] servedBy) throws IOException {
        byte[][] out = getAll(ids);
        Arrays.fill(servedBy, StoreStats.Role.STORE);
        return out;
    }

    /**
     * The chunk's bytes as the store keeps them (a compressed frame, or raw for uncompressed casync chunks), not
     * verified; for servers that pass chunks on as they are.
     *
     * @throws ChunkMissingException when the store does not have it
     */
    default byte[] getStored(ChunkId id) throws IOException {
        byte[] data = get(id);
        return Compression.ZSTD.compress(data, 0, data.length);
    }

    /**
     * A hint: these chunks will be asked for next, about in this order. Stores that fetch in bulk (packs read with
     * range requests) start fetching them now; others ignore it.
     */
    default void willNeed(List<ChunkId> ids) {
    }

    /**
     * A guess, before the caller knows exactly what it needs (while it is still searching its seeds): it may ask for
     * some of these chunks. A store that fetches in bulk may start on the ones it has reason to think are really
     * missing (packs: the chunks the index's own pack holds); {@link #willNeed} follows with the real list, and
     * what was guessed wrongly and not yet fetched is dropped then. Others ignore it.
     */
    default void mayNeed(List<ChunkId> ids) {
    }

    /** Whether {@link #has} costs no more than a local lookup (no network request). */
    default boolean hasIsCheap() {
        return false;
    }

    /** The ids among {@code ids} this store does not have (a failed lookup counts as not having it). */
    default List<ChunkId> lacking(List<ChunkId> ids) {
        List<ChunkId> out = new ArrayList<>();
        for (ChunkId id : ids) {
            try {
                if (!has(id)) {
                    out.add(id);
                }
            } catch (IOException e) {
                out.add(id);
            }
        }
        return out;
    }

    /** Closes every store, all of them even when some fail; rethrows the first failure. */
    static void closeAll(List<? extends ChunkStore> stores) throws IOException {
        IOException first = null;
        for (ChunkStore s : stores) {
            try {
                s.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Every store's stats, in order. */
    static List<StoreStats> statsOf(List<? extends ChunkStore> stores) {
        List<StoreStats> all = new ArrayList<>();
        for (ChunkStore s : stores) {
            all.addAll(s.stats());
        }
        return all;
    }

    /** Whether the store has the chunk (not verified). */
    boolean has(ChunkId id) throws IOException;

    /** Bytes read from where the store keeps its chunks (compressed, as stored), for reports. */
    default long bytesRead() {
        return 0;
    }

    /** What this store (or each store behind it) did so far, for transfer reports. */
    default List<StoreStats> stats() {
        return List.of(new StoreStats(location(), 0, bytesRead(), 0, 0, 0));
    }

    /** Where the store is, for messages. */
    String location();

    @Override
    default void close() throws IOException {
    }
}
