package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.Compression;
import org.jcasync.store.StoreOptions;

import java.io.IOException;

/** Turns chunks as received (compressed frames, or raw) into verified chunk bytes, a batch at a time. */
final class ChunkVerifier {
    private ChunkVerifier() {
    }

    /**
     * Decompresses each {@code received[i]} (when {@code compressed[i]}) and checks its digest is {@code ids[i]}
     * (one multi-buffer digest call for the batch); null entries (missing chunks) stay null.
     *
     * @throws ChunkInvalidException for the first chunk that does not decompress or does not match its id
     */
    static byte[][] verify(ChunkId[] ids, byte[][] received, boolean[] compressed, StoreOptions options,
                           String location) throws IOException {
        byte[][] data = new byte[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            byte[] r = received[i];
            if (r == null) {
                continue;
            }
            if (compressed[i]) {
                try {
                    data[i] = Compression.decompress(r, r.length, options.maxChunkSize());
                } catch (IOException e) {
                    throw new ChunkInvalidException(ids[i], location, e.getMessage(), e);
                }
            } else if (r.length > options.maxChunkSize()) {
                throw new ChunkInvalidException(ids[i], location, r.length
                        + " bytes, more than the maximum chunk size " + options.maxChunkSize(), null);
            } else {
                data[i] = r;
            }
            if (data[i].length == 0) {
                throw new ChunkInvalidException(ids[i], location, "empty chunk", null);
            }
        }
        ChunkId[] actual = options.digest().ids(data);
        for (int i = 0; i < ids.length; i++) {
            if (data[i] != null && !actual[i].equals(ids[i])) {
                throw new ChunkInvalidException(ids[i], location, "its content has digest " + actual[i], null);
            }
        }
        return data;
    }
}
