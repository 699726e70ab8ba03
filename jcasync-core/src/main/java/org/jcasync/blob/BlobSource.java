package org.jcasync.blob;

import org.jcasync.internal.fs.LinuxFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A seekable blob (regular file or block device) with its data extents: bytes outside them read as zeros and are
 * never read. Positional reads are safe from many threads.
 */
public final class BlobSource implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final long[] starts;
    private final long[] ends;

    private BlobSource(Path path, FileChannel channel, long size, List<long[]> extents) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.starts = new long[extents.size()];
        this.ends = new long[extents.size()];
        for (int i = 0; i < extents.size(); i++) {
            starts[i] = extents.get(i)[0];
            ends[i] = extents.get(i)[1];
        }
    }

    /** Whether {@code path} is a block device (a blob of the device's size, written in place on extract). */
    public static boolean isBlockDevice(Path path) {
        return LinuxFile.isBlockDevice(path);
    }

    /** Opens a regular file or block device and maps its holes. */
    public static BlobSource open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size;
            List<long[]> extents;
            if (LinuxFile.isBlockDevice(path)) {
                try (LinuxFile f = LinuxFile.open(path, false)) {
                    size = f.blockDeviceSize();
                }
                extents = size == 0 ? List.of() : List.<long[]>of(new long[] {0, size});
            } else {
                size = ch.size();
                extents = LinuxFile.dataExtents(path, size);
            }
            return new BlobSource(path, ch, size, extents);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A source over a channel whose every byte is data (for tests and non-Linux systems). */
    static BlobSource dense(Path path, FileChannel ch, long size) {
        List<long[]> ext = new ArrayList<>();
        if (size > 0) {
            ext.add(new long[] {0, size});
        }
        return new BlobSource(path, ch, size, ext);
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** Length in bytes. */
    public long size() {
        return size;
    }

    /** Bytes inside data extents. */
    public long dataBytes() {
        long n = 0;
        for (int i = 0; i < starts.length; i++) {
            n += ends[i] - starts[i];
        }
        return n;
    }

    /**
     * Where the region starting at {@code pos} ends and whether it is data: returns the end of the data extent
     * containing {@code pos} (positive), or minus the start of the next data extent (or minus size) when
     * {@code pos} is in a hole.
     */
    long region(long pos) {
        int lo = 0;
        int hi = starts.length - 1;
        int first = starts.length;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (ends[mid] > pos) {
                first = mid;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        if (first == starts.length) {
            return -size;
        }
        if (starts[first] <= pos) {
            return ends[first];
        }
        return -starts[first];
    }

    /** True when {@code [from, to)} lies entirely in a hole. */
    public boolean isHole(long from, long to) {
        long r = region(from);
        return r < 0 && -r >= to;
    }

    /** Reads {@code len} bytes at {@code pos} into {@code dst} (holes read as zeros without I/O). */
    public void read(long pos, byte[] dst, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            long p = pos + done;
            long r = region(p);
            int n = (int) Math.min(len - done, Math.abs(r) - p);
            if (n <= 0) {
                throw new IOException(path + ": unexpected end of file at offset " + p);
            }
            if (r < 0) {
                // memset, also under C1, which compiles Arrays.fill to a byte loop (holes are most of an image)
                MemorySegment.ofArray(dst).asSlice(off + done, n).fill((byte) 0);
            } else {
                readFully(p, dst, off + done, n);
            }
            done += n;
        }
    }

    private void readFully(long pos, byte[] dst, int off, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(dst, off, len);
        while (bb.hasRemaining()) {
            int r = channel.read(bb, pos + bb.position() - off);
            if (r < 0) {
                throw new IOException(path + ": file shrank while reading (ends before offset "
                        + (pos + bb.position() - off) + ")");
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
