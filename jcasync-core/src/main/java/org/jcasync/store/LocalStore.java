package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.io.RegularFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * casync's local store layout: {@code <root>/<first 4 hex>/<id>.cacnk}, one compressed frame per file, written as
 * {@code <id>.<random>.tmp} (mode 0444) and renamed into place. Uncompressed {@code <root>/<4hex>/<id>} files are
 * read too; such a file that is a symlink to /dev/null marks a chunk as missing, as in casync. With
 * {@link StoreOptions#confinedFiles} (servers), chunk files are read only as regular files reached without a symlink
 * below the root ({@link RegularFile}) and nothing is written through a symlinked directory.
 */
public final class LocalStore implements PrunableChunkStore {
    /** casync's suffix, overridable with {@code $CASYNC_COMPRESSED_CHUNK_SUFFIX}. */
    public static final String SUFFIX = suffixFromEnvironment();
    private static final FileAttribute<?> READ_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--r--r--"));

    private final Path root;
    private final StoreOptions options;
    private final java.util.concurrent.atomic.AtomicLong bytesRead = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
    /** Sub-directories known to exist, so a put costs no mkdir. */
    private final java.util.Set<Path> knownDirs = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A store rooted at {@code root} (created on first write). */
    public LocalStore(Path root, StoreOptions options) {
        this.root = root;
        this.options = options;
    }

    private static String suffixFromEnvironment() {
        String s = System.getenv("CASYNC_COMPRESSED_CHUNK_SUFFIX");
        return s == null || s.isEmpty() ? ".cacnk" : s;
    }

    /** The store directory. */
    public Path root() {
        return root;
    }

    /** Where a compressed chunk lives. */
    public Path chunkPath(ChunkId id) {
        String hex = id.toHex();
        return root.resolve(hex.substring(0, 4)).resolve(hex + SUFFIX);
    }

    private Path rawPath(ChunkId id) {
        return root.resolve(rawName(id));
    }

    /**
     * A file of chunk {@code id} ({@code relative} to the root) read as {@link StoreOptions#confinedFiles} asks; one
     * larger than {@code limit} bytes is refused before it is read.
     */
    private byte[] readConfined(ChunkId id, String relative, long limit) throws IOException {
        try (RegularFile f = RegularFile.openBelow(root, relative)) {
            byte[] b = f.readAll(limit);
            if (b == null) {
                throw new ChunkInvalidException(id, location(), "its file is larger than any chunk of at most "
                        + options.maxChunkSize() + " bytes takes (" + limit + ")", null);
            }
            return b;
        }
    }

    /** The uncompressed chunk's path relative to the root. */
    private static String rawName(ChunkId id) {
        String hex = id.toHex();
        return hex.substring(0, 4) + "/" + hex;
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public byte[] get(ChunkId id) throws IOException {
        byte[] data = load(id);
        if (data == null) {
            throw new ChunkMissingException(id, location());
        }
        verify(id, data, location(), options);
        delivered.incrementAndGet();
        return data;
    }

    /** Loads the chunks, then verifies them in one multi-buffer digest call. */
    @Override
    public byte[][] getAll(List<ChunkId> ids) throws IOException {
        byte[][] out = new byte[ids.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = load(ids.get(i));
            if (out[i] != null && out[i].length == 0) {
                throw new ChunkInvalidException(ids.get(i), location(), "empty chunk", null);
            }
        }
        ChunkId[] actual = options.digest().ids(out);
        for (int i = 0; i < out.length; i++) {
            if (out[i] != null && !actual[i].equals(ids.get(i))) {
                throw new ChunkInvalidException(ids.get(i), location(), "its content has digest " + actual[i], null);
            }
            if (out[i] != null) {
                delivered.incrementAndGet();
            }
        }
        return out;
    }

    /** Reads and decompresses a chunk, not yet verified; null when the store does not have it. */
    private byte[] load(ChunkId id) throws IOException {
        byte[] stored;
        int length;
        boolean compressed = true;
        try {
            long limit = frameLimit(options.maxChunkSize());
            ByteBuffer frame = options.confinedFiles() ? ByteBuffer.wrap(readConfined(id, rawName(id) + SUFFIX, limit))
                    : readTransient(chunkPath(id), limit);
            if (frame == null) {
                throw new ChunkInvalidException(id, location(), "its file is larger than any compressed chunk of at "
                        + "most " + options.maxChunkSize() + " bytes (" + limit + ")", null);
            }
            stored = frame.array();
            length = frame.limit();
        } catch (NoSuchFileException e) {
            Path raw = rawPath(id);
            if (Files.isSymbolicLink(raw) && Paths.get("/dev/null").equals(Files.readSymbolicLink(raw))) {
                return null;
            }
            try {
                stored = options.confinedFiles() ? readConfined(id, rawName(id), options.maxChunkSize())
                        : Files.readAllBytes(raw);
                length = stored.length;
            } catch (NoSuchFileException e2) {
                if (!Files.isDirectory(root)) {
                    throw new StoreException(id, "store " + root + " does not exist", e2);
                }
                return null;
            }
            compressed = false;
        } catch (AccessDeniedException e) {
            throw new StoreException(id, "cannot read chunk " + id + " in store " + root + ": permission denied", e);
        } catch (RegularFile.NotRegularException e) {
            throw new ChunkInvalidException(id, location(), "its file " + e.getFile() + " " + e.getReason(), e);
        }
        bytesRead.addAndGet(length);
        reads.incrementAndGet();
        if (compressed) {
            try {
                return Compression.decompress(stored, length, options.maxChunkSize());
            } catch (IOException e) {
                throw new ChunkInvalidException(id, location(), e.getMessage(), e);
            }
        }
        if (stored.length > options.maxChunkSize()) {
            throw new ChunkInvalidException(id, location(), stored.length
                    + " bytes, more than the maximum chunk size " + options.maxChunkSize(), null);
        }
        return stored;
    }

    /**
     * The largest file a chunk of at most {@code max} bytes can be stored in: zstd, xz and gzip all grow
     * incompressible data by well under 1/64 plus their headers. A larger file is refused before it is read.
     */
    static long frameLimit(int max) {
        return max + max / 64L + (64 << 10);
    }

    private static final ThreadLocal<byte[]> READ_BUFFER = ThreadLocal.withInitial(() -> new byte[256 << 10]);

    /**
     * Reads a whole file into this thread's buffer (grown as needed), so loading a chunk does not allocate and
     * zero an array for its compressed bytes; they are valid until this thread's next read. The result's limit is
     * the file's length; null when the file is longer than {@code limit}.
     */
    private static ByteBuffer readTransient(Path file, long limit) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            byte[] buf = READ_BUFFER.get();
            long size = ch.size();
            if (size > limit) {
                return null;
            }
            if (size >= buf.length) {
                buf = new byte[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(size + 1, 2L * buf.length))];
                READ_BUFFER.set(buf);
            }
            ByteBuffer bb = ByteBuffer.wrap(buf);
            while (ch.read(bb) >= 0) {
                if (!bb.hasRemaining()) {
                    if (buf.length > limit) {
                        return null;
                    }
                    // The file grew while it was read: go on in a larger buffer.
                    buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16, 2L * buf.length));
                    READ_BUFFER.set(buf);
                    bb = ByteBuffer.wrap(buf).position(bb.position());
                }
            }
            return ByteBuffer.wrap(buf, 0, bb.position());
        }
    }

    /** Checks that {@code data} is the chunk {@code id}. */
    static void verify(ChunkId id, byte[] data, String location, StoreOptions options) throws ChunkInvalidException {
        if (data.length == 0) {
            throw new ChunkInvalidException(id, location, "empty chunk", null);
        }
        byte[] actual = options.digest().digestBytes(data, 0, data.length);
        byte[] want = id.toBytes();
        if (!Arrays.equals(actual, want)) {
            throw new ChunkInvalidException(id, location, "its content has digest " + HexFormat.of().formatHex(actual),
                    null);
        }
    }

    @Override
    public long bytesRead() {
        return bytesRead.get();
    }

    @Override
    public boolean hasIsCheap() {
        return true;
    }

    @Override
    public boolean has(ChunkId id) {
        if (options.confinedFiles()) {
            try {
                return RegularFile.isRegularBelow(root, rawName(id) + SUFFIX)
                        || RegularFile.isRegularBelow(root, rawName(id));
            } catch (IOException e) {
                // As Files.exists below: a file that cannot be looked at is not there.
                return false;
            }
        }
        return Files.exists(chunkPath(id)) || Files.exists(rawPath(id), LinkOption.NOFOLLOW_LINKS)
                && !Files.isSymbolicLink(rawPath(id));
    }

    @Override
    public boolean put(ChunkId id, byte[] data, int off, int len) throws IOException {
        Path target = chunkPath(id);
        if (Files.exists(target)) {
            return false;
        }
        return write(id, target, options.compression().compressTransient(data, off, len));
    }

    @Override
    public boolean putStored(ChunkId id, byte[] stored) throws IOException {
        if (Compression.detect(stored, stored.length) == null) {
            return PrunableChunkStore.super.putStored(id, stored);
        }
        Path target = chunkPath(id);
        return !Files.exists(target) && write(id, target, ByteBuffer.wrap(stored));
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        try {
            byte[] b = options.confinedFiles() ? readConfined(id, rawName(id) + SUFFIX,
                    frameLimit(options.maxChunkSize())) : Files.readAllBytes(chunkPath(id));
            bytesRead.addAndGet(b.length);
            reads.incrementAndGet();
            return b;
        } catch (RegularFile.NotRegularException e) {
            throw new ChunkInvalidException(id, location(), "its file " + e.getFile() + " " + e.getReason(), e);
        } catch (NoSuchFileException e) {
            // casync's uncompressed chunks are handed out compressed, as a chunk file would be.
            return PrunableChunkStore.super.getStored(id);
        } catch (AccessDeniedException e) {
            throw new StoreException(id, "cannot read chunk " + id + " in store " + root + ": permission denied", e);
        }
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(location(), delivered.get(), bytesRead.get(), reads.get(), 0, 0));
    }

    private boolean write(ChunkId id, Path target, ByteBuffer compressed) throws IOException {
        Path dir = target.getParent();
        if (!knownDirs.contains(dir)) {
            if (options.confinedFiles() && Files.isSymbolicLink(dir)) {
                throw new StoreException(id, "cannot store chunk " + id + ": " + dir + " is a symbolic link (this "
                        + "store writes only below its own directory)", null);
            }
            Files.createDirectories(dir);
            knownDirs.add(dir);
        }
        Path tmp = dir.resolve(id.toHex() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            FileChannel opened;
            try {
                opened = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), READ_ONLY);
            } catch (NoSuchFileException e) {
                // The sub-directory was removed since we created it (a prune): create it again.
                Files.createDirectories(dir);
                opened = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), READ_ONLY);
            }
            try (FileChannel ch = opened) {
                while (compressed.hasRemaining()) {
                    ch.write(compressed);
                }
            }
            // link(2) publishes atomically and never replaces: a concurrent writer of the same chunk wins once.
            try {
                Files.createLink(target, tmp);
            } catch (UnsupportedOperationException e) {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
        return true;
    }

    @Override
    public PruneResult prune(Predicate<ChunkId> keep, boolean dryRun, PruneListener listener) throws IOException {
        long removed = 0;
        long dirs = 0;
        long all = 0;
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root.toString(), null, "store directory not found");
        }
        try (DirectoryStream<Path> top = Files.newDirectoryStream(root)) {
            for (Path sub : top) {
                if (!Files.isDirectory(sub, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(sub, "*" + SUFFIX)) {
                    for (Path f : files) {
                        String name = f.getFileName().toString();
                        String hex = name.substring(0, name.length() - SUFFIX.length());
                        ChunkId id;
                        try {
                            id = ChunkId.parse(hex);
                        } catch (IllegalArgumentException e) {
                            continue;
                        }
                        all++;
                        if (keep.test(id)) {
                            continue;
                        }
                        if (listener != null) {
                            listener.removing(name);
                        }
                        if (!dryRun) {
                            Files.delete(f);
                        }
                        removed++;
                    }
                }
                if (!dryRun && isEmpty(sub)) {
                    try {
                        Files.delete(sub);
                        dirs++;
                    } catch (IOException ignored) {
                        // Another writer may have just added a chunk: the directory stays.
                    }
                }
            }
        }
        return new PruneResult(removed, dirs, all - removed);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            return !s.iterator().hasNext();
        }
    }

    @Override
    public String toString() {
        return location();
    }
}
