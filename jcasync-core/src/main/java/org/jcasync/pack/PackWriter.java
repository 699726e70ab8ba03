package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.Hasher;
import org.jcasync.io.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes one pack into a store directory: compressed chunk frames appended in the order given, then named by the
 * digest of the whole file and published with its table. Readers never see a partial pack: it is written under a
 * temporary name and renamed.
 */
public final class PackWriter implements AutoCloseable {
    private final Path dir;
    private final AtomicFile file;
    private final Hasher hash = DigestAlgorithm.SHA512_256.newHasher();
    private final List<PackIndex.Entry> entries = new ArrayList<>();
    private final Set<ChunkId> added = new HashSet<>();
    private long size;
    private boolean finished;

    /** A new pack in {@code storeRoot}/packs. */
    public PackWriter(Path storeRoot) throws IOException {
        this.dir = Files.createDirectories(storeRoot.resolve(PackId.DIRECTORY));
        this.file = AtomicFile.create(dir.resolve("new" + PackId.PACK_SUFFIX));
    }

    /** Appends a chunk's compressed frame unless the pack has it already; returns false then. */
    public boolean add(ChunkId id, byte[] stored) throws IOException {
        if (!added.add(id)) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(stored);
        while (b.hasRemaining()) {
            file.channel().write(b);
        }
        hash.update(stored, 0, stored.length);
        entries.add(new PackIndex.Entry(id, size, stored.length));
        size += stored.length;
        return true;
    }

    /** Chunks added so far. */
    public int count() {
        return entries.size();
    }

    /** Bytes written so far. */
    public long size() {
        return size;
    }

    /**
     * Publishes the pack ({@code packs/<id>.capack}) and its table ({@code packs/<id>.capidx}).
     *
     * @return the table, or null when nothing was added (nothing is written then)
     */
    public PackIndex finish() throws IOException {
        finished = true;
        if (entries.isEmpty()) {
            file.close();
            return null;
        }
        PackId id = PackId.of(hash.digest());
        PackIndex table = PackIndex.of(id, entries);
        file.channel().force(false);
        Path pack = dir.resolve(id.hex() + PackId.PACK_SUFFIX);
        file.channel().close();
        Files.move(file.temp(), pack, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        file.close();
        try (AtomicFile t = AtomicFile.create(dir.resolve(id.hex() + PackId.INDEX_SUFFIX))) {
            ByteBuffer b = ByteBuffer.wrap(table.toBytes());
            while (b.hasRemaining()) {
                t.channel().write(b);
            }
            t.commit();
        }
        return table;
    }

    /** Drops the pack unless finished. */
    @Override
    public void close() throws IOException {
        if (!finished) {
            file.close();
        }
    }
}
