package org.jcasync.cli;

import org.jcasync.blob.BlobExtractor;
import org.jcasync.blob.BlobSource;
import org.jcasync.blob.ExtractOptions;
import org.jcasync.blob.ExtractStats;
import org.jcasync.format.FeatureFlags;
import org.jcasync.index.Index;
import org.jcasync.io.IoErrors;
import org.jcasync.io.Pools;
import org.jcasync.location.IndexInput;
import org.jcasync.location.Locations;
import org.jcasync.location.StoreStack;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.TransferReport;
import org.jcasync.tree.ArchiveExtract;
import org.jcasync.tree.TreeExtractOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;

/**
 * {@code extract BLOB_INDEX [OUTPUT|BLOCKDEV|-]}: rebuild a blob from stores and seeds; {@code extract ARCHIVE|
 * ARCHIVE_INDEX [DIR]}: apply a directory tree to a directory.
 */
@Command(name = "extract", sortOptions = false, usageHelpWidth = 100,
        description = {"Rebuild a blob from its .caibx index, or a directory tree from its .catar archive or .caidx index.",
                "A blob goes to a file or block device.",
                "Blob chunks come from the output itself (in place), seeds (--seed, and the existing output unless",
                "--seed-output=no), --cache and the stores, every one verified.",
                "Trees are applied to DIR (default: the current directory) touching only what differs: unchanged",
                "files are kept, changed ones are written to a temp file and renamed over, --delete removes what the",
                "archive does not list, --seed=DIR supplies files at the same relative path (cloned on btrfs/XFS,",
                "linked with --hardlink; with --seed-chunks=yes also its chunks). PATH: only that entry, put in DIR.",
                "Ends with a one-line report on stderr (--print-stats: JSON)."})
final class ExtractCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", paramLabel = "INPUT",
            description = "What to extract: .caibx, .catar or .caidx (- for stdin, with --what)")
    String input;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUTPUT",
            description = "Blob: file or block device to write (- or none: stdout). Tree: directory (default .)")
    String output;

    @Parameters(index = "2", arity = "0..1", paramLabel = "PATH",
            description = "Trees: extract only this directory of the archive into OUTPUT")
    String subtree;

    enum Operation { ARCHIVE, ARCHIVE_INDEX, BLOB_INDEX }

    /** casync's choice of what to extract: --what, the input's suffix, then the kind of output that exists. */
    private Operation operation() throws IOException {
        Operation op = null;
        if (o.what != null) {
            op = switch (o.what) {
                case "archive" -> Operation.ARCHIVE;
                case "archive-index" -> Operation.ARCHIVE_INDEX;
                case "blob-index" -> Operation.BLOB_INDEX;
                default -> throw new UserException("\"extract\" operation may only be combined with --what=archive,"
                        + " --what=archive-index, --what=blob-index.");
            };
        }
        if (op == null && !input.equals("-")) {
            if (Locations.hasSuffix(input, ".catar")) {
                op = Operation.ARCHIVE;
            } else if (Locations.hasSuffix(input, ".caidx")) {
                op = Operation.ARCHIVE_INDEX;
            } else if (Locations.hasSuffix(input, ".caibx")) {
                op = Operation.BLOB_INDEX;
            } else {
                throw new UserException("File to read from does not have valid suffix, refusing. "
                        + "(May be one of: .catar, .caidx, .caibx)");
            }
        }
        if (!Locations.isStdio(output)) {
            Path out = Locations.local(output);
            if (Files.isDirectory(out)) {
                if (op == null) {
                    op = Operation.ARCHIVE_INDEX;
                } else if (op == Operation.BLOB_INDEX) {
                    throw new UserException("Output is a directory, but attempted to extract blob index. Refusing.");
                }
            } else if (Files.isRegularFile(out) || BlobSource.isBlockDevice(out)) {
                if (op == null) {
                    op = Operation.BLOB_INDEX;
                } else if (op != Operation.BLOB_INDEX) {
                    throw new UserException("Output is a regular file or block device, but attempted to extract an "
                            + "archive.");
                }
            } else if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                throw new UserException("Output is neither a directory, a regular file, nor a block device. "
                        + "Refusing.");
            }
        }
        if (op == null) {
            throw new UserException("Couldn't figure out what to extract. Refusing. Use --what=archive, "
                    + "--what=archive-index or --what=blob-index.");
        }
        return op;
    }

    private int extractTree(Operation op) throws IOException {
        if (output == null) {
            output = ".";
        }
        if (output.equals("-")) {
            throw new UserException("Output is neither a directory, a regular file, nor a block device. Refusing.");
        }
        Path out = Locations.local(output);
        List<Path> seeds = new ArrayList<>();
        for (String s : o.seeds) {
            Path p = Locations.local(s);
            if (!Files.isDirectory(p)) {
                throw new UserException("Seed " + s + " is not a directory (tree extraction takes directories as "
                        + "seeds)");
            }
            seeds.add(p);
        }
        long[] uid = o.uidMapping();
        TreeExtractOptions opts = new TreeExtractOptions(FeatureFlags.decodeMask(o.withFlags(), o.withoutFlags()),
                o.delete, o.undoImmutable, o.hardlink, o.reflink, o.punchHoles, uid[0], uid[1], seeds, o.seedOutput);
        ArchiveExtract extract = new ArchiveExtract(opts).threads(o.threads).targetName(output)
                .seedChunks(ArchiveExtract.SeedChunks.valueOf(o.seedChunks.toUpperCase(Locale.ROOT)));
        ArchiveExtract.Result result;
        if (op == Operation.ARCHIVE) {
            InputStream in = input.equals("-") ? System.in : Files.newInputStream(Locations.local(input));
            result = extract.fromArchive(in, out, subtree);
        } else {
            result = extract.fromIndex(input, o.stores(), out, subtree);
        }
        System.err.println("jcasync: extract: " + result.summary());
        if (o.printStats) {
            System.out.println(result.toJson());
        }
        return 0;
    }

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        Operation op = operation();
        if (op != Operation.BLOB_INDEX) {
            return extractTree(op);
        }
        if (subtree != null) {
            throw new UserException("Subtree path only supported when extracting archive or archive index.");
        }
        StoreStack stores = o.stores();
        IndexInput in = stores.readIndex(input);
        Index index = in.index();
        ChunkStore store = stores.openFor(in);
        List<Path> seeds = new ArrayList<>();
        for (String s : o.seeds) {
            seeds.add(Locations.local(s));
        }
        boolean toStdout = Locations.isStdio(output);
        Path out = toStdout ? null : Locations.local(output);
        if (out != null && Files.isDirectory(out)) {
            throw new UserException("Output is a directory, but attempted to extract blob index. Refusing.");
        }
        ExtractOptions opts = new ExtractOptions(o.punchHoles, o.reflink, o.inPlace, o.seedOutput, o.threads);
        ExecutorService pool = Pools.workers(o.threads);
        ExtractStats stats;
        try (ChunkStore closing = store;
             Progress p = Progress.start("extract", index.length(), o.noProgress)) {
            BlobExtractor ex = new BlobExtractor(index, store, pool, opts).onProgress(p)
                    .verbose(o.verbose ? System.err : null);
            if (toStdout) {
                stats = ex.extract(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 20));
            } else {
                try {
                    stats = ex.extract(out, seeds);
                } catch (IOException e) {
                    throw IoErrors.withContext(e, "extracting to " + output);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        TransferReport transfer = stats.transfer(store);
        System.err.println("jcasync: extract: " + stats.summary() + "; " + transfer.summary());
        if (o.printStats) {
            (toStdout ? System.err : System.out).println(transfer.addTo(stats.toJson()));
        }
        return 0;
    }
}
