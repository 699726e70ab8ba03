package org.jcasync.cli;

import org.jcasync.blob.BlobMaker;
import org.jcasync.blob.BlobSource;
import org.jcasync.blob.MakeStats;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.format.FeatureFlags;
import org.jcasync.index.IndexWriter;
import org.jcasync.io.AtomicFile;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;

/** {@code make [BLOB_INDEX] [FILE|BLOCKDEV|-]}: chunk a blob into the store and write its index. */
@Command(name = "make", sortOptions = false, usageHelpWidth = 100,
        description = {"Chunk a file or block device into the store and write its blob index (.caibx).",
                "Prints the digest of the blob. The index is written to a temporary file and renamed into place."})
final class MakeCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", arity = "0..1", paramLabel = "BLOB_INDEX", description = "Index to write (.caibx, or - for stdout)")
    String output;

    @Parameters(index = "1", arity = "0..1", paramLabel = "INPUT", description = "File or block device (- or none: stdin)")
    String input;

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        if (o.what != null && !o.what.equals("blob-index")) {
            if (o.what.equals("archive") || o.what.equals("archive-index")) {
                throw new UserException("directory archives (--what=" + o.what + ") are not supported yet");
            }
            throw new UserException("\"make\" operation may only be combined with --what=archive, "
                    + "--what=archive-index or --what=blob-index.");
        }
        if (output != null && !output.equals("-")) {
            if (Locations.hasSuffix(output, ".catar") || Locations.hasSuffix(output, ".caidx")) {
                throw new UserException("directory archives (" + output + ") are not supported yet");
            }
            if (!Locations.hasSuffix(output, ".caibx")) {
                throw new UserException("File to create does not have valid suffix, refusing. "
                        + "(May be one of: .catar, .caidx, .caibx)");
            }
        }
        Path in = input == null || input.equals("-") ? null : Locations.local(input);
        if (in != null) {
            if (!Files.exists(in)) {
                throw new java.nio.file.NoSuchFileException(in.toString(), null, "input not found");
            }
            if (Files.isDirectory(in)) {
                throw new UserException("Input is a directory, but attempted to make blob index. Refusing. "
                        + "(directory archives are not supported yet)");
            }
        }
        ChunkerParams params = o.chunkerParams();
        DigestAlgorithm digest = o.digestAlgorithm();
        long flags = FeatureFlags.forMake(o.withFlags(), o.withoutFlags(), 0, o.excludeNodump, o.excludeSubmounts,
                o.excludeFile, digest == DigestAlgorithm.SHA512_256);
        String storeLoc = Locations.defaultStore(o.store, output);
        LocalStore store = new LocalStore(Locations.local(storeLoc),
                new StoreOptions(digest, params.max(), o.compressionAlgorithm()));
        if (o.verbose) {
            System.err.println("Selected chunk sizes: min=" + params.min() + "..avg=" + params.avg() + "..max="
                    + params.max());
        }
        ExecutorService pool = Pools.workers(o.threads);
        MakeStats stats;
        try {
            if (output == null || output.equals("-")) {
                stats = make(in, System.out, params, digest, flags, store, pool);
            } else {
                Path outPath = Locations.local(output);
                try (AtomicFile af = AtomicFile.create(outPath)) {
                    try (OutputStream os = af.outputStream()) {
                        stats = make(in, os, params, digest, flags, store, pool);
                    }
                    af.commit();
                } catch (IOException e) {
                    throw context(e, "making " + output);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.println(stats.digest().toHex());
        System.out.flush();
        if (o.verbose) {
            System.err.println("jcasync: make: " + stats.summary());
        }
        if (o.printStats) {
            System.err.println(stats.toJson());
        }
        return 0;
    }

    private MakeStats make(Path in, OutputStream out, ChunkerParams params, DigestAlgorithm digest, long flags,
            LocalStore store, ExecutorService pool) throws IOException {
        IndexWriter w = new IndexWriter(out, flags, params);
        BlobMaker maker = new BlobMaker(params, digest, store, pool, o.threads);
        if (in == null) {
            return maker.make(System.in, w);
        }
        try (BlobSource src = BlobSource.open(in);
             Progress p = Progress.start("make", src.size(), o.noProgress)) {
            maker.onProgress(p);
            return maker.make(src, w);
        }
    }

    /** Adds what was being done to a bare I/O error (e.g. "No space left on device"). */
    static IOException context(IOException e, String what) {
        if (e.getClass() == IOException.class && e.getMessage() != null && !e.getMessage().contains("/")) {
            return new IOException(what + ": " + e.getMessage(), e);
        }
        return e;
    }
}
