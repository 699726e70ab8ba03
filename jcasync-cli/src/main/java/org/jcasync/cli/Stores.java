package org.jcasync.cli;

import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
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

import java.io.ByteArrayInputStream;
import java.io.IOException;
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
     * An index as read: where from (null for stdin), its file bytes, and what they say; for a remote index, its chunk
     * map's download, started together with the index's (null otherwise).
     */
    record IndexInput(String locator, byte[] bytes, Index index, CompletableFuture<byte[]> remoteMap) {
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
            bytes = java.nio.file.Files.readAllBytes(p);
        } else {
            try {
                bytes = in.remoteMap() != null ? awaitMap(in.remoteMap())
                        : registry().readFile(mapLocation, o.transport());
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
        if (!map.matches(in.bytes())) {
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

    /**
     * Reads the index at {@code locator}: stdin for "-", a local path, or a URL of any registered scheme (then its
     * chunk map, if any, is downloaded at the same time, unless {@code --packs=no}).
     */
    static IndexInput readIndex(CasyncOptions o, String locator) throws IOException {
        CompletableFuture<byte[]> map = null;
        if (!locator.equals("-") && StoreRegistry.isRemote(locator) && !"no".equals(o.packs)) {
            String mapLocation = locator + ChunkMap.SUFFIX;
            map = new CompletableFuture<>();
            CompletableFuture<byte[]> m = map;
            Thread.ofVirtual().start(() -> {
                try {
                    m.complete(registry().readFile(mapLocation, o.transport()));
                } catch (IOException | RuntimeException e) {
                    m.completeExceptionally(e);
                }
            });
        }
        byte[] b;
        if (locator.equals("-")) {
            b = System.in.readAllBytes();
        } else if (!StoreRegistry.isRemote(locator)) {
            java.nio.file.Path p = Locations.local(locator);
            try {
                b = java.nio.file.Files.readAllBytes(p);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new java.nio.file.NoSuchFileException(p.toString(), null, "no such index file");
            }
        } else {
            b = registry().readFile(locator, o.transport());
        }
        String name = locator.equals("-") ? "stdin" : locator;
        return new IndexInput(locator.equals("-") ? null : locator, b,
                IndexReader.read(new ByteArrayInputStream(b), name), map);
    }
}
