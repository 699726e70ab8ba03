package org.jcasync.server;

import org.jcasync.chunk.ChunkId;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The messages of a batch request (docs/packs.md) as tests write and read them, independently of the code under test:
 * a request body of ids, the frames of a reply. Shared with jcasync-http's tests.
 */
public final class BatchMessages {
    private BatchMessages() {
    }

    /** A request body: the ids, 32 bytes each. */
    public static byte[] request(List<ChunkId> ids) {
        byte[] b = new byte[ids.size() * ChunkId.LENGTH];
        for (int i = 0; i < ids.size(); i++) {
            ids.get(i).copyTo(b, i * ChunkId.LENGTH);
        }
        return b;
    }

    /** One frame of a reply. */
    public record Frame(ChunkId id, int status, byte[] data) {
    }

    /** The bytes of a frame: its header {id, status, length} (little endian), then {@code data}. */
    public static byte[] frame(ChunkId id, int status, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(BatchReply.HEADER + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(id.toBytes()).putInt(status).putInt(data.length).put(data);
        return b.array();
    }

    /** Reads every frame of a reply (failing on a truncated one). */
    public static List<Frame> frames(InputStream in) throws IOException {
        List<Frame> out = new ArrayList<>();
        while (true) {
            byte[] h = in.readNBytes(BatchReply.HEADER);
            if (h.length == 0) {
                return out;
            }
            assertThat(h).hasSize(BatchReply.HEADER);
            ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
            int status = b.getInt(ChunkId.LENGTH);
            int length = b.getInt(ChunkId.LENGTH + 4);
            byte[] data = in.readNBytes(length);
            assertThat(data).hasSize(length);
            out.add(new Frame(ChunkId.of(h, 0), status, data));
        }
    }
}
