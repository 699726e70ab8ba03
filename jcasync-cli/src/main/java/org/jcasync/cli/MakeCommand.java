package org.jcasync.cli;

import org.jcasync.blob.BlobSource;
import org.jcasync.blob.IndexMaker;
import org.jcasync.blob.MakeStats;
import org.jcasync.catar.CatarEncoder;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.format.FeatureFlags;
import org.jcasync.inspect.Digests;
import org.jcasync.location.Locations;
import org.jcasync.location.OutputLocation;
import org.jcasync.location.StoreStack;
import org.jcasync.pack.Packer;
import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreLock;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.WritableChunkStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

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
        if (kind == null && !Locations.isStdio(output)) {
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
        Path in = Locations.isStdio(input) ? null : Locations.local(input);
        if (in != null) {
            if (!Files.exists(in, LinkOption.NOFOLLOW_LINKS) && !Files.exists(in)) {
                throw new NoSuchFileException(in.toString(), null, "input not found");
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
        StoreStack stores = o.stores();
        WritableChunkStore store = openStore(stores, params, digest);
        IndexMaker maker = new IndexMaker(store).chunkerParams(params).digest(digest).threads(o.threads);
        return written(store, () -> writeOutput(stores, index -> {
            if (in == null) {
                return maker.stream(System.in, flags, index);
            }
            try (BlobSource blob = BlobSource.open(in);
                 Progress p = Progress.start("make", blob.size(), o.noProgress)) {
                return maker.onProgress(p).blob(blob, flags, index);
            }
        }));
    }

    /** Makes the index (and packs it) holding the store's lock as a writer, then reports. */
    private int written(WritableChunkStore store, Make make) throws IOException {
        int status;
        try (StoreLock lock = StoreLock.forWriting(store, "make", Main::message)) {
            status = packed(report(make.run()), store);
        }
        return looseRemoved(status, store);
    }

    /** One make of an index into the store. */
    @FunctionalInterface
    private interface Make {
        MakeStats run() throws IOException;
    }

    /** Writes to stdout for no output or "-", else to the output's location, never half-written. */
    private <T> T writeOutput(StoreStack stores, OutputLocation.Producer<T> producer) throws IOException {
        if (Locations.isStdio(output)) {
            return producer.write(System.out);
        }
        return OutputLocation.write(output, stores, producer);
    }

    /** The store chunks go to: --store, $CASYNC_STORE, or default.castr beside the index. */
    private WritableChunkStore openStore(StoreStack stores, ChunkerParams params, DigestAlgorithm digest)
            throws IOException {
        if (o.verbose) {
            System.err.println("Selected chunk sizes: min=" + params.min() + "..avg=" + params.avg() + "..max="
                    + params.max());
        }
        return stores.openWritable(output, new StoreOptions(digest, params.max(), o.compressionAlgorithm()));
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
        if (!(store instanceof LocalStore local) || Locations.isStdio(output) || StoreRegistry.isRemote(output)) {
            throw new UserException("--packs needs a local store and a local index file");
        }
        return local;
    }

    private List<Packer.IndexFile> indexFiles() throws IOException {
        return List.of(Packer.IndexFile.read(Locations.local(output)));
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
    private int makeArchive(Kind kind, Path dir) throws IOException {
        if (o.cache != null || o.cacheAuto) {
            throw new UserException("--cache for directory archives is not supported yet");
        }
        DigestAlgorithm digest = o.digestAlgorithm();
        CatarEncoder encoder = o.treeEncoder();
        if (kind == Kind.CATAR) {
            if (Locations.isStdio(output)) {
                // casync prints no digest after an archive written to standard output (verified)
                OutputStream stdout = new FileOutputStream(FileDescriptor.out);
                encoder.encode(dir, stdout);
                stdout.flush();
                return 0;
            }
            StoreStack stores = o.stores();
            ChunkId d = writeOutput(stores, catar -> Digests.ofTree(dir, encoder, digest, catar));
            System.out.println(d.toHex());
            System.out.flush();
            return 0;
        }
        ChunkerParams params = o.chunkerParams();
        StoreStack stores = o.stores();
        WritableChunkStore store = openStore(stores, params, digest);
        IndexMaker maker = new IndexMaker(store).chunkerParams(params).digest(digest).threads(o.threads);
        return written(store, () -> writeOutput(stores, index -> maker.tree(dir, encoder, index)));
    }
}
