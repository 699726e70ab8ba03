package org.jcasync.tree;

import org.jcasync.internal.fs.FileIo;
import org.jcasync.internal.fs.Posix;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The block-level work of writing file contents: reading a payload block, comparing it with a file, copying a file's
 * prefix, writing a block with its zero blocks left as holes. Holds the two buffers a {@link ContentWriter} reuses
 * for every file.
 */
final class PayloadIo {
    /** How much of a payload is read, compared or written at once. */
    static final int BUF = 1 << 20;
    /** The block size of holes. */
    private static final int BLOCK = 4096;
    private static final byte[] ZEROS = new byte[BLOCK];

    /** The payload block being compared or written. */
    final byte[] buf = new byte[BUF];
    /** What a file holds where {@link #buf} goes, or a block being copied. */
    private final byte[] cmp = new byte[BUF];

    /** Reads exactly {@code len} bytes of entry {@code e}'s payload into {@link #buf}. */
    void readPayload(InputStream in, int len, EntryContext e) throws IOException {
        int got = 0;
        while (got < len) {
            int r = in.read(buf, got, len - got);
            if (r < 0) {
                throw new IOException(e.where() + ": archive ends inside the file's payload");
            }
            got += r;
        }
    }

    /** Whether file {@code fd} holds {@code buf[0, len)} at {@code pos}. */
    boolean equalsAt(int fd, long pos, int len, EntryContext e) throws IOException {
        String where = e.where();
        int got = 0;
        while (got < len) {
            int r = FileIo.pread(fd, cmp, got, len - got, pos + got, where);
            if (r == 0) {
                return false;
            }
            got += r;
        }
        return Arrays.equals(buf, 0, len, cmp, 0, len);
    }

    /** Copies the first {@code len} bytes of {@code src} to {@code dst} (then at position {@code len}) for {@code e}. */
    void copyPrefix(int src, int dst, long len, EntryContext e) throws IOException {
        String where = e.where();
        if (FileIo.copyRange(src, dst, len, where)) {
            FileIo.seekRelative(dst, len, where);
            return;
        }
        for (long p = 0; p < len; ) {
            int want = (int) Math.min(BUF, len - p);
            int r = FileIo.pread(src, cmp, 0, want, p, where);
            if (r == 0) {
                throw Posix.error(where, "read (file shrank while being copied)", Posix.EINVAL);
            }
            FileIo.writeFully(dst, cmp, 0, r, where);
            p += r;
        }
    }

    /** Writes {@code buf[0, len)} at the current position, seeking over whole 4 KiB blocks of zeros if asked. */
    void writeBlock(int fd, int len, boolean holes, EntryContext e) throws IOException {
        String where = e.where();
        byte[] b = buf;
        if (!holes) {
            FileIo.writeFully(fd, b, 0, len, where);
            return;
        }
        int start = 0;
        int p = 0;
        while (p < len) {
            int end = Math.min(len, p + BLOCK);
            if (end - p == BLOCK && isZero(b, p, end)) {
                if (p > start) {
                    FileIo.writeFully(fd, b, start, p - start, where);
                }
                int z = end;
                while (z + BLOCK <= len && isZero(b, z, z + BLOCK)) {
                    z += BLOCK;
                }
                FileIo.seekRelative(fd, z - p, where);
                start = z;
                p = z;
            } else {
                p = end;
            }
        }
        if (start < len) {
            FileIo.writeFully(fd, b, start, len - start, where);
        }
    }

    private static boolean isZero(byte[] b, int from, int to) {
        return Arrays.mismatch(b, from, to, ZEROS, 0, to - from) < 0;
    }
}
