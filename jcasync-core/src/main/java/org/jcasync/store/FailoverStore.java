package org.jcasync.store;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A failover group ({@code a|b} in a store location, as in desync): mirrors of the same chunks, one of them in use
 * at a time. A chunk missing from the one in use is missing; when the store in use fails (unreachable, errors, a
 * corrupt chunk) the next one takes over for this and later requests.
 */
public final class FailoverStore implements ChunkStore {
    private final List<ChunkStore> mirrors;
    private final AtomicInteger active = new AtomicInteger();

    /** The group, first one in use first. */
    public FailoverStore(List<ChunkStore> mirrors) {
        if (mirrors.isEmpty()) {
            throw new IllegalArgumentException("a failover group needs at least one store");
        }
        this.mirrors = List.copyOf(mirrors);
    }

    /** The stores of the group. */
    public List<ChunkStore> mirrors() {
        return mirrors;
    }

    private interface Call<T> {
        T on(ChunkStore s) throws IOException;
    }

    private <T> T withFailover(Call<T> call) throws IOException {
        int start = active.get();
        IOException last = null;
        for (int k = 0; k < mirrors.size(); k++) {
            int i = (start + k) % mirrors.size();
            try {
                T r = call.on(mirrors.get(i));
                if (k > 0) {
                    active.compareAndSet(start, i);
                }
                return r;
            } catch (ChunkMissingException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                last = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            }
        }
        throw last;
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        return withFailover(s -> s.get(id));
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids) throws IOException {
        return withFailover(s -> s.getAll(ids));
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        return withFailover(s -> s.getAll(ids, listener));
    }

    @Override
    public void willNeed(List<ChunkId> ids) {
        mirrors.get(active.get()).willNeed(ids);
    }

    @Override
    public void mayNeed(List<ChunkId> ids) {
        mirrors.get(active.get()).mayNeed(ids);
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        return withFailover(s -> s.getStored(id));
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        return withFailover(s -> s.has(id));
    }

    @Override
    public long bytesRead() {
        long n = 0;
        for (ChunkStore s : mirrors) {
            n += s.bytesRead();
        }
        return n;
    }

    @Override
    public List<StoreStats> stats() {
        return ChunkStore.statsOf(mirrors);
    }

    @Override
    public String location() {
        StringBuilder b = new StringBuilder();
        for (ChunkStore s : mirrors) {
            if (!b.isEmpty()) {
                b.append('|');
            }
            b.append(s.location());
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        ChunkStore.closeAll(mirrors);
    }
}
