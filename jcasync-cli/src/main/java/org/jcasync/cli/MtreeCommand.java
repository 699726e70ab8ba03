package org.jcasync.cli;

import org.jcasync.inspect.Listing;
import picocli.CommandLine.Command;

/** {@code mtree [ARCHIVE|ARCHIVE_INDEX|DIRECTORY] [PATH]}, with casync's output. */
@Command(name = "mtree", sortOptions = false, usageHelpWidth = 100,
        description = "Print the nodes of an archive, archive index or directory as BSD mtree lines.")
final class MtreeCommand extends ListingCommand {
    @Override
    Listing.Format format() {
        return Listing.Format.MTREE;
    }
}
