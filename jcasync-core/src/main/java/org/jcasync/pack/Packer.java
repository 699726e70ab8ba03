package org.jcasync.pack;

import org.jcasync.chunk.ChunkId;
import org.jcasync.index.Index;
import org.jcasync.io.AtomicFile;
import org.jcasync.store.LocalStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Packs of a local store: adds the chunks of indexes that no pack holds yet as one new pack (in index order, so what
 * one version adds over the last sits together), writes each index's chunk map beside it, and collects packs that
 * hold garbage. Loose {@code .cacnk} chunks stay (casync and desync read those) unless asked to remove them.
 */
public final class Packer {
    private final LocalStore store;
    private final Map<PackId, PackIndex> packs = new LinkedHashMap<>();

    /** The packs of {@code store} (read from its {@code packs/*.capidx}). */
    public Packer(LocalStore store) throws IOException {
        this.store = store;
        Path dir = store.root().resolve(PackId.DIRECTORY);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + PackId.INDEX_SUFFIX)) {
            List<Path> tables = new ArrayList<>();
            s.forEach(tables::add);
            tables.sort(Comparator.naturalOrder());
            for (Path t : tables) {
                String name = t.getFileName().toString();
                PackId id;
                try {
                    id = new PackId(name.substring(0, name.length() - PackId.INDEX_SUFFIX.length()));
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (Files.exists(dir.resolve(id.hex() + PackId.PACK_SUFFIX))) {
                    packs.put(id, PackIndex.parse(id, Files.readAllBytes(t), t.toString()));
                }
            }
        }
    }

    /** An index file: where it is, its bytes and what they say. */
    public record IndexFile(Path path, byte[] bytes, Index index) {
        /** Where its chunk map goes. */
        public Path mapPath() {
            return path.resolveSibling(path.getFileName() + ChunkMap.SUFFIX);
        }

        /** Reads and parses the index at {@code path}. */
        public static IndexFile read(Path path) throws IOException {
            byte[] b = Files.readAllBytes(path);
            return new IndexFile(path, b, org.jcasync.index.IndexReader.read(new java.io.ByteArrayInputStream(b),
                    path.toString()));
        }
    }

    /** What {@link #pack} did. */
    public record PackResult(PackIndex pack, long chunks, long bytes, long looseRemoved, List<Path> maps) {
    }

    /** The store's packs. */
    public Map<PackId, PackIndex> packs() {
        return packs;
    }

    /** Where chunk {@code id} is packed, or null. */
    private ChunkMap.Location locate(ChunkId id) {
        for (PackIndex p : packs.values()) {
            PackIndex.Entry e = p.find(id);
            if (e != null) {
                return new ChunkMap.Location(p.pack(), e.offset(), e.length());
            }
        }
        return null;
    }

    /**
     * Packs every chunk of {@code indexes} that no pack holds yet into one new pack, in the order the indexes list
     * them; each chunk is verified before it is packed. Then writes every index's chunk map. The packs the maps name
     * besides the new one are freshened ({@link LocalStore#freshenFile}), so that a concurrent gc, which spares packs
     * younger than its grace period, neither removes nor rewrites them before the maps are known to it.
     *
     * @param removeLoose then delete the loose copies of the chunks packed ({@link #removeLoose}; a packed-only
     *        store, which casync cannot read)
     */
    public PackResult pack(List<IndexFile> indexes, boolean removeLoose) throws IOException {
        PackIndex created;
        Set<ChunkId> inNew = new HashSet<>();
        Set<IndexFile> added = new HashSet<>();
        Set<PackId> reused = new HashSet<>();
        try (PackWriter w = new PackWriter(store.root())) {
            for (IndexFile f : indexes) {
                Index idx = f.index();
                for (int i = 0; i < idx.size(); i++) {
                    ChunkId id = idx.id(i);
                    if (inNew.contains(id)) {
                        continue;
                    }
                    ChunkMap.Location at = locate(id);
                    if (at != null) {
                        if (reused.add(at.pack())) {
                            freshen(at.pack());
                        }
                        continue;
                    }
                    store.get(id); // verified: a corrupt chunk is never packed
                    byte[] stored = store.getStored(id);
                    w.add(id, stored);
                    inNew.add(id);
                    added.add(f);
                }
            }
            created = w.finish();
        }
        if (created != null) {
            packs.put(created.pack(), created);
        }
        List<Path> maps = new ArrayList<>();
        for (IndexFile f : indexes) {
            // The new pack is the own pack of the indexes that added chunks to it; the others keep theirs.
            writeMap(f, added.contains(f) ? created.pack() : previousOwnPack(f, Map.of()));
            maps.add(f.mapPath());
        }
        long removed = removeLoose ? removeLoose(indexes) : 0;
        return new PackResult(created, created == null ? 0 : created.size(),
                created == null ? 0 : Files.size(store.root().resolve(created.pack().packPath())), removed, maps);
    }

    /**
     * Deletes the loose copies of the chunks of {@code indexes} that a pack holds (a packed-only store). A writer
     * that reuses such a loose chunk meanwhile would lose it: callers hold the store's exclusive lock.
     *
     * @return the loose chunks removed
     */
    public long removeLoose(List<IndexFile> indexes) throws IOException {
        long removed = 0;
        for (IndexFile f : indexes) {
            for (int i = 0; i < f.index().size(); i++) {
                ChunkId id = f.index().id(i);
                if (locate(id) != null && Files.deleteIfExists(store.chunkPath(id))) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /** Freshens a pack and its table, which an index is about to name. */
    private void freshen(PackId pack) throws IOException {
        LocalStore.freshenFile(store.root().resolve(pack.packPath()));
        LocalStore.freshenFile(store.root().resolve(pack.indexPath()));
    }

    /**
     * The own pack named by the map beside {@code f} (when it matches {@code f}), through {@code rewritten} (old pack →
     * the pack that replaced it), or null when there is none or it is no longer in the store.
     */
    private PackId previousOwnPack(IndexFile f, Map<PackId, PackId> rewritten) {
        try {
            if (!Files.isRegularFile(f.mapPath())) {
                return null;
            }
            ChunkMap old = ChunkMap.parse(Files.readAllBytes(f.mapPath()), f.index().size(), f.mapPath().toString());
            PackId own = old.matches(f.bytes()) ? old.ownPack() : null;
            own = own == null ? null : rewritten.getOrDefault(own, own);
            return own != null && packs.containsKey(own) ? own : null;
        } catch (IOException e) {
            return null; // a stale or broken map names nothing worth keeping
        }
    }

    /** Writes (replaces) the chunk map of {@code f} from the store's packs, naming {@code ownPack} (or none). */
    public void writeMap(IndexFile f, PackId ownPack) throws IOException {
        ChunkMap map = ChunkMap.build(f.bytes(), f.index(), i -> locate(f.index().id(i)), ownPack);
        try (AtomicFile a = AtomicFile.create(f.mapPath())) {
            ByteBuffer b = ByteBuffer.wrap(map.toBytes());
            while (b.hasRemaining()) {
                a.channel().write(b);
            }
            a.commit();
        }
    }

    /**
     * What {@link #prune} did (or would do).
     *
     * @param young packs left alone because they are younger than the grace period
     */
    public record PackPruneResult(int removed, int rewritten, int kept, int young, long bytesFreed) {
    }

    /**
     * Garbage-collects packs: a pack none of whose chunks is kept is removed; a pack of which less than
     * {@code minLiveShare} is kept is rewritten with only the kept chunks (in its order), and the maps of
     * {@code live} are rewritten to point at the new pack before the old one is removed. A pack whose time is at or
     * after {@code keepSince} (written or freshened by a concurrent writer) is left as it is. Maps of indexes not
     * listed may then be stale; readers detect that and fall back to loose chunks.
     *
     * @param keepSince packs this young are kept whole; null for none
     */
    public PackPruneResult prune(Predicate<ChunkId> keep, List<IndexFile> live, double minLiveShare,
            Instant keepSince, boolean dryRun) throws IOException {
        int removed = 0;
        int rewritten = 0;
        int kept = 0;
        int young = 0;
        long freed = 0;
        List<PackId> drop = new ArrayList<>();
        Map<PackId, PackId> replacedBy = new java.util.HashMap<>();
        for (PackIndex p : List.copyOf(packs.values())) {
            Path file = store.root().resolve(p.pack().packPath());
            if (keepSince != null && !Files.getLastModifiedTime(file).toInstant().isBefore(keepSince)) {
                young++;
                continue;
            }
            List<PackIndex.Entry> liveEntries = new ArrayList<>();
            for (int i = 0; i < p.size(); i++) {
                if (keep.test(p.entry(i).id())) {
                    liveEntries.add(p.entry(i));
                }
            }
            long size = Files.size(file);
            if (liveEntries.isEmpty()) {
                removed++;
                freed += size;
                drop.add(p.pack());
            } else if (liveEntries.size() < minLiveShare * p.size()) {
                rewritten++;
                long liveBytes = liveEntries.stream().mapToLong(PackIndex.Entry::length).sum();
                freed += size - liveBytes;
                if (!dryRun) {
                    PackIndex fresh = rewrite(file, liveEntries);
                    packs.put(fresh.pack(), fresh);
                    replacedBy.put(p.pack(), fresh.pack());
                }
                drop.add(p.pack());
            } else {
                kept++;
            }
        }
        if (!dryRun) {
            Map<IndexFile, PackId> owns = new java.util.HashMap<>();
            for (IndexFile f : live) {
                PackId own = previousOwnPack(f, replacedBy); // read before the dropped packs are forgotten
                if (own != null && !drop.contains(own)) {
                    owns.put(f, own);
                }
            }
            for (PackId d : drop) {
                packs.remove(d);
            }
            for (IndexFile f : live) {
                writeMap(f, owns.get(f));
            }
            for (PackId d : drop) {
                Files.deleteIfExists(store.root().resolve(d.indexPath()));
                Files.deleteIfExists(store.root().resolve(d.packPath()));
            }
        }
        return new PackPruneResult(removed, rewritten, kept, young, freed);
    }

    /** A new pack of the {@code entries} of pack {@code file}, in their order there. */
    private PackIndex rewrite(Path file, List<PackIndex.Entry> entries) throws IOException {
        entries.sort(Comparator.comparingLong(PackIndex.Entry::offset));
        try (PackWriter w = new PackWriter(store.root());
             java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file)) {
            for (PackIndex.Entry e : entries) {
                ByteBuffer b = ByteBuffer.allocate(e.length());
                while (b.hasRemaining()) {
                    if (in.read(b, e.offset() + b.position()) < 0) {
                        throw new IOException(file + ": shorter than its table says");
                    }
                }
                w.add(e.id(), b.array());
            }
            return w.finish();
        }
    }

    /** Whether any pack holds {@code id} (a packed chunk is not garbage for loose-chunk collection either). */
    public boolean packed(ChunkId id) {
        return locate(id) != null;
    }
}
