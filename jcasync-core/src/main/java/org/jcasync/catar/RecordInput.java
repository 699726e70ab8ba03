package org.jcasync.catar;

import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes of a catar stream as records: headers checked for a sane size before anything is allocated, bodies,
 * skipped payloads. Counts the archive offset and hands every consumed byte to the {@link CatarDecoder.Tap}, if one
 * is set. A header that ends a node's metadata (FILENAME, GOODBYE) can be put back ({@link #unread}), untapped, so
 * that it counts as consumed only with what comes after the node's ENTRY event.
 */
final class RecordInput {
    /** A record header: where it starts, its size (header included) and type, and its 16 bytes. */
    record Header(long offset, long size, long type, byte[] raw) {
    }

    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int bpos;
    private int blen;
    private long pos;
    private CatarDecoder.Tap tap;
    private Header peeked;

    RecordInput(InputStream in) {
        this.in = in;
    }

    /** Archive bytes consumed so far (a header put back does not count). */
    long position() {
        return peeked != null ? pos - CatarFormat.HEADER_SIZE : pos;
    }

    /** Sets (or, with null, clears) the receiver of every byte consumed from now on. */
    void tap(CatarDecoder.Tap t) {
        this.tap = t;
    }

    /** Bytes that can be read without blocking, at most {@code limit}. */
    int available(long limit) {
        return (int) Math.min(limit, Math.min(Integer.MAX_VALUE, blen - bpos));
    }

    void close() throws IOException {
        in.close();
    }

    /** The next record header, consumed (passed to the tap). */
    Header readHeader() throws IOException {
        Header h = readHeaderUntapped();
        tapped(h);
        return h;
    }

    /** Passes a header read with {@link #readHeaderUntapped} to the tap. */
    void tapped(Header h) throws IOException {
        if (tap != null) {
            tap.accept(h.raw, 0, h.raw.length);
        }
    }

    /** Puts back the header just read untapped: the next read returns it again. */
    void unread(Header h) {
        peeked = h;
    }

    /** The next record header, not yet passed to the tap. */
    Header readHeaderUntapped() throws IOException {
        if (peeked != null) {
            Header h = peeked;
            peeked = null;
            return h;
        }
        long at = pos;
        byte[] b = new byte[CatarFormat.HEADER_SIZE];
        int got = 0;
        CatarDecoder.Tap saved = tap;
        tap = null;
        try {
            while (got < b.length) {
                int k = readSomeOrEof(b, got, b.length - got);
                if (k < 0) {
                    throw new ArchiveFormatException(at, got == 0 ? "archive truncated: missing record"
                            : "archive truncated inside a record header");
                }
                got += k;
            }
        } finally {
            tap = saved;
        }
        long size = CatarFormat.le64(b, 0);
        long type = CatarFormat.le64(b, 8);
        if (Long.compareUnsigned(size, CatarFormat.HEADER_SIZE) < 0 || size == -1L) {
            throw new ArchiveFormatException(at, "record size " + Long.toUnsignedString(size) + " of "
                    + CatarFormat.typeName(type) + " is invalid");
        }
        if (size < 0) {
            throw new ArchiveFormatException(at, "record size " + Long.toUnsignedString(size) + " of "
                    + CatarFormat.typeName(type) + " is absurd");
        }
        return new Header(at, size, type, b);
    }

    /** The body of a record whose size was already checked against its limit. */
    byte[] readBody(Header h) throws IOException {
        byte[] b = new byte[(int) (h.size - CatarFormat.HEADER_SIZE)];
        readFully(b, 0, b.length);
        return b;
    }

    void readFully(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int k = readSome(b, off, len);
            off += k;
            len -= k;
        }
    }

    /** Reads 1 to {@code len} bytes; the end of the stream is a truncated archive. */
    int readSome(byte[] b, int off, int len) throws IOException {
        int k = readSomeOrEof(b, off, len);
        if (k < 0) {
            throw new ArchiveFormatException(pos, "archive truncated");
        }
        return k;
    }

    private int readSomeOrEof(byte[] b, int off, int len) throws IOException {
        if (bpos == blen) {
            int k = in.read(buf, 0, buf.length);
            if (k <= 0) {
                if (k == 0) {
                    throw new IOException("read returned 0 bytes");
                }
                return -1;
            }
            bpos = 0;
            blen = k;
        }
        int k = Math.min(len, blen - bpos);
        System.arraycopy(buf, bpos, b, off, k);
        if (tap != null) {
            tap.accept(buf, bpos, k);
        }
        bpos += k;
        pos += k;
        return k;
    }

    /** Consumes {@code n} bytes without copying them (the tap still sees them). */
    void skip(long n) throws IOException {
        while (n > 0) {
            if (bpos == blen) {
                int k = in.read(buf, 0, buf.length);
                if (k <= 0) {
                    throw new ArchiveFormatException(pos, "archive truncated");
                }
                bpos = 0;
                blen = k;
            }
            int k = (int) Math.min(n, blen - bpos);
            if (tap != null) {
                tap.accept(buf, bpos, k);
            }
            bpos += k;
            pos += k;
            n -= k;
        }
    }
}
