package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.io.Failures;
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
import java.nio.file.FileSystemException;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
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
public final class LocalStore implements PrunableChunkStore, LockableStore {
    /** casync's suffix, overridable with {@code $CASYNC_COMPRESSED_CHUNK_SUFFIX}. */
    public static final String SUFFIX = suffixFromEnvironment();
    private static final java.util.regex.Pattern CHUNK_DIRECTORY = java.util.regex.Pattern.compile("[0-9a-f]{4}");
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

    /** The chunk a file name in a chunk directory names ({@code <64 hex>.cacnk}), or null for any other file. */
    public static ChunkId chunkOfFileName(String name) {
        return name.endsWith(SUFFIX) ? ChunkId.tryParse(name.substring(0, name.length() - SUFFIX.length())) : null;
    }

    /** Whether {@code name} is that of a chunk directory: the first 4 hex digits of ids. */
    public static boolean isChunkDirectory(String name) {
        return CHUNK_DIRECTORY.matcher(name).matches();
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
                        : readSmallFile(raw, options.maxChunkSize());
                if (stored == null) {
                    throw new ChunkInvalidException(id, location(), "its file is larger than the maximum chunk size "
                            + options.maxChunkSize(), null);
                }
                length = stored.length;
            } catch (NoSuchFileException e2) {
                if (!Files.isDirectory(root)) {
                    throw new StoreException(id, "store " + root + " does not exist", e2);
                }
                return null;
            } catch (RegularFile.NotRegularException e2) {
                throw notRegular(id, e2);
            }
            compressed = false;
        } catch (AccessDeniedException e) {
            throw new StoreException(id, "cannot read chunk " + id + " in store " + root + ": permission denied", e);
        } catch (RegularFile.NotRegularException e) {
            throw notRegular(id, e);
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

    /** The largest file a chunk of at most {@code max} bytes can be stored in ({@link Compression#maxStoredSize}). */
    static long frameLimit(int max) {
        return Compression.maxStoredSize(max);
    }

    private static final ThreadLocal<byte[]> READ_BUFFER = ThreadLocal.withInitial(() -> new byte[256 << 10]);

    /**
     * Reads a whole file into this thread's buffer (grown as needed), so loading a chunk does not allocate and
     * zero an array for its compressed bytes; they are valid until this thread's next read. The result's limit is
     * the file's length; null when the file is longer than {@code limit}.
     */
    private static ByteBuffer readTransient(Path file, long limit) throws IOException {
        try (RegularFile f = RegularFile.open(file)) {
            byte[] buf = READ_BUFFER.get();
            long size = f.size();
            if (size > limit) {
                return null;
            }
            if (size >= buf.length) {
                buf = new byte[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(size + 1, 2L * buf.length))];
                READ_BUFFER.set(buf);
            }
            int at = 0;
            int n;
            while ((n = f.read(buf, at, buf.length - at, at)) > 0) {
                at += n;
                if (at == buf.length) {
                    if (buf.length > limit) {
                        return null;
                    }
                    // The file grew while it was read: go on in a larger buffer.
                    buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16, 2L * buf.length));
                    READ_BUFFER.set(buf);
                }
            }
            return ByteBuffer.wrap(buf, 0, at);
        }
    }

    /** A whole file of at most {@code limit} bytes (null when longer), refusing FIFOs and other special files. */
    private static byte[] readSmallFile(Path file, long limit) throws IOException {
        ByteBuffer b = readTransient(file, limit);
        return b == null ? null : Arrays.copyOf(b.array(), b.limit());
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
        if (freshenFile(target)) {
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
        return !freshenFile(target) && write(id, target, ByteBuffer.wrap(stored));
    }

    /** Freshens the chunk file; casync's uncompressed chunk files, which no gc removes, only count. */
    @Override
    public boolean freshen(ChunkId id) throws IOException {
        return freshenFile(chunkPath(id)) || has(id);
    }

    /**
     * Whether {@code file} (a chunk or pack file of a store) exists; when it is older than {@link #FRESH_FOR} its
     * time is set to now, so that gc keeps it for its grace period. A file of another user (whose time only its
     * owner may set) is replaced by a copy of it instead; when the store cannot be written at all (read-only), the
     * file stays as it is.
     */
    public static boolean freshenFile(Path file) throws IOException {
        Instant t;
        try {
            t = Files.getLastModifiedTime(file).toInstant();
        } catch (NoSuchFileException e) {
            return false;
        }
        Instant now = Instant.now();
        if (t.isBefore(now.minus(FRESH_FOR))) {
            try {
                Files.setLastModifiedTime(file, FileTime.from(now));
            } catch (FileSystemException e) {
                replaceWithCopy(file);
            }
        }
        return true;
    }

    private static void replaceWithCopy(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + "." + Long.toHexString(
                ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            Files.copy(file, tmp);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover .tmp file is ignored by readers and gc alike
            }
        }
    }

    @Override
    public byte[] getStored(ChunkId id) throws IOException {
        try {
            byte[] b = options.confinedFiles() ? readConfined(id, rawName(id) + SUFFIX,
                    frameLimit(options.maxChunkSize())) : readSmallFile(chunkPath(id), frameLimit(options.maxChunkSize()));
            if (b == null) {
                throw new ChunkInvalidException(id, location(), "its file is larger than any compressed chunk of at "
                        + "most " + options.maxChunkSize() + " bytes", null);
            }
            bytesRead.addAndGet(b.length);
            reads.incrementAndGet();
            return b;
        } catch (NoSuchFileException e) {
            // casync's uncompressed chunks are handed out compressed, as a chunk file would be.
            return PrunableChunkStore.super.getStored(id);
        } catch (AccessDeniedException e) {
            throw new StoreException(id, "cannot read chunk " + id + " in store " + root + ": permission denied", e);
        } catch (RegularFile.NotRegularException e) {
            throw notRegular(id, e);
        }
    }

    /** A FIFO or other special file where a chunk file should be: the chunk is corrupt (never read, never waited on). */
    private ChunkInvalidException notRegular(ChunkId id, RegularFile.NotRegularException e) {
        return new ChunkInvalidException(id, location(), "its file " + e.getFile() + " " + e.getReason(), e);
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(location(), delivered.get(), bytesRead.get(), reads.get(), 0, 0));
    }

    /** Writes a chunk file; a failure (a full or read-only file system) names the chunk, the store and why. */
    private boolean write(ChunkId id, Path target, ByteBuffer compressed) throws IOException {
        try {
            return writeChunkFile(id, target, compressed);
        } catch (IOException e) {
            throw new StoreException(id, "cannot store chunk " + id + " in " + root + ": " + Failures.reason(e), e);
        }
    }

    private boolean writeChunkFile(ChunkId id, Path target, ByteBuffer compressed) throws IOException {
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

    /** Lists the {@code <4 hex>} directories, each one's {@code *.cacnk} files (times are asked per file). */
    @Override
    public void listChunks(ChunkSink sink) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root.toString(), null, "store directory not found");
        }
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> top = Files.newDirectoryStream(root,
                p -> isChunkDirectory(p.getFileName().toString())
                        && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
            top.forEach(dirs::add);
        }
        for (Path sub : dirs) {
            String dir = sub.getFileName().toString();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(sub, "*" + SUFFIX)) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    ChunkId id = chunkOfFileName(name);
                    if (id != null) {
                        sink.chunk(new ChunkFile(id, dir, name, null));
                    }
                }
            } catch (NoSuchFileException e) {
                continue; // removed meanwhile by another collection
            }
            sink.directoryEnd(dir);
        }
    }

    @Override
    public Instant modified(ChunkFile file) throws IOException {
        try {
            return Files.getLastModifiedTime(root.resolve(file.directory()).resolve(file.name()),
                    LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void remove(List<ChunkFile> files) throws IOException {
        for (ChunkFile f : files) {
            Files.deleteIfExists(root.resolve(f.directory()).resolve(f.name()));
        }
    }

    @Override
    public boolean removeDirectory(String directory) {
        Path dir = root.resolve(directory);
        try {
            Files.delete(dir);
            knownDirs.remove(dir);
            return true;
        } catch (IOException e) {
            return false; // not empty (a writer may have just added a chunk), or gone
        }
    }

    @Override
    public LockDirectory lockDirectory() {
        return new LocalLockDirectory(root);
    }

    @Override
    public String toString() {
        return location();
    }
}
