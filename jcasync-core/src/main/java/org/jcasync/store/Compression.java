package org.jcasync.store;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.SingleXZInputStream;
import org.tukaani.xz.XZOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Chunk compression as casync does it: one zstd frame (level 3, default), one xz stream (preset 6, CRC64) or one
 * gzip member (level 6). Readers detect the format by magic and reject trailing bytes, as casync does.
 */
public enum Compression {
    /** Zstandard, casync's default. */
    ZSTD,
    /** xz (LZMA2). */
    XZ,
    /** gzip (deflate). */
    GZIP;

    private static final Contexts<ZstdCompressCtx> ZSTD_C = new Contexts<>(() -> new ZstdCompressCtx().setLevel(3));
    private static final Contexts<ZstdDecompressCtx> ZSTD_D = new Contexts<>(ZstdDecompressCtx::new);

    /**
     * zstd contexts for reuse, each taken for one call and given back. Not thread-locals: zstd-jni frees a context's
     * native memory only when it is closed, and the servers run each request on a new virtual thread, whose
     * thread-local context would never be (the chunk-server's RSS grew by about 30 KB per upload). At most
     * {@link #KEPT} are kept; more are closed when given back.
     */
    private static final class Contexts<T extends Closeable> {
        private static final int KEPT = 4 * Runtime.getRuntime().availableProcessors() + 16;
        private final ConcurrentLinkedDeque<T> free = new ConcurrentLinkedDeque<>();
        private final AtomicInteger kept = new AtomicInteger();
        private final Supplier<T> make;

        Contexts(Supplier<T> make) {
            this.make = make;
        }

        T take() {
            T t = free.pollFirst();
            if (t == null) {
                return make.get();
            }
            kept.decrementAndGet();
            return t;
        }

        void give(T t) {
            if (kept.incrementAndGet() <= KEPT) {
                free.offerFirst(t);
                return;
            }
            kept.decrementAndGet();
            try {
                t.close();
            } catch (IOException e) {
                // Native memory of a context is freed whatever close reports.
            }
        }
    }

    /** Parses casync's {@code --compression=}: zstd, xz, gzip or default. */
    public static Compression parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "zstd", "default" -> ZSTD;
            case "xz" -> XZ;
            case "gzip" -> GZIP;
            default -> throw new IllegalArgumentException("unknown compression '" + name + "' (zstd, xz or gzip)");
        };
    }

    /** Largest input compressed through a per-thread buffer by {@link #compressTransient}. */
    private static final int COMPRESS_SCRATCH_MAX = 4 << 20;
    private static final ThreadLocal<byte[]> COMPRESS_SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

    /**
     * Compresses {@code data[off, off+len)} for immediate use: the result may be a buffer of this thread that the
     * next call on the thread overwrites (zstd chunks up to 4 MiB, so writing a store does not allocate and zero a
     * fresh array per chunk); its length is {@link java.nio.ByteBuffer#remaining()}.
     */
    public java.nio.ByteBuffer compressTransient(byte[] data, int off, int len) {
        if (this != ZSTD || len > COMPRESS_SCRATCH_MAX) {
            return java.nio.ByteBuffer.wrap(compress(data, off, len));
        }
        int bound = (int) Zstd.compressBound(len);
        byte[] out = COMPRESS_SCRATCH.get();
        if (out.length < bound) {
            out = new byte[Math.max(bound, (int) Zstd.compressBound(256 << 10))];
            COMPRESS_SCRATCH.set(out);
        }
        return java.nio.ByteBuffer.wrap(out, 0, zstdInto(out, data, off, len));
    }

    private static int zstdInto(byte[] out, byte[] data, int off, int len) {
        ZstdCompressCtx c = ZSTD_C.take();
        try {
            return c.compressByteArray(out, 0, out.length, data, off, len);
        } finally {
            ZSTD_C.give(c);
        }
    }

    /** Decompresses {@code src[0, len)} into {@code out[0, max)} with a pooled context; the bytes produced. */
    private static int zstdInto(byte[] out, int max, byte[] src, int len) {
        ZstdDecompressCtx d = ZSTD_D.take();
        try {
            return d.decompressByteArray(out, 0, max, src, 0, len);
        } finally {
            ZSTD_D.give(d);
        }
    }

    /** Compresses {@code data[off, off+len)} into a new array. */
    public byte[] compress(byte[] data, int off, int len) {
        try {
            return switch (this) {
                case ZSTD -> {
                    byte[] out = new byte[(int) Zstd.compressBound(len)];
                    yield Arrays.copyOf(out, zstdInto(out, data, off, len));
                }
                case XZ -> {
                    ByteArrayOutputStream bo = new ByteArrayOutputStream(len / 2 + 64);
                    try (XZOutputStream xz = new XZOutputStream(bo, new LZMA2Options(6), org.tukaani.xz.XZ.CHECK_CRC64)) {
                        xz.write(data, off, len);
                    }
                    yield bo.toByteArray();
                }
                case GZIP -> gzip(data, off, len);
            };
        } catch (IOException e) {
            throw new IllegalStateException("compression failed", e);
        }
    }

    private static byte[] gzip(byte[] data, int off, int len) {
        Deflater d = new Deflater(6, true);
        try {
            d.setInput(data, off, len);
            d.finish();
            ByteArrayOutputStream bo = new ByteArrayOutputStream(len / 2 + 64);
            bo.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, 0, 10);
            byte[] buf = new byte[64 * 1024];
            while (!d.finished()) {
                int n = d.deflate(buf);
                bo.write(buf, 0, n);
            }
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(data, off, len);
            writeIntLe(bo, (int) crc.getValue());
            writeIntLe(bo, len);
            return bo.toByteArray();
        } finally {
            d.end();
        }
    }

    private static void writeIntLe(ByteArrayOutputStream bo, int v) {
        bo.write(v);
        bo.write(v >>> 8);
        bo.write(v >>> 16);
        bo.write(v >>> 24);
    }

    /**
     * The largest stored frame of a chunk of at most {@code max} bytes: zstd, xz and gzip all grow incompressible
     * data by well under 1/64 plus their headers. Larger files and replies are refused before they are read.
     */
    public static long maxStoredSize(int max) {
        return max + max / 64L + (64 << 10);
    }

    /** The format of stored bytes by their magic, or null when none matches. */
    public static Compression detect(byte[] b, int len) {
        if (len >= 4 && (b[0] & 0xff) == 0x28 && (b[1] & 0xff) == 0xb5 && (b[2] & 0xff) == 0x2f
                && (b[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        if (len >= 6 && (b[0] & 0xff) == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X' && b[4] == 'Z'
                && b[5] == 0) {
            return XZ;
        }
        if (len >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        return null;
    }

    /**
     * Decompresses exactly one frame/stream/member into a new array of at most {@code max} bytes.
     *
     * @throws IOException with a short reason: unknown magic, corrupt data, trailing bytes, or larger than max
     */
    public static byte[] decompress(byte[] src, int len, int max) throws IOException {
        Compression c = detect(src, len);
        if (c == null) {
            throw new IOException("unknown compression (no zstd, xz or gzip magic)");
        }
        return switch (c) {
            case ZSTD -> unzstd(src, len, max);
            case XZ -> unxz(src, len, max);
            case GZIP -> gunzip(src, len, max);
        };
    }

    /** Largest maximum chunk size decompressed through a per-thread buffer. */
    private static final int SCRATCH_MAX = 4 << 20;
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

    private static byte[] unzstd(byte[] src, int len, int max) throws IOException {
        long frame;
        long declared;
        try {
            // zstd-jni throws ZstdException (unchecked) for a bad or truncated frame header.
            frame = Zstd.findFrameCompressedSize(src, 0, len);
            if (Zstd.isError(frame)) {
                throw new IOException("corrupt zstd frame (" + Zstd.getErrorName(frame) + ")");
            }
            if (frame != len) {
                throw new IOException("trailing bytes after the zstd frame");
            }
            declared = Zstd.getFrameContentSize(src, 0, len);
        } catch (RuntimeException e) {
            throw new IOException("corrupt zstd frame (" + e.getMessage() + ")", e);
        }
        if (declared >= 0 && declared > max) {
            throw new IOException("decompresses to " + declared + " bytes, more than the maximum chunk size " + max);
        }
        if (declared < 0 && max <= SCRATCH_MAX) {
            // casync writes frames without a content size: decompress into this thread's max-sized buffer and copy
            // out exactly the bytes produced (no fresh, zeroed guess-sized array per chunk).
            byte[] scratch = SCRATCH.get();
            if (scratch.length < max) {
                scratch = new byte[max];
                SCRATCH.set(scratch);
            }
            try {
                int n = zstdInto(scratch, max, src, len);
                return Arrays.copyOf(scratch, n);
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("Destination buffer is too small")) {
                    throw new IOException("decompresses to more than the maximum chunk size " + max, e);
                }
                throw new IOException("corrupt zstd frame (" + m + ")", e);
            }
        }
        // Frames without a content size get a guess first, then the maximum: no max-sized buffer for every chunk
        // when max is large.
        int first = declared >= 0 ? (int) declared : (int) Math.min(max, Math.max(1 << 18, 8L * len));
        for (int size = first; ; size = max) {
            byte[] out = new byte[size];
            try {
                int n = zstdInto(out, out.length, src, len);
                return n == out.length ? out : Arrays.copyOf(out, n);
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                if (!m.contains("Destination buffer is too small")) {
                    throw new IOException("corrupt zstd frame (" + m + ")", e);
                }
                if (size >= max || declared >= 0) {
                    throw new IOException("decompresses to more than the maximum chunk size " + max, e);
                }
            }
        }
    }

    private static byte[] unxz(byte[] src, int len, int max) throws IOException {
        ByteArrayInputStream bin = new ByteArrayInputStream(src, 0, len);
        byte[] out;
        try (InputStream in = new SingleXZInputStream(bin)) {
            out = readBounded(in, max);
        } catch (TooLargeException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("corrupt xz stream (" + e.getMessage() + ")", e);
        }
        if (bin.available() > 0) {
            throw new IOException("trailing bytes after the xz stream");
        }
        return out;
    }

    /** Decompressed data beyond the maximum chunk size. */
    private static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException(int max) {
            super("decompresses to more than the maximum chunk size " + max);
        }
    }

    private static byte[] readBounded(InputStream in, int max) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream(Math.min(max, 1 << 16));
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > max) {
                throw new TooLargeException(max);
            }
            bo.write(buf, 0, n);
        }
        return bo.toByteArray();
    }

    private static byte[] gunzip(byte[] src, int len, int max) throws IOException {
        // RFC 1952 header: ID1 ID2 CM FLG MTIME(4) XFL OS, optional fields by FLG.
        if (len < 18 || src[2] != 8) {
            throw new IOException("corrupt gzip member (bad header)");
        }
        int flg = src[3] & 0xff;
        int p = 10;
        if ((flg & 4) != 0) {
            p += 2 + ((src[p] & 0xff) | (src[p + 1] & 0xff) << 8);
        }
        if ((flg & 8) != 0) {
            while (p < len && src[p] != 0) {
                p++;
            }
            p++;
        }
        if ((flg & 16) != 0) {
            while (p < len && src[p] != 0) {
                p++;
            }
            p++;
        }
        if ((flg & 2) != 0) {
            p += 2;
        }
        if (p >= len) {
            throw new IOException("corrupt gzip member (truncated header)");
        }
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(src, p, len - p);
            byte[] out = new byte[Math.min(max, Math.max(1 << 16, (len - p) * 4))];
            int n = 0;
            while (!inf.finished()) {
                if (n == out.length) {
                    if (out.length >= max) {
                        throw new IOException("decompresses to more than the maximum chunk size " + max);
                    }
                    out = Arrays.copyOf(out, (int) Math.min(max, (long) out.length * 2));
                }
                int r = inf.inflate(out, n, out.length - n);
                if (r == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new IOException("corrupt gzip member (truncated)");
                }
                n += r;
            }
            int rest = inf.getRemaining();
            if (rest < 8) {
                throw new IOException("corrupt gzip member (missing trailer)");
            }
            if (rest > 8) {
                throw new IOException("trailing bytes after the gzip member");
            }
            int t = len - 8;
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(out, 0, n);
            int want = (src[t] & 0xff) | (src[t + 1] & 0xff) << 8 | (src[t + 2] & 0xff) << 16 | (src[t + 3] & 0xff) << 24;
            if ((int) crc.getValue() != want) {
                throw new IOException("corrupt gzip member (CRC mismatch)");
            }
            int isize = (src[t + 4] & 0xff) | (src[t + 5] & 0xff) << 8 | (src[t + 6] & 0xff) << 16
                    | (src[t + 7] & 0xff) << 24;
            if (isize != n) {
                throw new IOException("corrupt gzip member (length mismatch)");
            }
            return n == out.length ? out : Arrays.copyOf(out, n);
        } catch (DataFormatException e) {
            throw new IOException("corrupt gzip member (" + e.getMessage() + ")", e);
        } finally {
            inf.end();
        }
    }

}
