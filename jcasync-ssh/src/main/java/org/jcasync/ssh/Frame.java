package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One protocol frame: its type and its body (the bytes after the 16-byte header), already checked by
 * {@link FrameReader} against casync's rules for that type.
 *
 * @param type one of the {@link CasyncProtocol} frame types
 * @param body the bytes after the header
 */
public record Frame(long type, byte[] body) {
    /** A frame's {@code u64le} at {@code off} in the body. */
    long u64(int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (body[off + i] & 0xff);
        }
        return v;
    }

    /** HELLO: the feature flags. */
    public long featureFlags() {
        return u64(0);
    }

    /** REQUEST: its flags; CHUNK: its flags; ABORT: the errno. */
    public long flags() {
        return u64(0);
    }

    /** REQUEST: the chunk ids asked for. */
    public List<ChunkId> requestedIds() {
        List<ChunkId> ids = new ArrayList<>((body.length - 8) / CasyncProtocol.ID_SIZE);
        for (int off = 8; off < body.length; off += CasyncProtocol.ID_SIZE) {
            ids.add(ChunkId.of(body, off));
        }
        return ids;
    }

    /** CHUNK: the chunk's id; MISSING: the id of the chunk the sender does not have. */
    public ChunkId chunkId() {
        return ChunkId.of(body, type == CasyncProtocol.MISSING ? 0 : 8);
    }

    /** CHUNK: whether the data is compressed. */
    public boolean compressed() {
        return (flags() & CasyncProtocol.CHUNK_COMPRESSED) != 0;
    }

    /** CHUNK: the chunk's bytes as sent. */
    public byte[] chunkData() {
        return Arrays.copyOfRange(body, 8 + CasyncProtocol.ID_SIZE, body.length);
    }

    /** ABORT: the reason, without its terminating NUL. */
    public String abortReason() {
        return new String(body, 8, body.length - 9, StandardCharsets.UTF_8);
    }

    /** An ABORT frame as a one-line description. */
    public String describeAbort() {
        String reason = abortReason();
        long errno = flags();
        return reason.isEmpty() ? "aborted" + (errno != 0 ? " (errno " + errno + ")" : "") : reason;
    }
}
