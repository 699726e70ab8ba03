package org.jcasync.ssh;

import org.jcasync.io.BlockInputStream;
import org.jcasync.io.StreamParser;
import org.jcasync.io.TrackedInputStream;
import org.jcasync.store.TransferWatch;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An SFTP version 3 client (draft-ietf-secsh-filexfer-02) over {@code ssh -s HOST sftp}: ssh does authentication
 * and host keys as configured for the user. Thread-safe; requests from several threads are in flight at once and
 * matched to replies by id. Only what a chunk store needs: whole-file read, atomic write, stat (times), set times,
 * list, remove, mkdir, rmdir.
 */
public final class SftpClient implements AutoCloseable {
    private static final int INIT = 1;
    private static final int VERSION = 2;
    private static final int OPEN = 3;
    private static final int CLOSE = 4;
    private static final int READ = 5;
    private static final int WRITE = 6;
    private static final int FSTAT = 8;
    private static final int SETSTAT = 9;
    private static final int OPENDIR = 11;
    private static final int READDIR = 12;
    private static final int REMOVE = 13;
    private static final int MKDIR = 14;
    private static final int RMDIR = 15;
    private static final int STAT = 17;
    private static final int RENAME = 18;
    private static final int STATUS = 101;
    private static final int HANDLE = 102;
    private static final int DATA = 103;
    private static final int NAME = 104;
    private static final int ATTRS = 105;
    private static final int EXTENDED = 200;

    private static final int FXF_READ = 1;
    private static final int FXF_WRITE = 2;
    private static final int FXF_CREAT = 8;
    private static final int FXF_EXCL = 0x20;
    /** SSH_FILEXFER_ATTR_ACMODTIME: the attributes carry atime and mtime (u32 seconds each). */
    private static final int ATTR_ACMODTIME = 8;
    private static final int FX_OK = 0;
    private static final int FX_EOF = 1;

    /** Bytes per READ/WRITE request (every server takes 32 KiB; OpenSSH takes more). */
    private static final int IO_SIZE = 32 * 1024;
    /** Largest reply packet accepted, checked before allocation. */
    private static final int MAX_PACKET = 1 << 20;
    private static final String POSIX_RENAME = "posix-rename@openssh.com";

    /** A reply packet: its type and payload after the id. */
    private record Reply(int type, ByteBuffer body) {
    }

    private final RemoteProcess process;
    private final OutputStream out;
    private final DataInputStream in;
    private final String location;
    private final long timeoutMillis;
    private final Map<Integer, CompletableFuture<Reply>> pending = new HashMap<>();
    private int nextId = 1;
    private IOException failure;
    private boolean posixRename;

    private SftpClient(RemoteProcess process, String location, long timeoutMillis) {
        this.process = process;
        this.out = new java.io.BufferedOutputStream(process.out(), 1 << 16);
        this.in = new DataInputStream(new java.io.BufferedInputStream(process.in(), 1 << 16));
        this.location = location;
        this.timeoutMillis = timeoutMillis;
    }

    /** Starts {@code command} (an ssh running the sftp subsystem) and negotiates version 3. */
    public static SftpClient start(List<String> command, String location, java.time.Duration timeout)
            throws IOException {
        SftpClient c = new SftpClient(RemoteProcess.start(command), location, timeout.toMillis());
        try {
            c.handshake();
        } catch (IOException e) {
            c.close();
            throw e;
        }
        Thread.ofVirtual().name("sftp-reader").start(c::readLoop);
        return c;
    }

    private void handshake() throws IOException {
        try {
            Packet p = new Packet(INIT);
            p.u32(3);
            p.send(out);
            out.flush();
            int len = readLength();
            int type = in.readUnsignedByte();
            byte[] body = new byte[len - 1];
            in.readFully(body);
            if (type != VERSION) {
                throw new IOException(location + ": not an SFTP server (first reply of type " + type + ")");
            }
            ByteBuffer b = ByteBuffer.wrap(body);
            int version = b.getInt();
            if (version < 3) {
                throw new IOException(location + ": SFTP version " + version + " is too old (3 needed)");
            }
            while (b.hasRemaining()) {
                String name = string(b);
                string(b);
                posixRename |= name.equals(POSIX_RENAME);
            }
        } catch (EOFException e) {
            throw new IOException(location + ": " + process.failure(), e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(location)) {
                throw e;
            }
            throw new IOException(location + ": " + process.failure(), e);
        }
    }

    private int readLength() throws IOException {
        int len = in.readInt();
        if (len < 1 || len > MAX_PACKET) {
            throw new IOException(location + ": SFTP packet of " + Integer.toUnsignedString(len)
                    + " bytes (more than " + MAX_PACKET + " or empty)");
        }
        return len;
    }

    private void readLoop() {
        try {
            while (true) {
                int len = readLength();
                if (len < 5) {
                    throw new IOException(location + ": SFTP reply too short");
                }
                int type = in.readUnsignedByte();
                int id = in.readInt();
                byte[] body = new byte[len - 5];
                in.readFully(body);
                CompletableFuture<Reply> f;
                synchronized (this) {
                    f = pending.remove(id);
                }
                if (f != null) {
                    f.complete(new Reply(type, ByteBuffer.wrap(body)));
                }
            }
        } catch (IOException e) {
            fail(e instanceof EOFException ? new IOException(location + ": " + process.failure(), e) : e);
        }
    }

    private void fail(IOException e) {
        List<CompletableFuture<Reply>> all;
        synchronized (this) {
            if (failure == null) {
                failure = e;
            }
            all = new ArrayList<>(pending.values());
            pending.clear();
        }
        all.forEach(f -> f.completeExceptionally(e));
    }

    /** Sends a request; the future completes with its reply. */
    private CompletableFuture<Reply> send(Packet p) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        synchronized (this) {
            if (failure != null) {
                f.completeExceptionally(failure);
                return f;
            }
            int id = nextId++;
            p.setId(id);
            pending.put(id, f);
            try {
                p.send(out);
                out.flush();
            } catch (IOException e) {
                pending.remove(id);
                f.completeExceptionally(new IOException(location + ": " + process.failure(), e));
            }
        }
        return f;
    }

    private Reply await(CompletableFuture<Reply> f) throws IOException {
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(location + ": no SFTP reply within " + timeoutMillis / 1000 + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    /** Waits for a STATUS reply and throws unless it is OK. */
    private void expectOk(CompletableFuture<Reply> f, String path) throws IOException {
        Reply r = await(f);
        if (r.type() != STATUS) {
            throw new IOException(location + ": unexpected SFTP reply " + r.type() + " for " + path);
        }
        checkStatus(r, path);
    }

    private void checkStatus(Reply r, String path) throws IOException {
        int code = r.body().getInt();
        if (code == FX_OK) {
            return;
        }
        String msg = r.body().remaining() >= 4 ? string(r.body()) : "";
        if (code == SftpException.NO_SUCH_FILE) {
            throw new NoSuchFileException(path, null, "no such file on " + location);
        }
        String what = switch (code) {
            case FX_EOF -> "end of file";
            case SftpException.PERMISSION_DENIED -> "permission denied";
            case SftpException.FAILURE -> "failed";
            case 8 -> "operation not supported";
            default -> "error " + code;
        };
        throw new SftpException(code, location + ": " + path + ": " + what + (msg.isEmpty() || msg.equalsIgnoreCase(
                what) ? "" : " (" + msg + ")"));
    }

    private byte[] handle(CompletableFuture<Reply> f, String path) throws IOException {
        Reply r = await(f);
        if (r.type() == STATUS) {
            checkStatus(r, path);
            throw new IOException(location + ": " + path + ": no handle returned");
        }
        if (r.type() != HANDLE) {
            throw new IOException(location + ": unexpected SFTP reply " + r.type() + " for " + path);
        }
        return bytes(r.body());
    }

    /**
     * The whole file at {@code path}, at most {@code maxBytes} (more is refused, read no further);
     * {@link NoSuchFileException} when there is none.
     */
    public byte[] read(String path, long maxBytes, TransferWatch watch) throws IOException {
        return read(path, watch, in -> {
            byte[] b = in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 64));
            if (in.read() >= 0) {
                // Not retried: the file is what it is.
                throw new SftpException(SftpException.FAILURE, location + ": " + path + " has more than " + maxBytes
                        + " bytes");
            }
            return b;
        });
    }

    /**
     * Reads the file at {@code path} with {@code parser} as it arrives: READ requests go out ahead of the parser (the
     * whole file at once when its size is small), at most {@value #READ_AHEAD} of them, so memory does not depend on
     * what the server sends. {@code watch} fails the read when the server stalls or trickles. A failure of the
     * parser (not of the transport) comes wrapped in {@link ParseFailure}, so that the session is not blamed.
     */
    public <T> T read(String path, TransferWatch watch, StreamParser<T> parser) throws IOException {
        Packet open = new Packet(OPEN).str(path).u32(FXF_READ).u32(0);
        byte[] h = handle(send(open), path);
        try {
            Reply st = await(send(new Packet(FSTAT).bytes(h)));
            long size = -1;
            if (st.type() == ATTRS) {
                int flags = st.body().getInt();
                if ((flags & 1) != 0) {
                    size = st.body().getLong();
                }
            }
            TrackedInputStream in = new TrackedInputStream(new FileStream(h, path, size, watch));
            try {
                return parser.parse(in);
            } catch (IOException e) {
                if (in.failed()) {
                    throw e;
                }
                throw new ParseFailure(e);
            }
        } finally {
            closeHandle(h);
        }
    }

    /** Most READ requests of one file in flight. */
    private static final int READ_AHEAD = 64;

    /** A parser's failure on the bytes of a file that was read fine. */
    public static final class ParseFailure extends IOException {
        private static final long serialVersionUID = 1L;

        ParseFailure(IOException cause) {
            super(cause.getMessage(), cause);
        }

        /** The parser's exception. */
        public IOException parserException() {
            return (IOException) getCause();
        }
    }

    /** A file's bytes in order, from READ requests sent ahead; short reads restart the requests where data ended. */
    private final class FileStream extends BlockInputStream {
        private record Pending(long offset, CompletableFuture<Reply> reply) {
        }

        private final byte[] handle;
        private final String path;
        private final TransferWatch watch;
        private final java.util.ArrayDeque<Pending> window = new java.util.ArrayDeque<>();
        private final int ahead;
        private long next;
        private long position;
        private boolean eof;

        FileStream(byte[] handle, String path, long size, TransferWatch watch) {
            this.handle = handle;
            this.path = path;
            this.watch = watch;
            this.ahead = (int) Math.max(2, Math.min(READ_AHEAD, size < 0 ? 8 : size / IO_SIZE + 2));
        }

        @Override
        protected byte[] nextBlock() throws IOException {
            while (!eof) {
                while (window.size() < ahead) {
                    window.add(new Pending(next, send(new Packet(READ).bytes(handle).u64(next).u32(IO_SIZE))));
                    next += IO_SIZE;
                }
                Pending p = window.poll();
                watch.waiting(System.nanoTime());
                Reply r = await(p.reply());
                long now = System.nanoTime();
                if (p.offset() != position || r.type() == STATUS) {
                    watch.received(0, now);
                    // A reply for a request sent before a short read is at the wrong offset: skip it.
                    eof = p.offset() == position && isEof(r, path);
                    continue;
                }
                byte[] d = data(r, path);
                watch.received(d.length, now);
                String slow = watch.check(now);
                if (slow != null) {
                    throw new TransferWatch.TooSlowException(location + ": " + path, slow);
                }
                if (d.length == 0) {
                    throw new IOException(location + ": " + path + ": read returned no data");
                }
                position += d.length;
                if (d.length < IO_SIZE) {
                    // A short read: the requests sent ahead start at the wrong offsets; go on from here.
                    next = position;
                }
                return d;
            }
            return null;
        }
    }

    private boolean isEof(Reply r, String path) throws IOException {
        int code = r.body().getInt(0);
        if (code == FX_EOF) {
            return true;
        }
        checkStatus(r, path);
        throw new IOException(location + ": " + path + ": read returned no data");
    }

    private byte[] data(Reply r, String path) throws IOException {
        if (r.type() != DATA) {
            throw new IOException(location + ": unexpected SFTP reply " + r.type() + " reading " + path);
        }
        return bytes(r.body());
    }

    private void closeHandle(byte[] h) {
        try {
            await(send(new Packet(CLOSE).bytes(h)));
        } catch (IOException ignored) {
            // The handle goes with the session anyway.
        }
    }

    /**
     * Writes {@code data} to a new file {@code temp} (which must not exist) and renames it to {@code path}:
     * readers never see a partial file. With {@code replace} an existing {@code path} is replaced (OpenSSH's
     * posix-rename, else remove and rename); without, an existing file is kept and false is returned. The file
     * gets permissions {@code mode} (e.g. 0444 for chunks, as casync's).
     */
    public boolean writeAtomic(String path, String temp, byte[] data, boolean replace, int mode)
            throws IOException {
        byte[] h = handle(send(new Packet(OPEN).str(temp).u32(FXF_WRITE | FXF_CREAT | FXF_EXCL).u32(4)
                .u32(mode)), temp);
        boolean renamed = false;
        try {
            try {
                List<CompletableFuture<Reply>> writes = new ArrayList<>();
                for (int off = 0; off < data.length; off += IO_SIZE) {
                    int n = Math.min(IO_SIZE, data.length - off);
                    writes.add(send(new Packet(WRITE).bytes(h).u64(off).bytes(data, off, n)));
                }
                for (CompletableFuture<Reply> w : writes) {
                    expectOk(w, temp);
                }
            } finally {
                expectOk(send(new Packet(CLOSE).bytes(h)), temp);
            }
            if (replace && posixRename) {
                expectOk(send(new Packet(EXTENDED).str(POSIX_RENAME).str(temp).str(path)), path);
                renamed = true;
                return true;
            }
            try {
                expectOk(send(new Packet(RENAME).str(temp).str(path)), path);
                renamed = true;
                return true;
            } catch (SftpException e) {
                if (!exists(path)) {
                    throw e;
                }
                if (!replace) {
                    return false;
                }
                remove(path);
                expectOk(send(new Packet(RENAME).str(temp).str(path)), path);
                renamed = true;
                return true;
            }
        } finally {
            if (!renamed) {
                try {
                    remove(temp);
                } catch (IOException ignored) {
                    // Best effort: a leftover .tmp file is harmless and ignored by readers.
                }
            }
        }
    }

    /** Whether {@code path} exists. */
    public boolean exists(String path) throws IOException {
        return modified(path) != null;
    }

    /** The time (mtime, whole seconds) of {@code path}, or null when there is no such file. */
    public Instant modified(String path) throws IOException {
        Reply r = await(send(new Packet(STAT).str(path)));
        if (r.type() == ATTRS) {
            Instant t = mtime(r.body());
            return t != null ? t : Instant.EPOCH;
        }
        if (r.type() == STATUS && r.body().getInt(0) == SftpException.NO_SUCH_FILE) {
            return null;
        }
        checkStatus(r, path);
        throw new IOException(location + ": unexpected SFTP reply " + r.type() + " for " + path);
    }

    /** Sets the access and modification times of {@code path} (whole seconds). */
    public void setModified(String path, Instant time) throws IOException {
        int seconds = (int) time.getEpochSecond();
        expectOk(send(new Packet(SETSTAT).str(path).u32(ATTR_ACMODTIME).u32(seconds).u32(seconds)), path);
    }

    /** A directory entry: its name and time (null when the server did not say). */
    public record Entry(String name, Instant modified) {
    }

    /** The names in directory {@code path}, without "." and "..". */
    public List<String> list(String path) throws IOException {
        return listWithTimes(path).stream().map(Entry::name).toList();
    }

    /** The entries of directory {@code path} with their times, without "." and "..". */
    public List<Entry> listWithTimes(String path) throws IOException {
        byte[] h = handle(send(new Packet(OPENDIR).str(path)), path);
        List<Entry> entries = new ArrayList<>();
        try {
            while (true) {
                Reply r = await(send(new Packet(READDIR).bytes(h)));
                if (r.type() == STATUS) {
                    if (r.body().getInt(0) == FX_EOF) {
                        return entries;
                    }
                    checkStatus(r, path);
                    return entries;
                }
                if (r.type() != NAME) {
                    throw new IOException(location + ": unexpected SFTP reply " + r.type() + " listing " + path);
                }
                ByteBuffer b = r.body();
                int count = b.getInt();
                for (int i = 0; i < count; i++) {
                    String name = string(b);
                    string(b);
                    Instant t = mtime(b);
                    if (!name.equals(".") && !name.equals("..")) {
                        entries.add(new Entry(name, t));
                    }
                }
            }
        } finally {
            closeHandle(h);
        }
    }

    /** Removes the file {@code path}. */
    public void remove(String path) throws IOException {
        expectOk(send(new Packet(REMOVE).str(path)), path);
    }

    /** Creates directory {@code path}; true when created, false when it existed. */
    public boolean mkdir(String path) throws IOException {
        try {
            expectOk(send(new Packet(MKDIR).str(path).u32(0)), path);
            return true;
        } catch (SftpException e) {
            if (exists(path)) {
                return false;
            }
            throw e;
        }
    }

    /** Removes the empty directory {@code path}. */
    public void rmdir(String path) throws IOException {
        expectOk(send(new Packet(RMDIR).str(path)), path);
    }

    /** A random name for a temporary file beside {@code path}. */
    public static String tempName(String path) {
        return path + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
    }

    @Override
    public void close() {
        process.close();
        fail(new IOException(location + ": session closed"));
    }

    /** Reads an ATTRS structure; returns its mtime, or null when it has none. */
    private static Instant mtime(ByteBuffer b) {
        int flags = b.getInt();
        Instant t = null;
        if ((flags & 1) != 0) {
            b.getLong();
        }
        if ((flags & 2) != 0) {
            b.getLong();
        }
        if ((flags & 4) != 0) {
            b.getInt();
        }
        if ((flags & ATTR_ACMODTIME) != 0) {
            b.getInt();
            t = Instant.ofEpochSecond(Integer.toUnsignedLong(b.getInt()));
        }
        if ((flags & 0x80000000) != 0) {
            int n = b.getInt();
            for (int i = 0; i < n; i++) {
                bytes(b);
                bytes(b);
            }
        }
        return t;
    }

    private static byte[] bytes(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new java.nio.BufferUnderflowException();
        }
        byte[] d = new byte[n];
        b.get(d);
        return d;
    }

    private static String string(ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.UTF_8);
    }

    /** An outgoing packet: length, type, id, fields. */
    private static final class Packet {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        private final int type;
        private int id;

        Packet(int type) {
            this.type = type;
        }

        void setId(int id) {
            this.id = id;
        }

        Packet u32(int v) {
            b.write(v >>> 24);
            b.write(v >>> 16);
            b.write(v >>> 8);
            b.write(v);
            return this;
        }

        Packet u64(long v) {
            u32((int) (v >>> 32));
            return u32((int) v);
        }

        Packet bytes(byte[] d) {
            return bytes(d, 0, d.length);
        }

        Packet bytes(byte[] d, int off, int len) {
            u32(len);
            b.write(d, off, len);
            return this;
        }

        Packet str(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        void send(OutputStream out) throws IOException {
            boolean init = type == INIT;
            int len = 1 + (init ? 0 : 4) + b.size();
            byte[] head = new byte[init ? 5 : 9];
            ByteBuffer.wrap(head).putInt(len).put((byte) type);
            if (!init) {
                ByteBuffer.wrap(head, 5, 4).putInt(id);
            }
            out.write(head);
            b.writeTo(out);
        }
    }
}
