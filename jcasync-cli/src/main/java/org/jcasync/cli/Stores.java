package org.jcasync.cli;

import org.jcasync.index.Index;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRouter;

import java.util.ArrayList;
import java.util.List;

/** The stores an index is read from: {@code --store} (or casync's default) then each {@code --extra-store}. */
final class Stores {
    private Stores() {
    }

    static ChunkStore forReading(CasyncOptions o, String indexLocator, Index index) {
        StoreOptions so = new StoreOptions(index.digest(), index.params().max(), o.compressionAlgorithm());
        List<ChunkStore> stores = new ArrayList<>();
        stores.add(new LocalStore(Locations.local(Locations.defaultStore(o.store, indexLocator)), so));
        for (String s : o.extraStores) {
            stores.add(new LocalStore(Locations.local(s), so));
        }
        return new StoreRouter(stores);
    }
}
