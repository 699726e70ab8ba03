package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.BatchReadStore;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.Compression;
import org.jcasync.store.FetchListener;
import org.jcasync.store.LocalStore;
import org.jcasync.store.LockDirectory;
import org.jcasync.store.LockableStore;
import org.jcasync.store.PrunableChunkStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransferWatch;
import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * casync's store layout ({@code ROOT/<4 hex>/<id>.cacnk}, one compressed frame per file) on an SFTP server, over
 * one {@link SftpClient} session (restarted after a transport failure) with many requests in flight. Chunks are
 * written to a temporary name and renamed, so readers never see a partial chunk; every chunk read is verified.
 */
public final class SftpStore extends BatchReadStore implements PrunableChunkStore, LockableStore {
    private final String location;
    private final String root;
    private final StoreOptions options;
    private final TransportOptions transport;
    private final SftpSessions sessions;
    private final Set<String> knownDirs = ConcurrentHashMap.newKeySet();
    private final AtomicLong chunks = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();

    /** The store at {@code root} on the server {@code sessions} reach. */
    public SftpStore(String location, String root, SftpSessions sessions, StoreOptions options,
                     TransportOptions transport) {
        this.location = location;
        this.root = root.endsWith("/") && root.length() > 1 ? root.substring(0, root.length() - 1) : root;
        this.sessions = sessions;
        this.options = options;
        this.transport = transport;
    }

    private String dir(ChunkId id) {
        return root + "/" + id.toHex().substring(0, 4);
    }

    private String path(ChunkId id) {
        return dir(id) + "/" + id.toHex() + LocalStore.SUFFIX;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public byte[][] getAll(List<ChunkId> ids, FetchListener listener) throws IOException {
        ChunkId[] a = ids.toArray(new ChunkId[0]);
        byte[][] stored = new byte[a.length][];
        Semaphore permits = new Semaphore(transport.maxInFlight());
        List<Future<byte[]>> futures = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (ChunkId id : a) {
                futures.add(pool.submit(() -> {
                    permits.acquire();
                    try {
                        return load(id);
                    } finally {
                        permits.release();
                    }
                }));
            }
            for (int i = 0; i < a.length; i++) {
                stored[i] = join(futures.get(i));
            }
        }
        boolean[] compressed = new boolean[a.length];
        java.util.Arrays.fill(compressed, true);
        byte[][] data = ChunkVerifier.verify(a, stored, compressed, options, location);
        for (int i = 0; i < a.length; i++) {
            if (data[i] != null) {
                chunks.incrementAndGet();
                if (listener != null) {
                    listener.fetched(a[i], data[i], stored[i]);
                }
            }
        }
        return data;
    }

    private static byte[] join(Future<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    /** The chunk file's bytes, or null when there is none. */
    private byte[] load(ChunkId id) throws IOException {
        requests.incrementAndGet();
        try {
            byte[] b = sessions.call(c -> c.read(path(id), Compression.maxStoredSize(options.maxChunkSize()),
                    TransferWatch.of(transport)));
            bytes.addAndGet(b.length);
            return b;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        byte[] b = load(id);
        if (b == null) {
            throw new ChunkMissingException(id, location);
        }
        return b;
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        requests.incrementAndGet();
        return sessions.call(c -> c.exists(path(id)));
    }

    /** STAT tells the chunk's time; one older than {@link #FRESH_FOR} gets the current time (SETSTAT). */
    @Override
    public boolean freshen(ChunkId id) throws IOException {
        String p = path(id);
        requests.incrementAndGet();
        Instant t = sessions.call(c -> c.modified(p));
        if (t == null) {
            return false;
        }
        Instant now = Instant.now();
        if (t.isBefore(now.minus(FRESH_FOR))) {
            requests.incrementAndGet();
            try {
                sessions.call(c -> {
                    c.setModified(p, now);
                    return null;
                });
            } catch (NoSuchFileException e) {
                return false; // removed meanwhile (a gc): to be uploaded
            } catch (SftpException e) {
                // Not the owner of the file (or a read-only server): the chunk stays as it is.
            }
        }
        return true;
    }

    @Override
    public boolean put(ChunkId id, byte[] data, int off, int len) throws IOException {
        if (freshen(id)) {
            return false;
        }
        return write(id, options.compression().compress(data, off, len));
    }

    @Override
    public boolean putStored(ChunkId id, byte[] stored) throws IOException {
        if (Compression.detect(stored, stored.length) == null) {
            return PrunableChunkStore.super.putStored(id, stored);
        }
        return !freshen(id) && write(id, stored);
    }

    private boolean write(ChunkId id, byte[] frame) throws IOException {
        String dir = dir(id);
        if (!knownDirs.contains(dir)) {
            makeDirs(dir);
        }
        String target = path(id);
        requests.incrementAndGet();
        try {
            return sessions.call(c -> c.writeAtomic(target, SftpClient.tempName(target), frame, false, 0444));
        } catch (NoSuchFileException e) {
            // The directory went away (a prune): create it again.
            knownDirs.remove(dir);
            makeDirs(dir);
            return sessions.call(c -> c.writeAtomic(target, SftpClient.tempName(target), frame, false, 0444));
        }
    }

    private void makeDirs(String dir) throws IOException {
        if (!knownDirs.contains(root)) {
            sessions.call(c -> c.mkdir(root));
            knownDirs.add(root);
        }
        sessions.call(c -> c.mkdir(dir));
        knownDirs.add(dir);
    }

    /** Lists the {@code <4 hex>} directories, each with the times of its chunk files (READDIR gives them). */
    @Override
    public void listChunks(ChunkSink sink) throws IOException {
        List<String> top;
        try {
            top = sessions.call(c -> c.list(root));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(location, null, "store directory not found");
        }
        for (String sub : top) {
            if (!LocalStore.isChunkDirectory(sub)) {
                continue;
            }
            List<SftpClient.Entry> entries;
            try {
                entries = sessions.call(c -> c.listWithTimes(root + "/" + sub));
            } catch (NoSuchFileException | SftpException e) {
                continue; // a file of that name, or removed meanwhile by another collection
            }
            for (SftpClient.Entry e : entries) {
                ChunkId id = LocalStore.chunkOfFileName(e.name());
                if (id != null) {
                    sink.chunk(new ChunkFile(id, sub, e.name(), e.modified() != null ? e.modified()
                            : Instant.EPOCH));
                }
            }
            sink.directoryEnd(sub);
        }
    }

    @Override
    public void remove(List<ChunkFile> files) throws IOException {
        for (ChunkFile f : files) {
            try {
                sessions.call(c -> {
                    c.remove(root + "/" + f.directory() + "/" + f.name());
                    return null;
                });
            } catch (NoSuchFileException e) {
                // removed meanwhile: what was wanted
            }
        }
    }

    @Override
    public boolean removeDirectory(String directory) throws IOException {
        String d = root + "/" + directory;
        try {
            sessions.call(c -> {
                c.rmdir(d);
                return null;
            });
            knownDirs.remove(d);
            return true;
        } catch (NoSuchFileException | SftpException e) {
            return false; // not empty (a writer added a chunk meanwhile), or gone
        }
    }

    @Override
    public LockDirectory lockDirectory() {
        return new SftpLockDirectory(root, location, sessions, transport);
    }

    @Override
    public long bytesRead() {
        return bytes.get();
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(location, chunks.get(), bytes.get(), requests.get(), sessions.retries(), 0));
    }

    @Override
    public void close() {
        sessions.close();
    }

    @Override
    public String toString() {
        return location;
    }
}
