package org.jcasync.cli;

import org.jcasync.blob.BlobMaker;
import org.jcasync.blob.BlobSource;
import org.jcasync.blob.MakeStats;
import org.jcasync.catar.CatarEncoder;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.format.FeatureFlags;
import org.jcasync.index.IndexWriter;
import org.jcasync.io.AtomicFile;
import org.jcasync.io.BlockPipe;
import org.jcasync.io.HashingOutputStream;
import org.jcasync.pack.Packer;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreLock;
import org.jcasync.store.WritableChunkStore;
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

/**
 * {@code make [ARCHIVE|ARCHIVE_INDEX|BLOB_INDEX] [PATH]}: serialize a directory tree (.catar), or chunk it (.caidx)
 * or a blob (.caibx) into the store and write its index.
 */
@Command(name = "make", sortOptions = false, usageHelpWidth = 100,
        description = {"Make a directory archive (.catar), a directory archive index (.caidx) or a blob index "
                + "(.caibx).",
                "Prints the digest of the archive or blob. Output is written to a temporary file and renamed into "
                + "place."})
final class MakeCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", arity = "0..1", paramLabel = "OUTPUT",
            description = "Archive or index to write (.catar, .caidx, .caibx, or - for stdout)")
    String output;

    /** What {@code --packs} packed, for the report. */
    private Packer.PackResult packResult;

    @Parameters(index = "1", arity = "0..1", paramLabel = "INPUT",
            description = "Directory (default for archives: .), file or block device (- or none for blobs: stdin)")
    String input;

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        Kind kind = null;
        if (o.what != null) {
            kind = switch (o.what) {
                case "archive" -> Kind.CATAR;
                case "archive-index" -> Kind.CAIDX;
                case "blob-index" -> Kind.CAIBX;
                default -> throw new UserException("\"make\" operation may only be combined with --what=archive, "
                        + "--what=archive-index or --what=blob-index.");
            };
        }
        if (kind == null && output != null && !output.equals("-")) {
            if (Locations.hasSuffix(output, ".catar")) {
                kind = Kind.CATAR;
            } else if (Locations.hasSuffix(output, ".caidx")) {
                kind = Kind.CAIDX;
            } else if (Locations.hasSuffix(output, ".caibx")) {
                kind = Kind.CAIBX;
            } else {
                throw new UserException("File to create does not have valid suffix, refusing. "
                        + "(May be one of: .catar, .caidx, .caibx)");
            }
        }
        if (input == null && (kind == Kind.CATAR || kind == Kind.CAIDX)) {
            input = ".";
        }
        Path in = input == null || input.equals("-") ? null : Locations.local(input);
        if (in != null) {
            if (!Files.exists(in, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.exists(in)) {
                throw new java.nio.file.NoSuchFileException(in.toString(), null, "input not found");
            }
            if (Files.isDirectory(in)) {
                if (kind == null) {
                    kind = Kind.CATAR;
                } else if (kind == Kind.CAIBX) {
                    throw new UserException("Input is a directory, but attempted to make blob index. Refusing.");
                }
            } else if (kind == null) {
                kind = Kind.CAIBX;
            } else if (kind != Kind.CAIBX) {
                throw new UserException("Input is a regular file or block device, but attempted to make a "
                        + "directory archive. Refusing.");
            }
        } else if (kind == null) {
            kind = Kind.CAIBX;
        } else if (kind != Kind.CAIBX) {
            throw new UserException("directory archives of standard input are not supported; give a directory");
        }
        if (kind != Kind.CAIBX) {
            return makeArchive(kind, in);
        }
        ChunkerParams params = o.chunkerParams();
        DigestAlgorithm digest = o.digestAlgorithm();
        long flags = FeatureFlags.forMake(o.withFlags(), o.withoutFlags(), 0, o.excludeNodump, o.excludeSubmounts,
                o.excludeFile, digest == DigestAlgorithm.SHA512_256);
        WritableChunkStore store = openStore(params, digest);
        ExecutorService pool = Pools.workers(o.threads);
        int status;
        try (StoreLock lock = StoreLock.forWriting(store, "make", Main::message)) {
            status = packed(report(writeOutput(os -> make(in, os, params, digest, flags, store, pool))), store);
        } finally {
            pool.shutdownNow();
        }
        return looseRemoved(status, store);
    }

    /** Produces the output into a stream. */
    @FunctionalInterface
    private interface Producer<T> {
        T write(OutputStream out) throws Exception;
    }

    /** Writes to stdout for no output or "-", else through a temp file renamed over the output on success. */
    private <T> T writeOutput(Producer<T> producer) throws Exception {
        if (output == null || output.equals("-")) {
            return producer.write(System.out);
        }
        if (org.jcasync.store.StoreRegistry.isRemote(output)) {
            // Indexes are small: made in memory, then uploaded in one piece (never half-written).
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            T result = producer.write(buf);
            try {
                Stores.registry().writeFile(output, buf.toByteArray(), o.transport());
            } catch (IOException e) {
                throw context(e, "uploading " + output);
            }
            return result;
        }
        try (AtomicFile af = AtomicFile.create(Locations.local(output))) {
            T result;
            try (OutputStream os = af.outputStream()) {
                result = producer.write(os);
            }
            af.commit();
            return result;
        } catch (IOException e) {
            throw context(e, "making " + output);
        }
    }

    /** The store chunks go to: --store, $CASYNC_STORE, or default.castr beside the index. */
    private WritableChunkStore openStore(ChunkerParams params, DigestAlgorithm digest) throws IOException {
        if (o.verbose) {
            System.err.println("Selected chunk sizes: min=" + params.min() + "..avg=" + params.avg() + "..max="
                    + params.max());
        }
        return Stores.forWriting(o, output, new StoreOptions(digest, params.max(), o.compressionAlgorithm()));
    }

    /**
     * With {@code --packs=yes|only}: packs the chunks of the index just written that no pack of the store holds yet
     * and writes the index's chunk map beside it; the caller holds the store's lock as a writer.
     */
    private int packed(int status, WritableChunkStore store) throws IOException {
        LocalStore local = packing(store);
        if (local != null) {
            packResult = PackCommand.pack(local, indexFiles());
        }
        return status;
    }

    /**
     * With {@code --packs=only}: removes the loose copies of what was packed, holding the store's lock as gc does
     * (after the writer's lock is released: a gc taking the store in between keeps what this make wrote or
     * freshened for its grace period); then the report of {@code -v}.
     */
    private int looseRemoved(int status, WritableChunkStore store) throws IOException {
        LocalStore local = packing(store);
        if (local != null) {
            boolean only = o.packs.equals("only");
            long removed = only ? PackCommand.removeLoose(local, indexFiles()) : 0;
            if (o.verbose) {
                PackCommand.report(packResult, only, removed);
            }
        }
        return status;
    }

    /** The local store to pack into with {@code --packs=yes|only}, null with {@code --packs=no}. */
    private LocalStore packing(WritableChunkStore store) {
        String mode = o.packs == null ? "no" : o.packs;
        if (mode.equals("no")) {
            return null;
        }
        if (mode.equals("auto")) {
            throw new UserException("make takes --packs=no, yes or only");
        }
        if (!(store instanceof LocalStore local) || output == null || output.equals("-")
                || org.jcasync.store.StoreRegistry.isRemote(output)) {
            throw new UserException("--packs needs a local store and a local index file");
        }
        return local;
    }

    private java.util.List<Packer.IndexFile> indexFiles() throws IOException {
        return java.util.List.of(Packer.IndexFile.read(Locations.local(output)));
    }

    /** Prints the digest line casync prints, then the report lines asked for. */
    private int report(MakeStats stats) {
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

    private enum Kind { CATAR, CAIDX, CAIBX }

    /** {@code make X.catar DIR} and {@code make X.caidx DIR}: serialize the tree (and chunk it, for .caidx). */
    private int makeArchive(Kind kind, Path dir) throws Exception {
        if (o.cache != null || o.cacheAuto) {
            throw new UserException("--cache for directory archives is not supported yet");
        }
        DigestAlgorithm digest = o.digestAlgorithm();
        long flags = FeatureFlags.forMake(o.withFlags(), o.withoutFlags(), FeatureFlags.WITH_MASK, o.excludeNodump,
                o.excludeSubmounts, o.excludeFile, digest == DigestAlgorithm.SHA512_256);
        long[] uid = o.uidMapping();
        CatarEncoder encoder = new CatarEncoder(flags).uidMapping(uid[0], uid[1]);
        boolean toStdout = output == null || output.equals("-");
        if (kind == Kind.CATAR) {
            if (toStdout) {
                // casync prints no digest after an archive written to standard output (verified)
                OutputStream stdout = new java.io.FileOutputStream(java.io.FileDescriptor.out);
                encoder.encode(dir, stdout);
                stdout.flush();
                return 0;
            }
            byte[] d = writeOutput(os -> {
                HashingOutputStream hos = new HashingOutputStream(os, digest.newHasher());
                encoder.encode(dir, hos);
                return hos.digest();
            });
            System.out.println(org.jcasync.chunk.ChunkId.of(d).toHex());
            System.out.flush();
            return 0;
        }
        ChunkerParams params = o.chunkerParams();
        WritableChunkStore store = openStore(params, digest);
        ExecutorService pool = Pools.workers(o.threads);
        int status;
        try (StoreLock lock = StoreLock.forWriting(store, "make", Main::message)) {
            status = packed(report(writeOutput(os -> makeIndexOfTree(dir, encoder, os, params, digest, flags,
                    store, pool))), store);
        } finally {
            pool.shutdownNow();
        }
        return looseRemoved(status, store);
    }

    /** Serializes the tree on its own thread and chunks the stream as it comes. */
    private MakeStats makeIndexOfTree(Path dir, CatarEncoder encoder, OutputStream out, ChunkerParams params,
            DigestAlgorithm digest, long flags, WritableChunkStore store, ExecutorService pool) throws Exception {
        IndexWriter w = new IndexWriter(out, flags, params);
        BlobMaker maker = new BlobMaker(params, digest, store, pool, o.threads);
        BlockPipe pipe = new BlockPipe(8, 1 << 20);
        Thread t = Thread.ofPlatform().name("jcasync-catar").start(() -> {
            try (OutputStream sink = pipe.sink()) {
                encoder.encode(dir, sink);
            } catch (Throwable e) {
                pipe.fail(e);
            }
        });
        try (java.io.InputStream src = pipe.source()) {
            return maker.make(src, w);
        } finally {
            t.join();
        }
    }

    private MakeStats make(Path in, OutputStream out, ChunkerParams params, DigestAlgorithm digest, long flags,
            WritableChunkStore store, ExecutorService pool) throws IOException {
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
