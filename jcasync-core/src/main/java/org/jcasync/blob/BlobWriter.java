package org.jcasync.blob;

import org.jcasync.internal.fs.LinuxFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional writes into the output, safe from many threads. On a fresh (all-hole) file, 4 KiB blocks of zeros are
 * simply not written, so they stay holes; on an existing file, zero ranges are punched out (or written as zeros).
 */
final class BlobWriter {
    private static final int BLOCK = 4096;
    private static final byte[] ZEROS = new byte[1 << 16];

    private final FileChannel channel;
    private final LinuxFile nativeFile;
    private final boolean fresh;
    private final boolean punchHoles;

    BlobWriter(FileChannel channel, LinuxFile nativeFile, boolean fresh, boolean punchHoles) {
        this.channel = channel;
        this.nativeFile = nativeFile;
        this.fresh = fresh;
        this.punchHoles = punchHoles;
    }

    boolean fresh() {
        return fresh;
    }

    /** Writes {@code data[0, len)} at {@code pos}. */
    void write(long pos, byte[] data, int off, int len) throws IOException {
        if (!fresh || !punchHoles) {
            writeFully(pos, data, off, len);
            return;
        }
        // Skip whole, file-aligned zero blocks: they already read as zeros.
        int i = 0;
        while (i < len) {
            long abs = pos + i;
            int blockEnd = (int) Math.min(len, i + (BLOCK - abs % BLOCK));
            int runStart = i;
            boolean zero = isZero(data, off + i, blockEnd - i) && blockEnd - i == BLOCK;
            if (zero) {
                i = blockEnd;
                continue;
            }
            // Extend the non-zero run block by block.
            i = blockEnd;
            while (i < len) {
                int e = Math.min(len, i + BLOCK);
                if (e - i == BLOCK && isZero(data, off + i, BLOCK)) {
                    break;
                }
                i = e;
            }
            writeFully(pos + runStart, data, off + runStart, i - runStart);
        }
    }

    /** Makes {@code [pos, pos+len)} read as zeros. */
    void zero(long pos, long len) throws IOException {
        if (fresh) {
            return;
        }
        if (punchHoles && nativeFile != null && nativeFile.punchHole(pos, len)) {
            return;
        }
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(ZEROS.length, len - done);
            writeFully(pos + done, ZEROS, 0, n);
            done += n;
        }
    }

    private void writeFully(long pos, byte[] data, int off, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(data, off, len);
        while (bb.hasRemaining()) {
            channel.write(bb, pos + (bb.position() - off));
        }
    }

    static boolean isZero(byte[] b, int off, int len) {
        int done = 0;
        while (done < len) {
            int n = Math.min(ZEROS.length, len - done);
            if (java.util.Arrays.mismatch(b, off + done, off + done + n, ZEROS, 0, n) >= 0) {
                return false;
            }
            done += n;
        }
        return true;
    }
}
