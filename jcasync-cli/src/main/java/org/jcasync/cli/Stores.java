package org.jcasync.cli;

import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
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
     * The stores an index is read from: {@code --store} (or casync's default) then each {@code --extra-store}, each
     * possibly a failover group {@code a|b}; behind {@code --cache} when one is given.
     */
    static ChunkStore forReading(CasyncOptions o, String indexLocator, Index index) throws IOException {
        StoreOptions so = new StoreOptions(index.digest(), index.params().max(), o.compressionAlgorithm());
        List<String> locations = new ArrayList<>();
        locations.add(Locations.defaultStore(o.store, indexLocator));
        locations.addAll(o.extraStores);
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
        if (o.cache != null) {
            store = new CachedStore(new LocalStore(Locations.local(o.cache), so), store);
        }
        return store;
    }

    /** The store {@code make} adds chunks to: {@code --store}, {@code $CASYNC_STORE} or casync's default. */
    static WritableChunkStore forWriting(CasyncOptions o, String indexLocator, StoreOptions so) throws IOException {
        return registry().openWritable(Locations.defaultStore(o.store, indexLocator), so, o.transport());
    }

    /** Whether any store an extract reads from is remote. */
    static boolean anyRemote(CasyncOptions o, String indexLocator) {
        List<String> locations = new ArrayList<>(o.extraStores);
        locations.add(Locations.defaultStore(o.store, indexLocator));
        return locations.stream().anyMatch(StoreRegistry::isRemote);
    }

    /** Reads the index at {@code locator}: stdin for "-", a local path, or a URL of any registered scheme. */
    static Index readIndex(CasyncOptions o, String locator) throws IOException {
        if (locator.equals("-")) {
            return IndexReader.read(System.in, "stdin");
        }
        if (!StoreRegistry.isRemote(locator)) {
            return IndexReader.read(Locations.local(locator));
        }
        byte[] b = registry().readFile(locator, o.transport());
        return IndexReader.read(new ByteArrayInputStream(b), locator);
    }
}
