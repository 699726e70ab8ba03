package org.jcasync.server;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The body of a batch reply ({@code POST /batch}, see docs/packs.md): for each requested chunk in order, a 40-byte
 * header {32-byte chunk id, u32 status (0 present, 1 missing), u32 length} (little endian) and then {@code length}
 * bytes of the chunk's stored frame. Frames are written as they are read: a few reads run ahead of the one being
 * written (so the upstream's latency overlaps), and no more, so memory stays bounded.
 */
public final class BatchReply implements Reply.Stream {
    /** Most chunk ids in one batch request. */
    public static final int MAX_IDS = 4096;
    /** Bytes of a frame header. */
    public static final int HEADER = ChunkId.LENGTH + 8;
    /** Status of a chunk that is sent. */
    public static final int PRESENT = 0;
    /** Status of a chunk no upstream has. */
    public static final int MISSING = 1;
    /** Reads running ahead of the frame being written. */
    private static final int AHEAD = 8;

    /** Reads one chunk's stored frame. */
    @FunctionalInterface
    public interface Loader {
        /** The frame, or null when the chunk is missing. */
        byte[] load(ChunkId id) throws IOException;
    }

    private final List<ChunkId> ids;
    private final Loader loader;

    /** The reply for {@code ids}, read with {@code loader}. */
    public BatchReply(List<ChunkId> ids, Loader loader) {
        this.ids = List.copyOf(ids);
        this.loader = loader;
    }

    /**
     * The ids of a request body: a whole number of 32-byte ids, at most {@link #MAX_IDS}.
     *
     * @throws HttpStatusException 400 for a body that is not
     */
    public static List<ChunkId> parseIds(byte[] body) throws HttpStatusException {
        if (body.length % ChunkId.LENGTH != 0) {
            throw new HttpStatusException(400, "a batch request body is a sequence of 32-byte chunk ids; "
                    + body.length + " bytes is not a multiple of 32");
        }
        if (body.length / ChunkId.LENGTH > MAX_IDS) {
            throw new HttpStatusException(413, "a batch request asks for at most " + MAX_IDS + " chunks, not "
                    + body.length / ChunkId.LENGTH);
        }
        List<ChunkId> out = new ArrayList<>(body.length / ChunkId.LENGTH);
        for (int at = 0; at < body.length; at += ChunkId.LENGTH) {
            out.add(ChunkId.of(body, at));
        }
        return out;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        ExecutorService reads = Executors.newVirtualThreadPerTaskExecutor();
        ArrayDeque<Future<byte[]>> ahead = new ArrayDeque<>();
        try {
            int next = 0;
            for (ChunkId id : ids) {
                while (next < ids.size() && ahead.size() < AHEAD) {
                    ChunkId want = ids.get(next++);
                    ahead.add(reads.submit(() -> loader.load(want)));
                }
                byte[] frame = await(ahead.poll());
                ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
                h.put(id.toBytes()).putInt(frame == null ? MISSING : PRESENT).putInt(frame == null ? 0 : frame.length);
                out.write(h.array());
                if (frame != null) {
                    out.write(frame);
                }
            }
        } finally {
            for (Future<byte[]> f : ahead) {
                f.cancel(true);
            }
            reads.shutdownNow();
        }
    }

    private static byte[] await(Future<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading a chunk");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }
}
