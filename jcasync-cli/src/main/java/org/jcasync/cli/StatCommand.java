package org.jcasync.cli;

import org.jcasync.inspect.Listing;
import picocli.CommandLine.Command;

/** {@code stat [ARCHIVE|ARCHIVE_INDEX|DIRECTORY] [PATH]}, with casync's output. */
@Command(name = "stat", sortOptions = false, usageHelpWidth = 100,
        description = "Show the metadata of one node (default: the root) of an archive, archive index or directory.")
final class StatCommand extends ListingCommand {
    @Override
    Listing.Format format() {
        return Listing.Format.STAT;
    }
}
