package org.jcasync.cli;

import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.io.HashingInputStream;
import org.jcasync.io.StreamParser;
import org.jcasync.pack.ChunkMap;
import org.jcasync.pack.PackedStore;
import org.jcasync.pack.RangeSource;
import org.jcasync.store.CachedStore;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.StoreRouter;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Stores and index files by location, through the registry of every store scheme on the class path. */
final class Stores {
    private static StoreRegistry registry;

    private Stores() {
    }

    static synchronized StoreRegistry registry() {
        if (registry == null) {
            registry = StoreRegistry.standard();
        }
        return registry;
    }

    /**
     * An index as read: where from (null for stdin), the SHA-512/256 of its file, and what it says; for a remote
     * index, its chunk map's download, started together with the index's (null otherwise).
     */
    record IndexInput(String locator, byte[] fileDigest, Index index, CompletableFuture<byte[]> remoteMap) {
    }

    /**
     * The stores an index is read from: {@code --store} (or casync's default) then each {@code --extra-store}, each
     * possibly a failover group {@code a|b}; through its chunk map's packs when the index has one (and
     * {@code --packs} is not no); behind {@code --cache} when one is given.
     */
    static ChunkStore forReading(CasyncOptions o, IndexInput in) throws IOException {
        Index index = in.index();
        StoreOptions so = new StoreOptions(index.digest(), index.params().max(), o.compressionAlgorithm());
        List<String> locations = new ArrayList<>();
        locations.add(Locations.defaultStore(o.store(), in.locator()));
        locations.addAll(o.secondaryStores());
        List<ChunkStore> stores = new ArrayList<>();
        try {
            for (String s : locations) {
                stores.add(registry().open(s, so, o.transport()));
            }
        } catch (IOException | RuntimeException e) {
            for (ChunkStore s : stores) {
                s.close();
            }
            throw e;
        }
        ChunkStore store = stores.size() == 1 ? stores.getFirst() : new StoreRouter(stores);
        store = packed(o, in, locations.getFirst(), store, so);
        if (o.cache != null) {
            store = new CachedStore(new LocalStore(Locations.local(o.cache), so), store);
        }
        return store;
    }

    /**
     * {@code store} read through the packs of {@code storeLocation} when the index has a chunk map
     * ({@code INDEX.camap}) made for exactly this index; else {@code store} itself. A stale or unreadable map is
     * reported in one line and the loose chunks are used.
     */
    private static ChunkStore packed(CasyncOptions o, IndexInput in, String storeLocation, ChunkStore store,
            StoreOptions so) throws IOException {
        if ("no".equals(o.packs) || in.locator() == null || storeLocation.indexOf('|') >= 0) {
            return store;
        }
        String mapLocation = in.locator() + ChunkMap.SUFFIX;
        byte[] bytes;
        if (!StoreRegistry.isRemote(mapLocation)) {
            java.nio.file.Path p = Locations.local(mapLocation);
            if (!java.nio.file.Files.isRegularFile(p)) {
                return store;
            }
            try (InputStream f = java.nio.file.Files.newInputStream(p)) {
                bytes = ChunkMap.read(f, in.index().size(), mapLocation);
            } catch (IOException e) {
                System.err.println("jcasync: warning: " + e.getMessage() + "; reading loose chunks");
                return store;
            }
        } else {
            try {
                bytes = in.remoteMap() != null ? awaitMap(in.remoteMap()) : readMap(o, mapLocation);
            } catch (java.nio.file.NoSuchFileException e) {
                return store;
            } catch (IOException e) {
                System.err.println("jcasync: warning: chunk map " + mapLocation + " not read (" + e.getMessage()
                        + "); reading loose chunks");
                return store;
            }
        }
        ChunkMap map;
        try {
            map = ChunkMap.parse(bytes, in.index().size(), mapLocation);
        } catch (IOException e) {
            System.err.println("jcasync: warning: " + e.getMessage() + "; reading loose chunks");
            return store;
        }
        if (!map.matchesDigest(in.fileDigest())) {
            System.err.println("jcasync: warning: chunk map " + mapLocation + " was made for another version of "
                    + "the index (stale); reading loose chunks");
            return store;
        }
        RangeSource ranges = registry().openRanges(storeLocation, o.transport());
        if (ranges == null) {
            return store;
        }
        return new PackedStore(in.index(), map, ranges, store, so);
    }

    /** The store {@code make} adds chunks to: {@code --store}, {@code $CASYNC_STORE} or casync's default. */
    static WritableChunkStore forWriting(CasyncOptions o, String indexLocator, StoreOptions so) throws IOException {
        return registry().openWritable(Locations.defaultStore(o.store(), indexLocator), so, o.transport());
    }

    /** Whether any store an extract reads from is remote. */
    static boolean anyRemote(CasyncOptions o, String indexLocator) {
        List<String> locations = new ArrayList<>(o.secondaryStores());
        locations.add(Locations.defaultStore(o.store(), indexLocator));
        return locations.stream().anyMatch(StoreRegistry::isRemote);
    }

    private static byte[] awaitMap(CompletableFuture<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    /** The chunk map at a remote {@code mapLocation}, read no further than its header allows. */
    private static byte[] readMap(CasyncOptions o, String mapLocation) throws IOException {
        return registry().readFile(mapLocation, o.transport(),
                f -> ChunkMap.read(f, IndexReader.maxChunks(), mapLocation));
    }

    /**
     * Reads the index at {@code locator}: stdin for "-", a local path, or a URL of any registered scheme (then its
     * chunk map, if any, is downloaded at the same time, unless {@code --packs=no}). The index is parsed as it
     * arrives (and digested, for its chunk map), so a server cannot make it take more memory than the index it
     * sends, and a reply that goes on past the index's tail is refused at its first extra byte.
     */
    static IndexInput readIndex(CasyncOptions o, String locator) throws IOException {
        CompletableFuture<byte[]> map = null;
        if (!locator.equals("-") && StoreRegistry.isRemote(locator) && !"no".equals(o.packs)) {
            String mapLocation = locator + ChunkMap.SUFFIX;
            map = new CompletableFuture<>();
            CompletableFuture<byte[]> m = map;
            Thread.ofVirtual().start(() -> {
                try {
                    m.complete(readMap(o, mapLocation));
                } catch (IOException | RuntimeException e) {
                    m.completeExceptionally(e);
                }
            });
        }
        String name = locator.equals("-") ? "stdin" : locator;
        StreamParser<IndexInput> parser = raw -> {
            HashingInputStream in = new HashingInputStream(raw, DigestAlgorithm.SHA512_256.newHasher());
            Index index = IndexReader.read(in, name);
            return new IndexInput(locator.equals("-") ? null : locator, in.digest(), index, null);
        };
        IndexInput read;
        if (locator.equals("-")) {
            read = parser.parse(System.in);
        } else {
            try {
                read = registry().readFile(locator, o.transport(), parser);
            } catch (java.nio.file.NoSuchFileException e) {
                if (StoreRegistry.isRemote(locator)) {
                    throw e;
                }
                throw new java.nio.file.NoSuchFileException(e.getFile(), null, "no such index file");
            }
        }
        return new IndexInput(read.locator(), read.fileDigest(), read.index(), map);
    }
}
