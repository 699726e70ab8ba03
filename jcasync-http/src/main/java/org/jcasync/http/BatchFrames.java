package org.jcasync.http;

import org.jcasync.chunk.ChunkId;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The wire format of a chunk-server's batch requests (docs/packs.md, "Batch requests"): the request body is the
 * chunk ids, 32 bytes each; the reply is, for each id in order, a 40-byte header {32-byte id, u32 status (0
 * present, 1 missing), u32 length} (little endian) and then {@code length} bytes of the chunk's stored frame.
 */
final class BatchFrames {
    /** Bytes of a frame header. */
    static final int HEADER = ChunkId.LENGTH + 8;
    private static final int PRESENT = 0;
    private static final int MISSING = 1;

    private BatchFrames() {
    }

    /** The request body asking for {@code ids}. */
    static byte[] request(List<ChunkId> ids) {
        byte[] b = new byte[ids.size() * ChunkId.LENGTH];
        for (int i = 0; i < ids.size(); i++) {
            ids.get(i).copyTo(b, i * ChunkId.LENGTH);
        }
        return b;
    }

    /** What a reply said of one chunk: its frame, or null when the server does not have it. */
    record Frame(byte[] stored) {
        boolean missing() {
            return stored == null;
        }
    }

    /** Receives the frames of a reply in order. */
    @FunctionalInterface
    interface FrameSink {
        /** Chunk {@code i} of the request. */
        void accept(int i, Frame frame);
    }

    /**
     * Reads the frames of {@code reply} (a reply to a request for {@code ids}), handing each whole one to
     * {@code sink}; stops at the first that is cut short or does not match what was asked.
     *
     * @param maxFrame largest frame accepted
     * @return the number of frames read, or -1 when it is fewer than asked and the reply is malformed rather than
     *     merely cut short; the message then says why
     */
    static int read(byte[] reply, List<ChunkId> ids, long maxFrame, FrameSink sink, StringBuilder problem) {
        ByteBuffer b = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN);
        int i = 0;
        int at = 0;
        for (; i < ids.size(); i++) {
            if (reply.length - at < HEADER) {
                return i;
            }
            int status = b.getInt(at + ChunkId.LENGTH);
            long length = Integer.toUnsignedLong(b.getInt(at + ChunkId.LENGTH + 4));
            byte[] want = ids.get(i).toBytes();
            if (!Arrays.equals(reply, at, at + ChunkId.LENGTH, want, 0, ChunkId.LENGTH)) {
                problem.append("frame ").append(i).append(" is of another chunk than asked");
                return -1;
            }
            if (status != PRESENT && status != MISSING || status == MISSING && length != 0 || length > maxFrame) {
                problem.append("frame ").append(i).append(" has status ").append(status).append(" and length ")
                        .append(length);
                return -1;
            }
            if (reply.length - at - HEADER < length) {
                return i;
            }
            at += HEADER;
            sink.accept(i, new Frame(status == MISSING ? null : Arrays.copyOfRange(reply, at, at + (int) length)));
            at += (int) length;
        }
        if (at != reply.length) {
            problem.append((reply.length - at) + " bytes after the last frame");
            return -1;
        }
        return i;
    }
}
