package org.jcasync.catar;

import org.jcasync.catar.RecordInput.Header;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Arrays;

import static org.jcasync.catar.FieldRules.str;

/**
 * A streaming, strict reader of casync's catar stream. It pulls the stream once, front to back, and reports each
 * node twice: {@link Kind#ENTRY} once its metadata records have been read (for a regular file the payload follows
 * and may be read through {@link #payload()}), and {@link Kind#DONE} after its payload or, for a directory, after
 * its GOODBYE record; both events carry the same {@link CatarEntry}. Only the metadata of the nodes on the current
 * path is in memory; payloads never are.
 *
 * <p>It applies casync's decoder rules ({@code src/cadecoder.c}): record sizes and limits (checked before anything
 * is allocated), known record types, record order, one feature-flag word in every ENTRY (and equal to the index's,
 * for a .caidx), modes, uids, timestamps against the archive's granularity, file names, GOODBYE size, marker and
 * entry offset, depth at most {@value CatarFormat#NODES_MAX}. Every violation is an {@link ArchiveFormatException}
 * naming the offset. Beyond casync, it also requires the GOODBYE table to have one item per child and FCAPS records
 * to be allowed by the flags. As casync, it stops at the end of the root directory; bytes after it are not read.
 *
 * <p>The work is shared: {@link RecordInput} reads records, {@link EntryReader} a node's metadata (with a handler
 * per record type in {@link MetadataRecords} and the field rules of {@link FieldRules}); this class walks the
 * directories (FILENAME, GOODBYE) and streams payloads.
 */
public final class CatarDecoder implements Closeable {
    /** What {@link #next()} reports. */
    public enum Kind {
        /** A node's metadata was read; a regular file's payload comes next. */
        ENTRY,
        /** A node ended (after its payload, or after a directory's GOODBYE). */
        DONE
    }

    /** One step of the walk. */
    public record Event(Kind kind, CatarEntry entry) {
    }

    /** Receives every archive byte the decoder consumes while set (see {@link #tap}). */
    @FunctionalInterface
    public interface Tap {
        /** {@code b[off, off+len)} were consumed. */
        void accept(byte[] b, int off, int len) throws IOException;
    }

    /** A directory on the current path, with the number of children read so far. */
    private static final class OpenDirectory {
        final CatarEntry entry;
        final byte[] path;
        int children;

        OpenDirectory(CatarEntry entry) {
            this.entry = entry;
            this.path = entry.path();
        }
    }

    private final RecordInput in;
    private final EntryReader entries;
    private final ArrayDeque<OpenDirectory> stack = new ArrayDeque<>();
    /** A file whose ENTRY was reported and whose DONE is next. */
    private CatarEntry pendingDone;
    private long payloadLeft;
    private boolean started;
    private boolean finished;
    private long payloadGeneration;

    /** A decoder of {@code in} accepting any (valid) feature flags; the first ENTRY decides them. */
    public CatarDecoder(InputStream in) {
        this(in, -1);
    }

    /**
     * A decoder of {@code in} whose ENTRY records must all carry {@code expectedFlags} (a .caidx's header flags), or
     * any flags when {@code expectedFlags} is -1.
     */
    public CatarDecoder(InputStream in, long expectedFlags) {
        this.in = new RecordInput(in);
        this.entries = new EntryReader(this.in, expectedFlags);
    }

    /** The archive's feature flags (known after the first ENTRY), or -1. */
    public long featureFlags() {
        return entries.flags();
    }

    /** Archive bytes consumed so far. */
    public long position() {
        return in.position();
    }

    /** Sets (or, with null, clears) the receiver of every byte consumed from now on. */
    public void tap(Tap t) {
        in.tap(t);
    }

    /**
     * The next step, or null after the root directory ended. After an ENTRY of a regular file, the payload is
     * available from {@link #payload()} until the next call; what the consumer did not read is skipped (and still
     * passed to the tap).
     */
    public Event next() throws IOException {
        if (finished) {
            return null;
        }
        if (pendingDone != null) {
            skipPayload();
            CatarEntry n = pendingDone;
            pendingDone = null;
            return new Event(Kind.DONE, n);
        }
        if (!started) {
            started = true;
            CatarEntry root = entries.read(new byte[0], new byte[0], 1);
            stack.push(new OpenDirectory(root));
            return new Event(Kind.ENTRY, root);
        }
        OpenDirectory dir = stack.peek();
        if (dir == null) {
            finished = true;
            return null;
        }
        Header h = in.readHeader();
        if (h.type() == CatarFormat.FILENAME) {
            return child(dir, readFilename(h), h);
        }
        if (h.type() == CatarFormat.GOODBYE) {
            readGoodbye(h, dir);
            stack.pop();
            if (stack.isEmpty()) {
                finished = true;
            }
            return new Event(Kind.DONE, dir.entry);
        }
        throw new ArchiveFormatException(h.offset(), "expected FILENAME or GOODBYE in directory '"
                + dir.entry.pathString() + "', found " + CatarFormat.typeName(h.type()));
    }

    /** The child {@code name} of {@code dir}, whose FILENAME record {@code h} was just read. */
    private Event child(OpenDirectory dir, byte[] name, Header h) throws IOException {
        if (stack.size() >= CatarFormat.NODES_MAX) {
            throw new ArchiveFormatException(h.offset(), "directory depth exceeds " + CatarFormat.NODES_MAX
                    + " at '" + str(dir.path) + "/" + str(name) + "'");
        }
        byte[] path;
        if (dir.path.length == 0) {
            path = name;
        } else {
            path = Arrays.copyOf(dir.path, dir.path.length + 1 + name.length);
            path[dir.path.length] = '/';
            System.arraycopy(name, 0, path, dir.path.length + 1, name.length);
        }
        dir.children++;
        CatarEntry child = entries.read(name, path, dir.entry.depth() + 1);
        if (child.isDirectory()) {
            stack.push(new OpenDirectory(child));
        } else {
            pendingDone = child;
            payloadLeft = Math.max(0, child.payloadSize());
            payloadGeneration++;
        }
        return new Event(Kind.ENTRY, child);
    }

    /**
     * The payload of the regular file whose ENTRY was just reported: a stream of exactly its bytes, valid until the
     * next call of {@link #next()}. Closing it does not close the archive.
     */
    public InputStream payload() {
        if (pendingDone == null || !pendingDone.isRegularFile()) {
            throw new IllegalStateException("no payload: the last event was not the ENTRY of a regular file");
        }
        final long gen = payloadGeneration;
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (gen != payloadGeneration) {
                    throw new IOException("payload stream used after the decoder moved on");
                }
                if (len == 0) {
                    return 0;
                }
                if (payloadLeft == 0) {
                    return -1;
                }
                int k = (int) Math.min(len, payloadLeft);
                int got = in.readSome(b, off, k);
                payloadLeft -= got;
                return got;
            }

            @Override
            public long skip(long n) throws IOException {
                long k = Math.min(Math.max(0, n), payloadLeft);
                in.skip(k);
                payloadLeft -= k;
                return k;
            }

            @Override
            public int available() {
                return in.available(payloadLeft);
            }
        };
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private void skipPayload() throws IOException {
        in.skip(payloadLeft);
        payloadLeft = 0;
        payloadGeneration++;
    }

    /** A FILENAME record: one path component, NUL-terminated, neither "." nor "..". */
    private byte[] readFilename(Header h) throws IOException {
        FieldRules.limit(h, 18, FieldRules.FILENAME_SIZE_MAX);
        byte[] b = in.readBody(h);
        int n = b.length - 1;
        if (b[n] != 0) {
            throw new ArchiveFormatException(h.offset(), "FILENAME not NUL-terminated");
        }
        for (int i = 0; i < n; i++) {
            if (b[i] == 0 || b[i] == '/') {
                throw new ArchiveFormatException(h.offset(), "FILENAME '" + str(Arrays.copyOf(b, n))
                        + "' contains " + (b[i] == 0 ? "NUL" : "'/'"));
            }
        }
        if (n == 1 && b[0] == '.' || n == 2 && b[0] == '.' && b[1] == '.') {
            throw new ArchiveFormatException(h.offset(), "FILENAME '" + str(Arrays.copyOf(b, n))
                    + "' is not allowed");
        }
        return Arrays.copyOf(b, n);
    }

    /** A GOODBYE record: one item per child (skipped) and a tail pointing back at the directory's ENTRY. */
    private void readGoodbye(Header h, OpenDirectory dir) throws IOException {
        int item = CatarFormat.GOODBYE_ITEM_SIZE;
        if (h.size() < CatarFormat.HEADER_SIZE + item || (h.size() - CatarFormat.HEADER_SIZE - item) % item != 0) {
            throw new ArchiveFormatException(h.offset(), "GOODBYE record of " + Long.toUnsignedString(h.size())
                    + " bytes (must be 40 + 24 n)");
        }
        long items = (h.size() - CatarFormat.HEADER_SIZE - item) / item;
        if (items != dir.children) {
            throw new ArchiveFormatException(h.offset(), "GOODBYE of '" + dir.entry.pathString() + "' has " + items
                    + " items for " + dir.children + " children");
        }
        in.skip(items * item);
        byte[] tail = new byte[item];
        in.readFully(tail, 0, item);
        long entryOffset = CatarFormat.le64(tail, 0);
        long size = CatarFormat.le64(tail, 8);
        long marker = CatarFormat.le64(tail, 16);
        if (marker != CatarFormat.GOODBYE_TAIL_MARKER) {
            throw new ArchiveFormatException(h.offset(), String.format(
                    "GOODBYE tail marker 0x%016x (must be 0x%016x)", marker, CatarFormat.GOODBYE_TAIL_MARKER));
        }
        if (size != h.size()) {
            throw new ArchiveFormatException(h.offset(), "GOODBYE tail size " + Long.toUnsignedString(size)
                    + " differs from the record size " + h.size());
        }
        long distance = h.offset() - dir.entry.offset();
        if (entryOffset != distance) {
            throw new ArchiveFormatException(h.offset(), "GOODBYE entry offset " + Long.toUnsignedString(entryOffset)
                    + " does not point at the directory's ENTRY (distance " + distance + ")");
        }
    }
}
