package org.jcasync.inspect;

import org.jcasync.blob.ChunkedInputStream;
import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarEncoder;
import org.jcasync.catar.TreeStream;
import org.jcasync.format.FeatureFlags;
import org.jcasync.index.Index;
import org.jcasync.io.Pools;
import org.jcasync.location.IndexInput;
import org.jcasync.location.Locations;
import org.jcasync.location.StoreStack;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreRegistry;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * What {@code list}, {@code mtree}, {@code stat} and {@code digest} read, decoded as one catar stream: a
 * {@code .catar} (file or standard input), a {@code .caidx} (its chunks through a {@link StoreStack}) or a
 * directory (serialized while it is read, {@link TreeStream}). Closing it closes the stores and stops the encoder.
 */
public final class ArchiveInput implements Closeable {
    /** What the input is. */
    public enum Kind {
        /** A {@code .catar} file or stream. */
        ARCHIVE,
        /** A {@code .caidx} whose chunks are in a store. */
        ARCHIVE_INDEX,
        /** A directory, serialized as {@code casync make} would. */
        DIRECTORY
    }

    private final Kind kind;
    private final CatarDecoder decoder;
    private final List<Closeable> resources = new ArrayList<>();

    private ArchiveInput(Kind kind, CatarDecoder decoder) {
        this.kind = kind;
        this.decoder = decoder;
    }

    /**
     * Decides what {@code input} is, with casync's rules and messages, and opens it.
     *
     * @param input a path, a {@code .caidx} URL, "-" for standard input, or null for the current directory
     * @param kind what the user said it is ({@code --what}), or null to tell by its name and type
     * @param seekPath the path inside the archive the caller will look at, or null
     * @param stores where a {@code .caidx}'s chunks are read from
     * @param threads workers fetching a {@code .caidx}'s chunks
     * @param encoder how a directory is serialized (asked only for a directory)
     * @throws IllegalArgumentException when the input does not fit (casync's one-line refusals)
     */
    public static ArchiveInput open(String input, Kind kind, String seekPath, StoreStack stores, int threads,
            Supplier<CatarEncoder> encoder) throws IOException {
        Kind op = kind;
        if (input != null && input.regionMatches(true, 0, "file://", 0, 7)) {
            input = Locations.local(input).toString();
        }
        if (op == null && input != null && !input.equals("-")) {
            if (Locations.hasSuffix(input, ".catar")) {
                op = Kind.ARCHIVE;
            } else if (Locations.hasSuffix(input, ".caidx")) {
                op = Kind.ARCHIVE_INDEX;
            }
        }
        if (input == null && (op == null || op == Kind.DIRECTORY)) {
            input = ".";
        }
        boolean stdin = input == null || input.equals("-");
        boolean remote = !stdin && StoreRegistry.isRemote(input);
        if (remote && op != Kind.ARCHIVE_INDEX) {
            throw new IllegalArgumentException("Only .caidx archive indexes can be read from a URL: " + input);
        }
        if (!stdin && !remote) {
            Path p = Locations.local(input);
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("Failed to open \"" + input + "\": No such file or directory");
            }
            if (Files.isDirectory(p)) {
                if (op == null) {
                    op = Kind.DIRECTORY;
                } else if (op != Kind.DIRECTORY) {
                    throw new IllegalArgumentException("Input is a directory, but attempted to list archive or "
                            + "index.");
                }
            } else if (Files.isRegularFile(p)) {
                if (op == null) {
                    throw new IllegalArgumentException("Input should be a directory, .catar or .caidx file. "
                            + "Refusing.");
                } else if (op == Kind.DIRECTORY) {
                    throw new IllegalArgumentException("Input is a regular file, but attempted to list it as "
                            + "directory.");
                }
            } else {
                throw new IllegalArgumentException("Input is neither a file or directory. Refusing.");
            }
        } else if (op == null) {
            op = Kind.ARCHIVE;
        } else if (op == Kind.DIRECTORY) {
            throw new IllegalArgumentException("Input must be local path: -");
        }
        if (op == Kind.DIRECTORY && seekPath != null) {
            throw new IllegalArgumentException("Subtree path only supported when listing archive or archive index.");
        }
        return switch (op) {
            case ARCHIVE -> {
                InputStream in = stdin ? System.in : Files.newInputStream(Locations.local(input));
                yield new ArchiveInput(op, new CatarDecoder(new BufferedInputStream(in, 1 << 16)));
            }
            case ARCHIVE_INDEX -> openIndex(stores.readIndex(stdin ? "-" : input), stores, threads);
            case DIRECTORY -> {
                CatarEncoder e = encoder.get();
                TreeStream tree = TreeStream.open(Locations.local(input), e);
                ArchiveInput a = new ArchiveInput(op, new CatarDecoder(tree, e.flags()));
                a.resources.add(tree);
                yield a;
            }
        };
    }

    private static ArchiveInput openIndex(IndexInput idx, StoreStack stores, int threads) throws IOException {
        Index index = idx.index();
        ChunkStore store = stores.openFor(idx);
        ExecutorService pool = Pools.workers(threads);
        ChunkedInputStream in = new ChunkedInputStream(index, store, pool, 8 * threads);
        ArchiveInput a = new ArchiveInput(Kind.ARCHIVE_INDEX, new CatarDecoder(in, index.featureFlags()));
        a.resources.add(in);
        a.resources.add(store);
        a.resources.add(pool::shutdownNow);
        return a;
    }

    /** What the input is. */
    public Kind kind() {
        return kind;
    }

    /** The decoder of the input's catar stream. */
    public CatarDecoder decoder() {
        return decoder;
    }

    /**
     * casync's replay flags for listings: the archive's flags as far as {@code --with} ({@code with}, 0 for none)
     * and {@code --without} ask for them.
     */
    public long replayFlags(long with, long without) {
        long f = decoder.featureFlags();
        if (with == 0 && without == 0) {
            return f;
        }
        long mask = expand((with == 0 ? FeatureFlags.WITH_MASK : with) & ~without) | ~FeatureFlags.WITH_MASK;
        return FeatureFlags.normalize(expand(f) & mask);
    }

    /** casync's {@code ca_feature_flags_normalize_mask}: adds the bits a finer feature implies. */
    private static long expand(long f) {
        if ((f & FeatureFlags.WITH_NSEC_TIME) != 0) {
            f |= FeatureFlags.WITH_USEC_TIME;
        }
        if ((f & FeatureFlags.WITH_USEC_TIME) != 0) {
            f |= FeatureFlags.WITH_SEC_TIME;
        }
        if ((f & FeatureFlags.WITH_SEC_TIME) != 0) {
            f |= FeatureFlags.WITH_2SEC_TIME;
        }
        if ((f & FeatureFlags.WITH_32BIT_UIDS) != 0) {
            f |= FeatureFlags.WITH_16BIT_UIDS;
        }
        if ((f & FeatureFlags.WITH_ACL) != 0) {
            f |= FeatureFlags.WITH_PERMISSIONS;
        }
        if ((f & FeatureFlags.WITH_PERMISSIONS) != 0) {
            f |= FeatureFlags.WITH_READ_ONLY;
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        for (Closeable c : resources) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing after an error
            }
        }
    }
}
