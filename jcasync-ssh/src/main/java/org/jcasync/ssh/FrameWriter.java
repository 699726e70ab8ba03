package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.jcasync.ssh.CasyncProtocol.*;

/** Writes protocol frames (buffered: call {@link #flush}). Safe for concurrent use; each frame is written whole. */
public final class FrameWriter {
    private final OutputStream out;
    private final byte[] header = new byte[HEADER_SIZE + 8];

    /** Writes to {@code out}. */
    public FrameWriter(OutputStream out) {
        this.out = new BufferedOutputStream(out, 1 << 16);
    }

    /** HELLO with the given feature flags. */
    public synchronized void hello(long featureFlags) throws IOException {
        head(HEADER_SIZE + 8, HELLO, featureFlags, true);
    }

    /** One REQUEST frame asking for {@code ids} (at most 16 MiB worth). */
    public synchronized void request(List<ChunkId> ids, long flags) throws IOException {
        if (ids.isEmpty()) {
            return;
        }
        head(HEADER_SIZE + 8 + (long) ids.size() * ID_SIZE, REQUEST, flags, true);
        byte[] b = new byte[ID_SIZE];
        for (ChunkId id : ids) {
            id.copyTo(b, 0);
            out.write(b);
        }
    }

    /** A CHUNK frame. */
    public synchronized void chunk(ChunkId id, byte[] data, boolean compressed) throws IOException {
        head(HEADER_SIZE + 8 + ID_SIZE + (long) data.length, CHUNK, compressed ? CHUNK_COMPRESSED : 0, true);
        out.write(id.toBytes());
        out.write(data);
    }

    /** A MISSING frame. */
    public synchronized void missing(ChunkId id) throws IOException {
        head(HEADER_SIZE + ID_SIZE, MISSING, 0, false);
        out.write(id.toBytes());
    }

    /** One INDEX or ARCHIVE frame carrying {@code data[off, off+len)} (len &gt; 0). */
    public synchronized void file(long type, byte[] data, int off, int len) throws IOException {
        head(HEADER_SIZE + (long) len, type, 0, false);
        out.write(data, off, len);
    }

    /** A frame without body: INDEX_EOF, ARCHIVE_EOF or GOODBYE. */
    public synchronized void empty(long type) throws IOException {
        head(HEADER_SIZE, type, 0, false);
    }

    /** An ABORT frame with an errno-like code and a reason (control characters replaced). */
    public synchronized void abort(int errno, String reason) throws IOException {
        byte[] r = reason.replaceAll("\\p{Cntrl}", " ").getBytes(StandardCharsets.UTF_8);
        head(HEADER_SIZE + 8 + r.length + 1L, ABORT, errno, true);
        out.write(r);
        out.write(0);
    }

    /** Sends what is buffered. */
    public synchronized void flush() throws IOException {
        out.flush();
    }

    /** Flushes and closes the stream. */
    public synchronized void close() throws IOException {
        out.close();
    }

    private void head(long size, long type, long word, boolean withWord) throws IOException {
        if (size > MAX_FRAME_SIZE) {
            throw new IOException(typeName(type) + " frame of " + size + " bytes exceeds the protocol's 16 MiB");
        }
        le64(header, 0, size);
        le64(header, 8, type);
        le64(header, 16, word);
        out.write(header, 0, withWord ? HEADER_SIZE + 8 : HEADER_SIZE);
    }

    private static void le64(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
