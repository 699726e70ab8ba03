package org.jcasync.ssh;

import java.io.IOException;
import java.io.InputStream;

import static org.jcasync.ssh.CasyncProtocol.*;

/**
 * Reads protocol frames from a stream and checks each against casync's rules for its type (sizes, flags, the
 * abort reason's text), so callers only see well-formed frames. A declared size outside 16 B .. 16 MiB is refused
 * before anything is allocated.
 */
public final class FrameReader {
    private final InputStream in;
    private final String peer;
    private final byte[] header = new byte[HEADER_SIZE];

    /** Reads from {@code in}; {@code peer} names the other side in messages. */
    public FrameReader(InputStream in, String peer) {
        this.in = in;
        this.peer = peer;
    }

    /**
     * The next frame, or null when the stream ended cleanly between frames.
     *
     * @throws ProtocolException for a truncated or invalid frame
     */
    public Frame read() throws IOException {
        int got = readAtMost(header, HEADER_SIZE);
        if (got == 0) {
            return null;
        }
        if (got < HEADER_SIZE) {
            throw new ProtocolException(peer + ": truncated frame header (" + got + " of 16 bytes)");
        }
        long size = le64(header, 0);
        long type = le64(header, 8);
        if (size < HEADER_SIZE || size > MAX_FRAME_SIZE) {
            throw new ProtocolException(peer + ": " + typeName(type) + " frame declares " + Long.toUnsignedString(size)
                    + " bytes, outside the protocol's 16 B to 16 MiB");
        }
        checkSize(type, size);
        byte[] body = new byte[(int) size - HEADER_SIZE];
        int n = readAtMost(body, body.length);
        if (n < body.length) {
            throw new ProtocolException(peer + ": truncated " + typeName(type) + " frame (" + (n + HEADER_SIZE)
                    + " of " + size + " bytes)");
        }
        Frame f = new Frame(type, body);
        checkContent(f);
        return f;
    }

    private void checkSize(long type, long size) throws ProtocolException {
        boolean ok;
        if (type == HELLO) {
            ok = size == HEADER_SIZE + 8;
        } else if (type == INDEX || type == ARCHIVE) {
            ok = size >= HEADER_SIZE + 1;
        } else if (type == INDEX_EOF || type == ARCHIVE_EOF || type == GOODBYE) {
            ok = size == HEADER_SIZE;
        } else if (type == REQUEST) {
            ok = size >= HEADER_SIZE + 8 + ID_SIZE && (size - HEADER_SIZE - 8) % ID_SIZE == 0;
        } else if (type == CHUNK) {
            ok = size >= HEADER_SIZE + 8 + ID_SIZE + 1;
        } else if (type == MISSING) {
            ok = size == HEADER_SIZE + ID_SIZE;
        } else if (type == ABORT) {
            ok = size >= HEADER_SIZE + 8 + 1;
        } else {
            throw new ProtocolException(peer + ": frame of " + typeName(type));
        }
        if (!ok) {
            throw new ProtocolException(peer + ": " + typeName(type) + " frame of invalid size " + size);
        }
    }

    private void checkContent(Frame f) throws ProtocolException {
        long t = f.type();
        if (t == HELLO) {
            long flags = f.featureFlags();
            if (flags == 0 || (flags & ~FEATURE_FLAGS_MAX) != 0) {
                throw new ProtocolException(peer + ": HELLO with unsupported feature flags 0x"
                        + Long.toHexString(flags));
            }
        } else if (t == REQUEST && (f.flags() & ~REQUEST_HIGH_PRIORITY) != 0) {
            throw new ProtocolException(peer + ": REQUEST with unknown flags 0x" + Long.toHexString(f.flags()));
        } else if (t == CHUNK && (f.flags() & ~CHUNK_COMPRESSED) != 0) {
            throw new ProtocolException(peer + ": CHUNK with unknown flags 0x" + Long.toHexString(f.flags()));
        } else if (t == ABORT) {
            byte[] b = f.body();
            if (Long.compareUnsigned(f.flags(), Integer.MAX_VALUE) >= 0 || b[b.length - 1] != 0) {
                throw new ProtocolException(peer + ": malformed ABORT frame");
            }
            for (int i = 8; i < b.length - 1; i++) {
                if ((b[i] & 0xff) < ' ') {
                    throw new ProtocolException(peer + ": malformed ABORT frame (control character in reason)");
                }
            }
        }
    }

    private int readAtMost(byte[] b, int len) throws IOException {
        int n = 0;
        while (n < len) {
            int r = in.read(b, n, len - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }

    /** Whether more input can be read without blocking (so a writer may delay its flush). */
    public boolean ready() throws IOException {
        return in.available() > 0;
    }

    static long le64(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }
}
