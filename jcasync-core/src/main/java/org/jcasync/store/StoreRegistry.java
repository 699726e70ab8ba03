package org.jcasync.store;

import org.jcasync.io.AtomicFile;
import org.jcasync.io.StreamParser;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns store and file locations into stores and bytes: a plain path or {@code file://} URL is local; any other
 * URL goes to the {@link StoreProvider} of its scheme. A store location {@code a|b} is a failover group.
 */
public final class StoreRegistry {
    private static final Pattern URL = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*", Pattern.DOTALL);

    private final Map<String, StoreProvider> providers = new TreeMap<>();

    /** A registry of the given providers (and local paths). */
    public StoreRegistry(Collection<StoreProvider> providers) {
        for (StoreProvider p : providers) {
            for (String s : p.schemes()) {
                this.providers.putIfAbsent(s.toLowerCase(java.util.Locale.ROOT), p);
            }
        }
    }

    /** A registry of every provider on the class path. */
    public static StoreRegistry standard() {
        List<StoreProvider> found = new ArrayList<>();
        ServiceLoader.load(StoreProvider.class, StoreRegistry.class.getClassLoader()).forEach(found::add);
        return new StoreRegistry(found);
    }

    /** The URL schemes this registry opens, besides {@code file}. */
    public Set<String> schemes() {
        return providers.keySet();
    }

    /** Whether {@code location} is a URL (has a scheme) rather than a path. */
    public static boolean isUrl(String location) {
        return URL.matcher(location).matches();
    }

    /** Whether {@code location} is read over a network (a URL other than {@code file://}). */
    public static boolean isRemote(String location) {
        return isUrl(location) && !location.regionMatches(true, 0, "file://", 0, 7);
    }

    /** The local path of a plain path or {@code file://} URL; null for other URLs. */
    public static Path localPath(String location) {
        if (location.regionMatches(true, 0, "file://", 0, 7)) {
            return Paths.get(uri(location));
        }
        return isUrl(location) ? null : Paths.get(location);
    }

    /** Opens the store(s) at {@code location} for reading; {@code a|b} is a failover group. */
    public ChunkStore open(String location, StoreOptions options, TransportOptions transport) throws IOException {
        if (location.indexOf('|') >= 0) {
            List<ChunkStore> mirrors = new ArrayList<>();
            for (String part : location.split("\\|")) {
                if (part.isEmpty()) {
                    throw new StoreException(null, "empty store in failover group '" + location + "'", null);
                }
                mirrors.add(openOne(part, options, transport));
            }
            return mirrors.size() == 1 ? mirrors.getFirst() : new FailoverStore(mirrors);
        }
        return openOne(location, options, transport);
    }

    private ChunkStore openOne(String location, StoreOptions options, TransportOptions transport)
            throws IOException {
        Path p = localPath(location);
        return p != null ? new LocalStore(p, options) : provider(location).open(uri(location), options, transport);
    }

    /** Opens the store at {@code location} for adding chunks. */
    public WritableChunkStore openWritable(String location, StoreOptions options, TransportOptions transport)
            throws IOException {
        if (location.indexOf('|') >= 0) {
            throw new StoreException(null, "cannot write to a failover group: " + location, null);
        }
        Path p = localPath(location);
        return p != null ? new LocalStore(p, options)
                : provider(location).openWritable(uri(location), options, transport);
    }

    /**
     * Reads byte ranges of the files (packs) under the store at {@code location}, or null when its scheme cannot.
     */
    public org.jcasync.pack.RangeSource openRanges(String location, TransportOptions transport) throws IOException {
        Path p = localPath(location);
        return p != null ? new org.jcasync.pack.LocalRangeSource(p)
                : provider(location).openRanges(uri(location), transport);
    }

    /** The whole file at {@code location} (a path or URL). */
    public byte[] readFile(String location, TransportOptions transport) throws IOException {
        Path p = localPath(location);
        if (p == null) {
            return provider(location).readFile(uri(location), transport);
        }
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(p.toString(), null, "no such file");
        }
    }

    /**
     * Reads the file at {@code location} (a path or URL) with {@code parser} as it arrives: see
     * {@link StoreProvider#readFile(URI, TransportOptions, StreamParser)}.
     */
    public <T> T readFile(String location, TransportOptions transport, StreamParser<T> parser) throws IOException {
        Path p = localPath(location);
        if (p == null) {
            return provider(location).readFile(uri(location), transport, parser);
        }
        InputStream in;
        try {
            in = Files.newInputStream(p);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(p.toString(), null, "no such file");
        }
        try (in) {
            return parser.parse(in);
        }
    }

    /** Writes {@code content} to the file at {@code location} atomically (temp file and rename, or one upload). */
    public void writeFile(String location, byte[] content, TransportOptions transport) throws IOException {
        Path p = localPath(location);
        if (p == null) {
            provider(location).writeFile(uri(location), content, transport);
            return;
        }
        try (AtomicFile af = AtomicFile.create(p)) {
            ByteBuffer bb = ByteBuffer.wrap(content);
            while (bb.hasRemaining()) {
                af.channel().write(bb);
            }
            af.commit();
        }
    }

    private StoreProvider provider(String location) throws StoreException {
        String scheme = location.substring(0, location.indexOf("://")).toLowerCase(java.util.Locale.ROOT);
        StoreProvider p = providers.get(scheme);
        if (p == null) {
            throw new StoreException(null, "unsupported location " + location + ": no support for " + scheme
                    + ":// (supported: file://" + (providers.isEmpty() ? "" : ", " + String.join("://, ",
                    providers.keySet()) + "://") + ")", null);
        }
        return p;
    }

    private static URI uri(String location) {
        try {
            return new URI(location);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL: " + location + " (" + e.getReason() + ")", e);
        }
    }
}
