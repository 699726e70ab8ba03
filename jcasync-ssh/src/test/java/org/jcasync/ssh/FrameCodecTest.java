package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jcasync.ssh.CasyncProtocol.*;

/** The frame codec against frames built by hand from caprotocol.h's layout. */
class FrameCodecTest {
    private static final ChunkId A = ChunkId.parse("11".repeat(32));
    private static final ChunkId B = ChunkId.parse("ab".repeat(32));

    /** A frame: u64le size (header included), u64le type, then the words and bytes given. */
    private static byte[] frame(long type, long[] words, byte[]... parts) {
        int size = 16 + 8 * words.length;
        for (byte[] p : parts) {
            size += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(size).putLong(type);
        for (long w : words) {
            b.putLong(w);
        }
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    private static FrameReader reader(byte[]... frames) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] f : frames) {
            o.writeBytes(f);
        }
        return new FrameReader(new ByteArrayInputStream(o.toByteArray()), "peer");
    }

    @Test
    void readsHandBuiltFramesOfEveryKind() throws IOException {
        byte[] twoIds = new byte[64];
        A.copyTo(twoIds, 0);
        B.copyTo(twoIds, 32);
        FrameReader r = reader(
                frame(HELLO, new long[] {READABLE_STORE | READABLE_INDEX}),
                frame(REQUEST, new long[] {REQUEST_HIGH_PRIORITY}, twoIds),
                frame(CHUNK, new long[] {CHUNK_COMPRESSED}, A.toBytes(), new byte[] {1, 2, 3}),
                frame(MISSING, new long[0], B.toBytes()),
                frame(INDEX, new long[0], new byte[] {9, 8}),
                frame(INDEX_EOF, new long[0]),
                frame(ABORT, new long[] {5}, "disk on fire\0".getBytes()),
                frame(GOODBYE, new long[0]));
        Frame hello = r.read();
        assertThat(hello.type()).isEqualTo(HELLO);
        assertThat(hello.featureFlags()).isEqualTo(READABLE_STORE | READABLE_INDEX);
        Frame req = r.read();
        assertThat(req.flags()).isEqualTo(REQUEST_HIGH_PRIORITY);
        assertThat(req.requestedIds()).containsExactly(A, B);
        Frame chunk = r.read();
        assertThat(chunk.chunkId()).isEqualTo(A);
        assertThat(chunk.compressed()).isTrue();
        assertThat(chunk.chunkData()).containsExactly(1, 2, 3);
        assertThat(r.read().chunkId()).isEqualTo(B);
        assertThat(r.read().body()).containsExactly(9, 8);
        assertThat(r.read().type()).isEqualTo(INDEX_EOF);
        Frame abort = r.read();
        assertThat(abort.abortReason()).isEqualTo("disk on fire");
        assertThat(abort.flags()).isEqualTo(5);
        assertThat(r.read().type()).isEqualTo(GOODBYE);
        assertThat(r.read()).isNull();
    }

    @Test
    void writerOutputIsWhatCaprotocolHDescribes() throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(o);
        w.hello(PULL_CHUNKS);
        w.request(List.of(A, B), 0);
        w.chunk(A, new byte[] {7}, false);
        w.missing(B);
        w.file(INDEX, new byte[] {0, 5, 6, 0}, 1, 2);
        w.empty(INDEX_EOF);
        w.abort(52, "no");
        w.flush();
        byte[] twoIds = new byte[64];
        A.copyTo(twoIds, 0);
        B.copyTo(twoIds, 32);
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes(frame(HELLO, new long[] {PULL_CHUNKS}));
        want.writeBytes(frame(REQUEST, new long[] {0}, twoIds));
        want.writeBytes(frame(CHUNK, new long[] {0}, A.toBytes(), new byte[] {7}));
        want.writeBytes(frame(MISSING, new long[0], B.toBytes()));
        want.writeBytes(frame(INDEX, new long[0], new byte[] {5, 6}));
        want.writeBytes(frame(INDEX_EOF, new long[0]));
        want.writeBytes(frame(ABORT, new long[] {52}, "no\0".getBytes()));
        assertThat(o.toByteArray()).isEqualTo(want.toByteArray());
    }

    @Test
    void truncatedHeaderAndBodyAreRefused() {
        byte[] hello = frame(HELLO, new long[] {PULL_CHUNKS});
        assertThatThrownBy(() -> reader(java.util.Arrays.copyOf(hello, 10)).read())
                .isInstanceOf(ProtocolException.class).hasMessage("peer: truncated frame header (10 of 16 bytes)");
        assertThatThrownBy(() -> reader(java.util.Arrays.copyOf(hello, 20)).read())
                .isInstanceOf(ProtocolException.class).hasMessage("peer: truncated HELLO frame (20 of 24 bytes)");
    }

    @Test
    void oversizedAndUndersizedLengthsAreRefusedBeforeAllocation() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(Long.MAX_VALUE).putLong(CHUNK);
        // The stream would fail if the reader tried to read (or allocate) the declared body.
        InputStream headerOnly = new ByteArrayInputStream(b.array()) {
            @Override
            public synchronized int read(byte[] buf, int off, int len) {
                if (len > 1 << 20) {
                    throw new AssertionError("tried to read " + len + " bytes");
                }
                return super.read(buf, off, len);
            }
        };
        assertThatThrownBy(() -> new FrameReader(headerOnly, "peer").read())
                .isInstanceOf(ProtocolException.class)
                .hasMessage("peer: CHUNK frame declares 9223372036854775807 bytes, outside the protocol's 16 B to 16 MiB");
        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        big.putLong(-1L).putLong(INDEX);
        assertThatThrownBy(() -> reader(big.array()).read()).hasMessageContaining("18446744073709551615 bytes");
        ByteBuffer small = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        small.putLong(8).putLong(GOODBYE);
        assertThatThrownBy(() -> reader(small.array()).read()).hasMessageContaining("declares 8 bytes");
    }

    @Test
    void framesBreakingCasyncsRulesAreRefused() {
        assertThatThrownBy(() -> reader(frame(0x1234, new long[0])).read())
                .hasMessage("peer: frame of unknown type 0x0000000000001234");
        assertThatThrownBy(() -> reader(frame(HELLO, new long[] {0})).read())
                .hasMessageContaining("HELLO with unsupported feature flags 0x0");
        assertThatThrownBy(() -> reader(frame(HELLO, new long[] {0x2000})).read())
                .hasMessageContaining("unsupported feature flags 0x2000");
        assertThatThrownBy(() -> reader(frame(REQUEST, new long[] {0}, new byte[33])).read())
                .hasMessage("peer: REQUEST frame of invalid size 57");
        assertThatThrownBy(() -> reader(frame(REQUEST, new long[] {2}, new byte[32])).read())
                .hasMessageContaining("REQUEST with unknown flags 0x2");
        assertThatThrownBy(() -> reader(frame(CHUNK, new long[] {0}, A.toBytes())).read())
                .hasMessage("peer: CHUNK frame of invalid size 56");
        assertThatThrownBy(() -> reader(frame(MISSING, new long[0], new byte[31])).read())
                .hasMessageContaining("MISSING frame of invalid size 47");
        assertThatThrownBy(() -> reader(frame(INDEX, new long[0])).read())
                .hasMessageContaining("INDEX frame of invalid size 16");
        assertThatThrownBy(() -> reader(frame(GOODBYE, new long[] {0})).read())
                .hasMessageContaining("GOODBYE frame of invalid size 24");
        assertThatThrownBy(() -> reader(frame(ABORT, new long[] {0}, "x".getBytes())).read())
                .hasMessage("peer: malformed ABORT frame");
        assertThatThrownBy(() -> reader(frame(ABORT, new long[] {0}, "a\nb\0".getBytes())).read())
                .hasMessageContaining("control character");
    }

    @Test
    void writerRefusesFramesBeyond16MiB() {
        FrameWriter w = new FrameWriter(new ByteArrayOutputStream());
        assertThatThrownBy(() -> w.chunk(A, new byte[MAX_FRAME_SIZE], true))
                .hasMessageContaining("exceeds the protocol's 16 MiB");
    }

    @Test
    void compatibilityFollowsCasync() {
        assertThat(compatible(PULL_CHUNKS, READABLE_STORE)).isTrue();
        assertThat(compatible(PULL_CHUNKS | PULL_INDEX, READABLE_STORE)).isFalse();
        assertThat(compatible(PUSH_INDEX | PUSH_CHUNKS, WRITABLE_INDEX | WRITABLE_STORE)).isTrue();
        assertThat(compatible(PUSH_ARCHIVE, WRITABLE_INDEX)).isFalse();
    }
}
