package org.jcasync.cli;

import org.jcasync.blob.BlobExtractor;
import org.jcasync.blob.ExtractOptions;
import org.jcasync.blob.ExtractStats;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.store.CachedStore;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;

/** {@code extract BLOB_INDEX [OUTPUT|BLOCKDEV|-]}: rebuild a blob from stores and seeds. */
@Command(name = "extract", sortOptions = false, usageHelpWidth = 100,
        description = {"Rebuild a blob (file or block device) from its index (.caibx).",
                "Chunks come from the output itself (in place), seeds (--seed, and the existing output unless",
                "--seed-output=no), --cache and the stores, every one verified. Ends with a one-line report on",
                "stderr (--print-stats: JSON)."})
final class ExtractCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", paramLabel = "BLOB_INDEX", description = "Index to extract (.caibx, or - for stdin)")
    String input;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUTPUT",
            description = "File or block device to write (- or none: stdout)")
    String output;

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        if (o.what != null && !o.what.equals("blob-index")) {
            throw new UserException("only blob indexes (--what=blob-index) can be extracted so far");
        }
        if (!input.equals("-") && o.what == null) {
            if (Locations.hasSuffix(input, ".catar") || Locations.hasSuffix(input, ".caidx")) {
                throw new UserException("directory archives (" + input + ") are not supported yet");
            }
            if (!Locations.hasSuffix(input, ".caibx")) {
                throw new UserException("File to read from does not have valid suffix, refusing. "
                        + "(May be one of: .catar, .caidx, .caibx)");
            }
        }
        Index index = input.equals("-") ? IndexReader.read(System.in, "stdin") : IndexReader.read(Locations.local(input));
        ChunkStore store = Stores.forReading(o, input, index);
        if (o.cache != null) {
            store = new CachedStore(new LocalStore(Locations.local(o.cache),
                    new StoreOptions(index.digest(), index.params().max(), o.compressionAlgorithm())), store);
        }
        List<Path> seeds = new ArrayList<>();
        for (String s : o.seeds) {
            seeds.add(Locations.local(s));
        }
        boolean toStdout = output == null || output.equals("-");
        Path out = toStdout ? null : Locations.local(output);
        if (out != null && Files.isDirectory(out)) {
            throw new UserException("Output is a directory, but attempted to extract blob index. Refusing.");
        }
        ExtractOptions opts = new ExtractOptions(o.punchHoles, o.reflink, o.inPlace, o.seedOutput, o.threads);
        ExecutorService pool = Pools.workers(o.threads);
        ExtractStats stats;
        try (ChunkStore closing = store;
             Progress p = Progress.start("extract", index.length(), o.noProgress || toStdout && false)) {
            BlobExtractor ex = new BlobExtractor(index, store, pool, opts).onProgress(p)
                    .verbose(o.verbose ? System.err : null);
            if (toStdout) {
                OutputStream os = new java.io.BufferedOutputStream(new java.io.FileOutputStream(
                        java.io.FileDescriptor.out), 1 << 20);
                stats = ex.extract(os);
            } else {
                try {
                    stats = ex.extract(out, seeds);
                } catch (IOException e) {
                    throw MakeCommand.context(e, "extracting to " + output);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.err.println("jcasync: extract: " + stats.summary());
        if (o.printStats) {
            (toStdout ? System.err : System.out).println(stats.toJson());
        }
        return 0;
    }
}
