package org.jcasync.tree;

import org.jcasync.io.Futures;

import org.jcasync.catar.CatarEncoder;
import org.jcasync.catar.TreeStream;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.Chunker;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A directory used as a seed for a .caidx, as casync does it: the tree is serialized with the archive's feature
 * flags and chunked with the index's parameters, and every chunk the index needs that turns up is remembered by
 * where its bytes lie: in which files' payloads, and which metadata bytes (kept in memory) between them. Reading a
 * chunk reassembles it from the files and verifies it; a file that changed since makes the chunk "missing" here, so
 * the next store supplies it.
 *
 * <p>Memory: the catar metadata of the seed tree (headers, names, goodbye tables; about 200 bytes per entry) plus
 * one location per useful chunk; file contents are never held.
 */
public final class TreeSeed implements ChunkStore {
    /** A run of stream bytes: payload of {@code file} from {@code fileOffset}, or metadata at {@code metaOffset}. */
    private record Segment(long start, long length, Path file, long fileOffset, int metaOffset) {
    }

    private record Location(long start, int length) {
    }

    private record Piece(long start, byte[] data) {
    }

    private final Path dir;
    private final DigestAlgorithm digest;
    private final Map<ChunkId, Location> chunks = new HashMap<>();
    private final List<Segment> segments = new ArrayList<>();
    private long[] segmentStarts;
    private byte[] meta = new byte[1 << 16];
    private int metaLength;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong hitBytes = new AtomicLong();
    private long seedBytes;

    private TreeSeed(Path dir, DigestAlgorithm digest) {
        this.dir = dir;
        this.digest = digest;
    }

    /**
     * Serializes and chunks {@code dir} with the feature flags and chunk parameters of {@code index}, hashing on
     * {@code pool}, and keeps the locations of the chunks {@code index} lists.
     */
    public static TreeSeed build(Path dir, Index index, ExecutorService pool) throws IOException {
        TreeSeed seed = new TreeSeed(dir, index.digest());
        seed.scan(index, pool);
        return seed;
    }

    private void scan(Index index, ExecutorService pool) throws IOException {
        Set<ChunkId> wanted = new HashSet<>();
        for (int i = 0; i < index.size(); i++) {
            wanted.add(index.id(i));
        }
        ConcurrentLinkedQueue<Segment> payloads = new ConcurrentLinkedQueue<>();
        CatarEncoder encoder = new CatarEncoder(index.featureFlags())
                .onPayload((file, at, size) -> payloads.add(new Segment(at, size, file, 0, -1)));
        ArrayDeque<Future<List<Object[]>>> inFlight = new ArrayDeque<>();
        try (InputStream in = TreeStream.open(dir, encoder)) {
            ChunkerParams params = index.params();
            Chunker chunker = new Chunker(params);
            byte[] buf = new byte[1 << 20];
            byte[] chunk = new byte[Math.min(params.max(), 1 << 20)];
            int chunkLen = 0;
            long offset = 0;
            long streamPos = 0;
            Segment payload = null;
            List<Piece> batch = new ArrayList<>();
            long batchBytes = 0;
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                // Classify the block's bytes: payload segments come from the encoder before their bytes do.
                int p = 0;
                while (p < n) {
                    if (payload == null) {
                        payload = payloads.poll();
                    }
                    long at = streamPos + p;
                    if (payload != null && at >= payload.start()) {
                        long end = payload.start() + payload.length();
                        int k = (int) Math.min(n - p, end - at);
                        addPayload(payload, at, k);
                        p += k;
                        if (at + k == end) {
                            payload = null;
                        }
                    } else {
                        long until = payload == null ? Long.MAX_VALUE : payload.start();
                        int k = (int) Math.min(n - p, until - at);
                        addMeta(buf, p, k, at);
                        p += k;
                    }
                }
                streamPos += n;
                int pos = 0;
                while (pos < n) {
                    int cut = chunker.next(buf, pos, n);
                    int end = cut < 0 ? n : cut;
                    if (chunkLen + end - pos > chunk.length) {
                        chunk = Arrays.copyOf(chunk, Math.max(chunkLen + end - pos, chunk.length * 2));
                    }
                    System.arraycopy(buf, pos, chunk, chunkLen, end - pos);
                    chunkLen += end - pos;
                    pos = end;
                    if (cut >= 0) {
                        batch.add(new Piece(offset, Arrays.copyOf(chunk, chunkLen)));
                        offset += chunkLen;
                        batchBytes += chunkLen;
                        chunkLen = 0;
                        if (batchBytes >= (4 << 20)) {
                            submit(inFlight, List.copyOf(batch), pool, wanted);
                            batch.clear();
                            batchBytes = 0;
                        }
                    }
                }
            }
            if (chunkLen > 0) {
                batch.add(new Piece(offset, Arrays.copyOf(chunk, chunkLen)));
            }
            if (!batch.isEmpty()) {
                submit(inFlight, List.copyOf(batch), pool, wanted);
            }
            while (!inFlight.isEmpty()) {
                collect(inFlight.poll());
            }
            seedBytes = streamPos;
        } finally {
            for (Future<?> f : inFlight) {
                f.cancel(true);
            }
        }
        segmentStarts = new long[segments.size()];
        for (int i = 0; i < segmentStarts.length; i++) {
            segmentStarts[i] = segments.get(i).start();
        }
    }

    private void submit(ArrayDeque<Future<List<Object[]>>> inFlight, List<Piece> pieces, ExecutorService pool,
                        Set<ChunkId> wanted) throws IOException {
        while (inFlight.size() >= 4) {
            collect(inFlight.poll());
        }
        inFlight.add(pool.submit(() -> {
            byte[][] data = new byte[pieces.size()][];
            for (int i = 0; i < data.length; i++) {
                data[i] = pieces.get(i).data();
            }
            ChunkId[] got = digest.ids(data);
            List<Object[]> found = new ArrayList<>();
            for (int i = 0; i < data.length; i++) {
                if (wanted.contains(got[i])) {
                    found.add(new Object[] {got[i], new Location(pieces.get(i).start(), data[i].length)});
                }
            }
            return found;
        }));
    }

    private void collect(Future<List<Object[]>> f) throws IOException {
        for (Object[] o : Futures.await(f)) {
            chunks.putIfAbsent((ChunkId) o[0], (Location) o[1]);
        }
    }

    private void addPayload(Segment s, long at, int k) {
        Segment last = segments.isEmpty() ? null : segments.getLast();
        if (last != null && last.file() == s.file() && last.start() + last.length() == at) {
            segments.set(segments.size() - 1, new Segment(last.start(), last.length() + k, s.file(),
                    last.fileOffset(), -1));
        } else {
            segments.add(new Segment(at, k, s.file(), at - s.start(), -1));
        }
    }

    private void addMeta(byte[] b, int off, int k, long at) {
        if (metaLength + k > meta.length) {
            meta = Arrays.copyOf(meta, Math.max(metaLength + k, meta.length * 2));
        }
        System.arraycopy(b, off, meta, metaLength, k);
        Segment last = segments.isEmpty() ? null : segments.getLast();
        if (last != null && last.file() == null && last.start() + last.length() == at) {
            segments.set(segments.size() - 1, new Segment(last.start(), last.length() + k, null, 0,
                    last.metaOffset()));
        } else {
            segments.add(new Segment(at, k, null, 0, metaLength));
        }
        metaLength += k;
    }

    /** How many distinct chunks of the index this seed can supply. */
    public int usefulChunks() {
        return chunks.size();
    }

    /** Bytes of the seed's catar stream (what was serialized and chunked). */
    public long serializedBytes() {
        return seedBytes;
    }

    /** Chunks read from this seed so far, and their bytes. */
    public long hits() {
        return hits.get();
    }

    /** Uncompressed bytes read from this seed so far. */
    public long hitBytes() {
        return hitBytes.get();
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        byte[] data = assemble(id);
        if (data == null) {
            throw new ChunkMissingException(id, location());
        }
        if (!digest.digest(data, 0, data.length).equals(id)) {
            throw new ChunkMissingException(id, location() + " (files changed since it was scanned)");
        }
        hits.incrementAndGet();
        hitBytes.addAndGet(data.length);
        return data;
    }

    /** Assembles the chunks it has, then verifies them with one multi-buffer digest call; changed ones are null. */
    @Override
    public byte[][] getAll(List<ChunkId> ids) {
        byte[][] out = new byte[ids.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = assemble(ids.get(i));
        }
        ChunkId[] actual = digest.ids(out);
        for (int i = 0; i < out.length; i++) {
            if (out[i] != null) {
                if (actual[i].equals(ids.get(i))) {
                    hits.incrementAndGet();
                    hitBytes.addAndGet(out[i].length);
                } else {
                    out[i] = null;
                }
            }
        }
        return out;
    }

    /** The bytes the chunk {@code id} had when scanned, read back (not verified); null if unknown or unreadable. */
    private byte[] assemble(ChunkId id) {
        Location loc = chunks.get(id);
        if (loc == null) {
            return null;
        }
        byte[] data = new byte[loc.length()];
        int i = Arrays.binarySearch(segmentStarts, loc.start());
        if (i < 0) {
            i = -i - 2;
        }
        long pos = loc.start();
        int filled = 0;
        while (filled < data.length) {
            Segment s = segments.get(i);
            long inSeg = pos - s.start();
            int k = (int) Math.min(data.length - filled, s.length() - inSeg);
            if (s.file() == null) {
                System.arraycopy(meta, (int) (s.metaOffset() + inSeg), data, filled, k);
            } else if (!readFile(s.file(), s.fileOffset() + inSeg, data, filled, k)) {
                return null;
            }
            filled += k;
            pos += k;
            i++;
        }
        return data;
    }

    /** An open seed file shared by concurrent readers; closed when evicted and no longer in use. */
    private static final class OpenFile {
        final FileChannel channel;
        int users;
        boolean evicted;

        OpenFile(FileChannel channel) {
            this.channel = channel;
        }
    }

    /** Recently used seed files: neighbouring chunks mostly read the same files. */
    private final java.util.LinkedHashMap<Path, OpenFile> open = new java.util.LinkedHashMap<>(64, 0.75f, true);

    private OpenFile acquire(Path file) throws IOException {
        synchronized (open) {
            OpenFile f = open.get(file);
            if (f == null) {
                f = new OpenFile(FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
                open.put(file, f);
                if (open.size() > 64) {
                    var it = open.entrySet().iterator();
                    OpenFile old = it.next().getValue();
                    it.remove();
                    old.evicted = true;
                    if (old.users == 0) {
                        old.channel.close();
                    }
                }
            }
            f.users++;
            return f;
        }
    }

    private void release(OpenFile f) throws IOException {
        synchronized (open) {
            f.users--;
            if (f.evicted && f.users == 0) {
                f.channel.close();
            }
        }
    }

    private boolean readFile(Path file, long at, byte[] b, int off, int len) {
        try {
            OpenFile f = acquire(file);
            try {
                ByteBuffer bb = ByteBuffer.wrap(b, off, len);
                long p = at;
                while (bb.hasRemaining()) {
                    int r = f.channel.read(bb, p);
                    if (r < 0) {
                        return false;
                    }
                    p += r;
                }
                return true;
            } finally {
                release(f);
            }
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (open) {
            for (OpenFile f : open.values()) {
                f.evicted = true;
                if (f.users == 0) {
                    f.channel.close();
                }
            }
            open.clear();
        }
    }

    @Override
    public boolean hasIsCheap() {
        return true;
    }

    @Override
    public boolean has(ChunkId id) {
        return chunks.containsKey(id);
    }

    @Override
    public String location() {
        return "seed " + dir;
    }
}
