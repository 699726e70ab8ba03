package org.jcasync.cli;

import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.SizeParser;
import org.jcasync.store.Compression;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * casync's options. As in casync they may stand before or after the verb ({@code jcasync --store=S make ...} or
 * {@code jcasync make --store=S ...}).
 */
final class CasyncOptions {
    @Option(names = {"-v", "--verbose"},
            description = "Show terse status information during runtime")
    boolean verbose;

    @Option(names = {"-l", "--log-level"}, paramLabel = "LEVEL",
            description = "Set log level (debug, info, err)")
    String logLevel;

    @Option(names = {"-n", "--dry-run"},
            description = "When garbage collecting, only print what would be done")
    boolean dryRun;

    @Option(names = "--store", paramLabel = "PATH",
            description = "The primary chunk store to use")
    String store;

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

    @Option(names = "--reflink", paramLabel = "yes|no", converter = YesNo.class,
            description = "Create reflinks from seeds when extracting (default: yes)")
    boolean reflink = true;

    @Option(names = "--punch-holes", paramLabel = "yes|no", converter = YesNo.class,
            description = "Create sparse files when extracting (default: yes)")
    boolean punchHoles = true;

    @Option(names = "--seed-output", paramLabel = "yes|no", converter = YesNo.class,
            description = "Use pre-existing output as seed when extracting (default: yes)")
    boolean seedOutput = true;

    @Option(names = "--in-place",
            description = "Write into the existing output file, skipping chunks already correct (resumable)")
    boolean inPlace;

    @Option(names = "--exclude-nodump", paramLabel = "yes|no", converter = YesNo.class,
            description = "Exclude files with chattr(1)'s +d 'nodump' flag when creating archive (default: yes)")
    boolean excludeNodump = true;

    @Option(names = "--exclude-submounts", paramLabel = "yes|no",
            converter = YesNo.class, description = "Exclude submounts when creating archive (default: no)")
    boolean excludeSubmounts;

    @Option(names = "--exclude-file", paramLabel = "yes|no", converter = YesNo.class,
            description = "Respect .caexclude files in file tree (default: yes)")
    boolean excludeFile = true;

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

    /** Validates options that only need to parse. */
    void validate() {
        if (rateLimit != null) {
            long v = SizeParser.parse(rateLimit);
            if (v == 0) {
                throw new IllegalArgumentException("Rate limit size cannot be zero.");
            }
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        if (what != null && !List.of("archive", "archive-index", "blob", "blob-index", "directory").contains(what)) {
            throw new IllegalArgumentException("Failed to parse --what= selector: " + what);
        }
    }
}
