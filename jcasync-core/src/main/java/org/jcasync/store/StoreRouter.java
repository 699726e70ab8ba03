package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.StoreStats.Role;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Several stores tried in order: a chunk missing from one is looked up in the next; any other failure (a corrupt
 * chunk, an unreadable store) is reported at once rather than hidden.
 */
public final class StoreRouter implements ChunkStore {
    private final List<ChunkStore> stores;

    /** Tries {@code stores} in this order. */
    public StoreRouter(List<ChunkStore> stores) {
        if (stores.isEmpty()) {
            throw new IllegalArgumentException("no store given");
        }
        this.stores = List.copyOf(stores);
    }

    /** The stores, in lookup order. */
    public List<ChunkStore> stores() {
        return stores;
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        for (ChunkStore s : stores) {
            try {
                return s.get(id);
            } catch (ChunkMissingException e) {
                // next store
            }
        }
        throw new ChunkMissingException(id, location());
    }

    /** {@link #get}, with the role of the store that had it (a cache among the stores says so). */
    @Override
    public byte[] getWithRole(ChunkId id, Role[] servedBy) throws IOException {
        for (ChunkStore s : stores) {
            try {
                return s.getWithRole(id, servedBy);
            } catch (ChunkMissingException e) {
                // next store
            }
        }
        throw new ChunkMissingException(id, location());
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids) throws IOException {
        return getAll(ids, null, null);
    }

    /** Each store in turn is asked for what the ones before it did not have. */
    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        return getAll(ids, listener, null);
    }

    @Override
    public byte[][] getAllWithRoles(List<ChunkId> ids, Role[] servedBy) throws IOException {
        return getAll(ids, null, servedBy);
    }

    private byte[][] getAll(List<ChunkId> ids, FetchListener listener, Role[] servedBy) throws IOException {
        byte[][] out = new byte[ids.size()][];
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            todo.add(i);
        }
        for (ChunkStore s : stores) {
            if (todo.isEmpty()) {
                break;
            }
            List<ChunkId> ask = new ArrayList<>(todo.size());
            for (int i : todo) {
                ask.add(ids.get(i));
            }
            Role[] roles = servedBy == null ? null : new Role[ask.size()];
            byte[][] got = roles != null ? s.getAllWithRoles(ask, roles)
                    : listener == null ? s.getAll(ask) : s.getAll(ask, listener);
            List<Integer> still = new ArrayList<>();
            for (int k = 0; k < got.length; k++) {
                if (got[k] != null) {
                    out[todo.get(k)] = got[k];
                    if (roles != null) {
                        servedBy[todo.get(k)] = roles[k];
                    }
                } else {
                    still.add(todo.get(k));
                }
            }
            todo = still;
        }
        return out;
    }

    /**
     * Passed to every store in turn, less what a store before it has when that is cheap to tell (local stores,
     * seeds): each prefetches what it holds in bulk.
     */
    @Override
    public void willNeed(List<ChunkId> ids) {
        tellEach(ids, ChunkStore::willNeed);
    }

    /** Passed on like {@link #willNeed}. */
    @Override
    public void mayNeed(List<ChunkId> ids) {
        tellEach(ids, ChunkStore::mayNeed);
    }

    private void tellEach(List<ChunkId> ids, BiConsumer<ChunkStore, List<ChunkId>> hint) {
        // Even an empty list is passed on: it tells a store that guessed (mayNeed) that nothing more is needed.
        List<ChunkId> left = ids;
        for (ChunkStore s : stores) {
            hint.accept(s, left);
            if (s.hasIsCheap()) {
                left = s.lacking(left);
            }
        }
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        for (ChunkStore s : stores) {
            try {
                return s.getStored(id);
            } catch (ChunkMissingException e) {
                // next store
            }
        }
        throw new ChunkMissingException(id, location());
    }

    @Override
    public List<StoreStats> stats() {
        return ChunkStore.statsOf(stores);
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        for (ChunkStore s : stores) {
            if (s.has(id)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public long bytesRead() {
        long n = 0;
        for (ChunkStore s : stores) {
            n += s.bytesRead();
        }
        return n;
    }

    @Override
    public String location() {
        StringBuilder b = new StringBuilder();
        for (ChunkStore s : stores) {
            if (!b.isEmpty()) {
                b.append(", ");
            }
            b.append(s.location());
        }
        return stores.size() == 1 ? b.toString() : "[" + b + "]";
    }

    @Override
    public void close() throws IOException {
        ChunkStore.closeAll(stores);
    }
}
