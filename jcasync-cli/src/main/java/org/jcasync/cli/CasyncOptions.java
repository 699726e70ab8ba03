package org.jcasync.cli;

import org.jcasync.catar.CatarEncoder;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.SizeParser;
import org.jcasync.format.FeatureFlags;
import org.jcasync.inspect.ArchiveInput;
import org.jcasync.location.StoreStack;
import org.jcasync.store.Compression;
import org.jcasync.store.TransportOptions;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * casync's options. As in casync they may stand before or after the verb ({@code jcasync --store=S make ...} or
 * {@code jcasync make --store=S ...}).
 */
final class CasyncOptions {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;

    @Option(names = {"-v", "--verbose"},
            description = "Show terse status information during runtime")
    boolean verbose;

    @Option(names = {"-l", "--log-level"}, paramLabel = "LEVEL",
            description = "Set log level (debug, info, err)")
    String logLevel;

    @Option(names = {"-n", "--dry-run"},
            description = "When garbage collecting, only print what would be done")
    boolean dryRun;

    @Option(names = "--store", paramLabel = "LOCATION",
            description = {"The primary chunk store to use: a path, file://, http(s)://, s3+http(s)://, ssh://,",
                    "sftp://; a|b is a failover group. Repeatable: later ones are looked in when the first lacks a",
                    "chunk (like --extra-store)"})
    List<String> stores = new ArrayList<>();

    /** The primary store given, or null (casync's default rule applies then). */
    String store() {
        return stores.isEmpty() ? null : stores.getFirst();
    }

    /** The stores after the primary one: further --store options, then --extra-store. */
    List<String> secondaryStores() {
        List<String> l = new ArrayList<>(stores.isEmpty() ? List.of() : stores.subList(1, stores.size()));
        l.addAll(extraStores);
        return l;
    }

    @Option(names = "--extra-store", paramLabel = "PATH",
            description = "Additional chunk store to look for chunks in")
    List<String> extraStores = new ArrayList<>();

    @Option(names = "--chunk-size", paramLabel = "[MIN:]AVG[:MAX]",
            description = "The minimal/average/maximum number of bytes in a chunk")
    String chunkSize;

    @Option(names = "--digest", paramLabel = "DIGEST",
            description = "Pick digest algorithm (sha512-256 or sha256)")
    String digest;

    @Option(names = "--compression", paramLabel = "COMPRESSION",
            description = "Pick compression algorithm (zstd, xz or gzip)")
    String compression;

    @Option(names = "--seed", paramLabel = "PATH",
            description = "Additional file or directory to use as seed")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--cache", paramLabel = "PATH",
            description = "Directory to keep fetched chunks in and read them from (extract)")
    String cache;

    @Option(names = "--rate-limit-bps", paramLabel = "LIMIT",
            description = "Maximum bandwidth in bytes/s for remote communication")
    String rateLimit;

    @Option(names = "--packs", paramLabel = "MODE",
            description = "make, pack: no (default for make), yes (also put the new chunks into a pack and write "
                    + "INDEX.camap), only (packed-only store: loose copies removed; casync cannot read it). "
                    + "extract, list, mtree, digest: auto (default; use INDEX.camap when the index has one) or no")
    String packs;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "Most requests in flight per remote store (default: 64; adapts below that)")
    int concurrency = TransportOptions.DEFAULT.maxInFlight();

    @Option(names = "--retries", paramLabel = "N",
            description = "Times a failed request to a remote store is repeated (default: 3)")
    int retries = TransportOptions.DEFAULT.retries();

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Longest wait for a remote store to connect or send more data (default: 60)")
    int timeoutSeconds = (int) TransportOptions.DEFAULT.timeout().toSeconds();

    @Option(names = "--min-rate-bps", paramLabel = "RATE",
            description = "Least bytes/s a remote reply must average over every --timeout, else it is retried "
                    + "(default: 1K; 0: no minimum)")
    String minRate;

    @Option(names = "--authorization", paramLabel = "VALUE",
            description = "Authorization header for HTTP stores and indexes (else $CASYNC_HTTP_AUTHORIZATION)")
    String authorization;

    @Option(names = "--client-cert", paramLabel = "PEM", description = "TLS client certificate for remote stores")
    String clientCert;

    @Option(names = "--client-key", paramLabel = "PEM", description = "Private key of --client-cert (PKCS#8 PEM)")
    String clientKey;

    @Option(names = "--ca-cert", paramLabel = "PEM",
            description = "Trust these CA certificates instead of the system's for remote stores")
    String caCert;

    @Option(names = "--trust-any-cert",
            description = "Do not verify servers' TLS certificates (testing only)")
    boolean trustAnyCert;

    @Option(names = "--reflink", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Create reflinks from seeds when extracting (default: yes)")
    boolean reflink = true;

    @Option(names = "--punch-holes", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Create sparse files when extracting (default: yes)")
    boolean punchHoles = true;

    @Option(names = "--seed-chunks", paramLabel = "auto|yes|no",
            description = {"Trees (.caidx): serialize and chunk the seed directories and the existing output so",
                    "their chunks replace store reads. auto (default): only when a store is remote, since",
                    "reading a local store costs less than chunking a seed; yes: always, as casync"})
    String seedChunks = "auto";

    @Option(names = "--seed-output", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Use pre-existing output as seed when extracting (default: yes)")
    boolean seedOutput = true;

    @Option(names = "--in-place",
            description = "Write into the existing output file, skipping chunks already correct (resumable)")
    boolean inPlace;

    @Option(names = "--exclude-nodump", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Exclude files with chattr(1)'s +d 'nodump' flag when creating archive (default: yes)")
    boolean excludeNodump = true;

    @Option(names = "--exclude-submounts", paramLabel = "yes|no", arity = "1",
            converter = YesNo.class, description = "Exclude submounts when creating archive (default: no)")
    boolean excludeSubmounts;

    @Option(names = "--exclude-file", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Respect .caexclude files in file tree (default: yes)")
    boolean excludeFile = true;

    @Option(names = "--with", paramLabel = "FEATURE",
            description = "Store this feature (or preset: best, unix, fat, chattr, fat-attrs, privileged, fuse, all);"
                    + " --with=help lists them. Blob indexes record the set, as in casync")
    List<String> with = new ArrayList<>();

    @Option(names = "--without", paramLabel = "FEATURE", description = "Do not store this feature (or preset)")
    List<String> without = new ArrayList<>();

    @Option(names = "--hardlink", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Create hardlinks from seeds when extracting directory trees (default: no)")
    boolean hardlink;

    @Option(names = "--delete", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Delete existing files not listed in the archive after extracting a tree (default: yes)")
    boolean delete = true;

    @Option(names = "--undo-immutable", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "When removing existing files of a tree, undo chattr(1)'s +i first (default: no)")
    boolean undoImmutable;

    @Option(names = "--recursive", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "List recursively (default: yes)")
    boolean recursive = true;

    @Option(names = "--mkdir", paramLabel = "yes|no", arity = "1", converter = YesNo.class,
            description = "Create a missing mount directory (default: yes)")
    boolean mkdir = true;

    @Option(names = "--uid-shift", paramLabel = "yes|SHIFT", description = "Shift UIDs/GIDs of trees")
    String uidShift;

    @Option(names = "--uid-range", paramLabel = "RANGE", description = "Restrict UIDs/GIDs of trees to range")
    String uidRange;

    @Option(names = {"-c", "--cache-auto"}, description = "Pick encoder cache directory automatically (trees)")
    boolean cacheAuto;

    @Option(names = "--what", paramLabel = "WHAT",
            description = "Operate on: archive, archive-index, blob, blob-index, directory")
    String what;

    @Option(names = {"-j", "--threads"}, paramLabel = "N",
            description = "Worker threads (default: number of cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--print-stats",
            description = "Print what was done as JSON (stdout, or stderr when the output is stdout)")
    boolean printStats;

    @Option(names = "--no-progress", description = "No progress bar, even on a terminal")
    boolean noProgress;

    ChunkerParams chunkerParams() {
        return chunkSize == null ? ChunkerParams.DEFAULT : ChunkerParams.parse(chunkSize);
    }

    DigestAlgorithm digestAlgorithm() {
        return digest == null ? DigestAlgorithm.SHA512_256 : DigestAlgorithm.parse(digest);
    }

    Compression compressionAlgorithm() {
        return compression == null ? Compression.ZSTD : Compression.parse(compression);
    }

    /** The OR of the named --with features (0 when none). */
    long withFlags() {
        long f = 0;
        for (String w : with) {
            f |= FeatureFlags.parseWith(w);
        }
        return f;
    }

    /** The OR of the named --without features. */
    long withoutFlags() {
        long f = 0;
        for (String w : without) {
            f |= FeatureFlags.parseWith(w);
        }
        return f;
    }

    /** Prints casync's list of features when --with=help or --without=help was given; true if it did. */
    boolean printedFeatureHelp() {
        if (!with.contains("help") && !without.contains("help")) {
            return false;
        }
        for (String n : FeatureFlags.singleNames()) {
            System.out.println(n);
        }
        return true;
    }

    /**
     * casync's {@code --uid-shift}/{@code --uid-range}: {shift, range} to apply (range 0 = the full 32-bit range),
     * or {0, 0} when neither asks for a mapping.
     */
    long[] uidMapping() {
        boolean apply = false;
        long shift = 0;
        long range = 0x10000;
        if (uidShift != null) {
            if (uidShift.equals("yes") || uidShift.equals("no")) {
                apply = uidShift.equals("yes");
            } else {
                shift = Long.parseUnsignedLong(uidShift);
                apply = true;
            }
        }
        if (uidRange != null) {
            long r = Long.parseUnsignedLong(uidRange);
            range = r == 0x100000000L ? 0 : r;
            apply = true;
        }
        return apply ? new long[] {shift, range} : new long[] {0, 0};
    }

    /** How remote stores are talked to. */
    TransportOptions transport() {
        String auth = authorization != null ? authorization : System.getenv("CASYNC_HTTP_AUTHORIZATION");
        return new TransportOptions(Duration.ofSeconds(timeoutSeconds), concurrency, retries,
                TransportOptions.DEFAULT.retryDelay(), auth == null || auth.isEmpty() ? null : auth,
                clientCert == null ? null : Path.of(clientCert), clientKey == null ? null : Path.of(clientKey),
                caCert == null ? null : Path.of(caCert), trustAnyCert,
                rateLimit == null ? 0 : SizeParser.parse(rateLimit),
                minRate == null ? TransportOptions.DEFAULT_MIN_RATE : SizeParser.parse(minRate));
    }

    /**
     * The stores chunks are read from and written to: {@code --store} (casync's default when not given), then the
     * further ones; the cache, the chunk maps unless {@code --packs=no}, how remote stores are talked to.
     */
    StoreStack stores() {
        return StoreStack.builder().store(store()).extraStores(secondaryStores()).cache(cache)
                .chunkMaps(!"no".equals(packs)).transport(transport()).compression(this::compressionAlgorithm);
    }

    /** The encoder of directory trees: casync make's feature flags for trees (--with, --without, --exclude-*). */
    CatarEncoder treeEncoder() {
        long flags = FeatureFlags.forMake(withFlags(), withoutFlags(), FeatureFlags.WITH_MASK, excludeNodump,
                excludeSubmounts, excludeFile, digestAlgorithm() == DigestAlgorithm.SHA512_256);
        long[] uid = uidMapping();
        return new CatarEncoder(flags).uidMapping(uid[0], uid[1]);
    }

    /**
     * Opens what list, mtree, stat and digest read: {@code input} as {@code --what} says, else as its name and type
     * say ({@link ArchiveInput#open}).
     */
    ArchiveInput openArchive(String input, String seekPath) throws IOException {
        ArchiveInput.Kind kind = null;
        if (what != null) {
            kind = switch (what) {
                case "archive" -> ArchiveInput.Kind.ARCHIVE;
                case "archive-index" -> ArchiveInput.Kind.ARCHIVE_INDEX;
                case "directory" -> ArchiveInput.Kind.DIRECTORY;
                default -> throw new UserException("This operation may only be combined with --what=archive, "
                        + "archive-index, or directory.");
            };
        }
        return ArchiveInput.open(input, kind, seekPath, stores(), threads, this::treeEncoder);
    }

    /** Validates options that only need to parse. */
    void validate() {
        for (List<String> l : List.of(with, without)) {
            for (String w : l) {
                if (!w.equals("help")) {
                    try {
                        FeatureFlags.parseWith(w);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("Failed to parse --" + (l == with ? "with" : "without")
                                + "= feature flag: " + w);
                    }
                }
            }
        }
        if (uidShift != null && !uidShift.equals("yes") && !uidShift.equals("no")) {
            try {
                Long.parseUnsignedLong(uidShift);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Failed to parse --uid-shift= parameter: " + uidShift);
            }
        }
        if (uidRange != null) {
            try {
                if (Long.parseUnsignedLong(uidRange) == 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Failed to parse --uid-range= parameter: " + uidRange);
            }
        }
        if (rateLimit != null) {
            long v = SizeParser.parse(rateLimit);
            if (v == 0) {
                throw new IllegalArgumentException("Rate limit size cannot be zero.");
            }
        }
        if (minRate != null) {
            SizeParser.parse(minRate);
        }
        if (!List.of("auto", "yes", "no").contains(seedChunks)) {
            throw new IllegalArgumentException("Failed to parse --seed-chunks= parameter: " + seedChunks
                    + " (auto, yes or no)");
        }
        if (packs != null && !List.of("no", "yes", "only", "auto").contains(packs)) {
            throw new IllegalArgumentException("Failed to parse --packs= parameter: " + packs
                    + " (no, yes, only or auto)");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("--concurrency must be at least 1");
        }
        if (retries < 0) {
            throw new IllegalArgumentException("--retries cannot be negative");
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--timeout must be at least 1 second");
        }
        if ((clientCert == null) != (clientKey == null)) {
            throw new IllegalArgumentException("--client-cert and --client-key go together");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        if (what != null && !List.of("archive", "archive-index", "blob", "blob-index", "directory").contains(what)) {
            throw new IllegalArgumentException("Failed to parse --what= selector: " + what);
        }
    }
}
