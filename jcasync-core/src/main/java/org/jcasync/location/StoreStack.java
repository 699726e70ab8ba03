package org.jcasync.location;

import org.jcasync.index.IndexReader;
import org.jcasync.pack.ChunkMap;
import org.jcasync.pack.PackedStore;
import org.jcasync.pack.RangeSource;
import org.jcasync.store.CachedStore;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.StoreRouter;
import org.jcasync.store.TransportOptions;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The stores a run reads chunks from, opened by location as one {@link ChunkStore}: the primary store (casync's
 * default beside the index when none is given) then each further one, asked in order for what the ones before
 * lack ({@link StoreRouter}); each location may be a failover group {@code a|b}; the primary's packs in front of
 * it when the index has a chunk map ({@link PackedStore}); and a local cache in front of all ({@link CachedStore}).
 * Every scheme is opened through a {@link StoreRegistry}.
 *
 * <pre>{@code
 * StoreStack stores = StoreStack.builder().store("https://example.com/store").cache("/var/cache/castr");
 * try (ChunkStore chunks = stores.openFor(stores.readIndex("v2.caibx"))) {
 *     ...
 * }
 * }</pre>
 */
public final class StoreStack {
    private static StoreRegistry standard;

    private StoreRegistry registry;
    private TransportOptions transport = TransportOptions.DEFAULT;
    private Supplier<Compression> compression = () -> Compression.ZSTD;
    private String store;
    private List<String> extraStores = List.of();
    private String cache;
    private boolean chunkMaps = true;
    private Consumer<String> warnings = w -> System.err.println("jcasync: warning: " + w);

    private StoreStack() {
    }

    /** A stack of the stores on the class path ({@link StoreRegistry#standard()}), with default transport. */
    public static StoreStack builder() {
        return new StoreStack();
    }

    /** The registry of every store scheme on the class path, found once. */
    public static synchronized StoreRegistry standardRegistry() {
        if (standard == null) {
            standard = StoreRegistry.standard();
        }
        return standard;
    }

    /** Opens locations with {@code r} instead of the standard registry. */
    public StoreStack registry(StoreRegistry r) {
        this.registry = r;
        return this;
    }

    /** How remote stores and files are talked to. */
    public StoreStack transport(TransportOptions t) {
        this.transport = t;
        return this;
    }

    /** How chunks written to the stores are compressed (default zstd). */
    public StoreStack compression(Compression c) {
        this.compression = () -> c;
        return this;
    }

    /** How chunks written to the stores are compressed, asked when a store is opened. */
    public StoreStack compression(Supplier<Compression> c) {
        this.compression = c;
        return this;
    }

    /** The primary store, or null for casync's default ({@link Locations#defaultStore}). */
    public StoreStack store(String location) {
        this.store = location;
        return this;
    }

    /** Stores asked, in order, for the chunks the primary lacks. */
    public StoreStack extraStores(List<String> locations) {
        this.extraStores = List.copyOf(locations);
        return this;
    }

    /** A local directory keeping every chunk fetched, asked first; null for none. */
    public StoreStack cache(String location) {
        this.cache = location;
        return this;
    }

    /** Whether an index's chunk map ({@code INDEX.camap}) is used to read from packs (default true). */
    public StoreStack chunkMaps(boolean use) {
        this.chunkMaps = use;
        return this;
    }

    /** Where a one-line warning goes (default: standard error, as {@code jcasync: warning: ...}). */
    public StoreStack warnings(Consumer<String> w) {
        this.warnings = w;
        return this;
    }

    /** The registry locations are opened with. */
    public StoreRegistry registry() {
        return registry != null ? registry : standardRegistry();
    }

    /** The transport options. */
    public TransportOptions transport() {
        return transport;
    }

    /** Reads the index at {@code locator} (its chunk map too, when remote and chunk maps are used). */
    public IndexInput readIndex(String locator) throws IOException {
        return IndexInput.read(locator, registry(), transport, chunkMaps);
    }

    /** The locations an index's chunks are read from, in order. */
    private List<String> locations(String indexLocator) {
        List<String> l = new ArrayList<>();
        l.add(Locations.defaultStore(store, indexLocator));
        l.addAll(extraStores);
        return l;
    }

    /** Whether any store the index at {@code indexLocator} is read from is remote. */
    public boolean anyRemote(String indexLocator) {
        return locations(indexLocator).stream().anyMatch(StoreRegistry::isRemote);
    }

    /** Opens the stack {@code in}'s chunks are read from: the stores in order, its packs, the cache. */
    public ChunkStore openFor(IndexInput in) throws IOException {
        StoreOptions so = new StoreOptions(in.index().digest(), in.index().params().max(), compression.get());
        List<String> locations = locations(in.locator());
        ChunkStore stores = route(openEach(locations, so));
        ChunkStore packed = packed(in, locations.getFirst(), stores, so);
        return cached(packed, so);
    }

    /**
     * Opens the given stores (the primary, which must be given, then the extra ones) as one, behind the cache: for
     * servers, whose chunks are not those of one index.
     */
    public ChunkStore open(StoreOptions so) throws IOException {
        List<String> locations = new ArrayList<>();
        locations.add(store);
        locations.addAll(extraStores);
        return cached(route(openEach(locations, so)), so);
    }

    /** Opens each store given (the primary, when given, then the extra ones) on its own, in order. */
    public List<ChunkStore> openEach(StoreOptions so) throws IOException {
        List<String> locations = new ArrayList<>();
        if (store != null) {
            locations.add(store);
        }
        locations.addAll(extraStores);
        return openEach(locations, so);
    }

    /** Opens the store chunks of the index at {@code indexLocator} are added to: the primary, or casync's default. */
    public WritableChunkStore openWritable(String indexLocator, StoreOptions so) throws IOException {
        return registry().openWritable(Locations.defaultStore(store, indexLocator), so, transport);
    }

    private List<ChunkStore> openEach(List<String> locations, StoreOptions so) throws IOException {
        List<ChunkStore> stores = new ArrayList<>();
        try {
            for (String s : locations) {
                stores.add(registry().open(s, so, transport));
            }
        } catch (IOException | RuntimeException e) {
            for (ChunkStore s : stores) {
                s.close();
            }
            throw e;
        }
        return stores;
    }

    private static ChunkStore route(List<ChunkStore> stores) {
        return stores.size() == 1 ? stores.getFirst() : new StoreRouter(stores);
    }

    private ChunkStore cached(ChunkStore store, StoreOptions so) {
        return cache == null ? store : new CachedStore(new LocalStore(Locations.local(cache), so), store);
    }

    /**
     * {@code store} read through the packs of {@code storeLocation} when the index has a chunk map made for exactly
     * this index; else {@code store} itself. A stale or unreadable map is a warning, and the loose chunks are used.
     */
    private ChunkStore packed(IndexInput in, String storeLocation, ChunkStore store, StoreOptions so)
            throws IOException {
        if (!chunkMaps || in.locator() == null || storeLocation.indexOf('|') >= 0) {
            return store;
        }
        String mapLocation = in.locator() + ChunkMap.SUFFIX;
        byte[] bytes;
        if (!StoreRegistry.isRemote(mapLocation)) {
            Path p = Locations.local(mapLocation);
            if (!Files.isRegularFile(p)) {
                return store;
            }
            try (InputStream f = Files.newInputStream(p)) {
                bytes = ChunkMap.read(f, IndexReader.maxChunks(), mapLocation);
            } catch (IOException e) {
                warnings.accept(e.getMessage() + "; reading loose chunks");
                return store;
            }
        } else {
            try {
                bytes = in.remoteMap() != null ? in.awaitRemoteMap()
                        : IndexInput.readRemoteMap(registry(), transport, mapLocation);
            } catch (NoSuchFileException e) {
                return store;
            } catch (IOException e) {
                warnings.accept("chunk map " + mapLocation + " not read (" + e.getMessage()
                        + "); reading loose chunks");
                return store;
            }
        }
        ChunkMap map;
        try {
            map = ChunkMap.parse(bytes, in.index().size(), mapLocation);
        } catch (IOException e) {
            warnings.accept(e.getMessage() + "; reading loose chunks");
            return store;
        }
        if (!map.matchesDigest(in.fileDigest())) {
            warnings.accept("chunk map " + mapLocation + " was made for another version of the index (stale); "
                    + "reading loose chunks");
            return store;
        }
        RangeSource ranges = registry().openRanges(storeLocation, transport);
        if (ranges == null) {
            return store;
        }
        return new PackedStore(in.index(), map, ranges, store, so);
    }
}
