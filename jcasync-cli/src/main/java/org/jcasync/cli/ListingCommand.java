package org.jcasync.cli;

import org.jcasync.inspect.ArchiveInput;
import org.jcasync.inspect.Listing;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.concurrent.Callable;

/**
 * {@code list}, {@code mtree} and {@code stat} {@code [ARCHIVE|ARCHIVE_INDEX|DIRECTORY] [PATH]}: casync's output
 * for each node ({@link Listing}), read from a streaming decode of the archive.
 */
abstract class ListingCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", arity = "0..1", paramLabel = "INPUT",
            description = "Archive (.catar, - for stdin), archive index (.caidx) or directory (default: .)")
    String input;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH",
            description = "Only this node (stat) or this subtree (list, mtree) of an archive")
    String path;

    /** Which listing the verb prints. */
    abstract Listing.Format format();

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        try (ArchiveInput in = o.openArchive(input, path)) {
            new Listing(format()).features(o.withFlags(), o.withoutFlags()).mtreeLabel(o::digestAlgorithm)
                    .write(in, path, out);
        } finally {
            out.flush();
        }
        return 0;
    }
}
