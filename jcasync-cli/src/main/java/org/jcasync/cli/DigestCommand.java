package org.jcasync.cli;

import org.jcasync.chunk.ChunkId;
import org.jcasync.inspect.ArchiveInput;
import org.jcasync.inspect.Digests;
import org.jcasync.location.Locations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code digest [BLOB|BLOB_INDEX]}: print the digest casync prints for the same input. */
@Command(name = "digest", sortOptions = false, usageHelpWidth = 100,
        description = {"Print the digest of a directory tree (of the .catar it would make), of a blob (file, "
                + "block device) or of the blob behind a .caibx.",
                "As casync, a .caibx is always digested with SHA-512/256; a file with --digest (default sha512-256)."})
final class DigestCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", arity = "0..1", paramLabel = "INPUT")
    String input;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH",
            description = "In an archive: digest this file's payload or this directory's sub-archive")
    String path;

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        if (input == null && (o.what == null || o.what.equals("directory"))) {
            input = ".";
        }
        if ("directory".equals(o.what) || o.what == null && !Locations.isStdio(input)
                && !Locations.hasSuffix(input, ".catar") && !Locations.hasSuffix(input, ".caidx")
                && !Locations.hasSuffix(input, ".caibx") && Files.isDirectory(Locations.local(input))) {
            Path dir = Locations.local(input);
            if (!Files.isDirectory(dir)) {
                throw new UserException("Input is not a directory, but attempted to digest it as one. Refusing.");
            }
            // The digest of the catar stream make X.catar DIR would write (with --digest, as casync).
            System.out.println(Digests.ofTree(dir, o.treeEncoder(), o.digestAlgorithm(), null).toHex());
            return 0;
        }
        if (Locations.isStdio(input)) {
            if ("archive".equals(o.what)) {
                System.out.println(digestArchive().toHex());
                return 0;
            }
            if (!"blob".equals(o.what)) {
                throw new UserException("digest of a directory is not supported yet; use --what=blob for stdin");
            }
            System.out.println(Digests.ofStream(System.in, o.digestAlgorithm()).toHex());
            return 0;
        }
        boolean isIndex = "blob-index".equals(o.what) || o.what == null && Locations.hasSuffix(input, ".caibx");
        if (isIndex) {
            System.out.println(Digests.ofIndex(input, o.stores(), o.threads).toHex());
            return 0;
        }
        if ("archive".equals(o.what) || "archive-index".equals(o.what) || o.what == null
                && (Locations.hasSuffix(input, ".catar") || Locations.hasSuffix(input, ".caidx"))) {
            System.out.println(digestArchive().toHex());
            return 0;
        }
        Path p = Locations.local(input);
        if (Files.isDirectory(p)) {
            throw new UserException("Input is a directory, but attempted to list as blob. Refusing.");
        }
        try (InputStream in = Files.newInputStream(p)) {
            System.out.println(Digests.ofStream(in, o.digestAlgorithm()).toHex());
        }
        return 0;
    }

    /** The digest of a .catar/.caidx's archive stream, or with PATH of that file's payload or sub-archive. */
    private ChunkId digestArchive() throws IOException {
        try (ArchiveInput in = o.openArchive(input, path)) {
            return Digests.ofArchive(in, path);
        }
    }
}
