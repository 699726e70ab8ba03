package org.jcasync.cli;

import org.jcasync.inspect.Listing;
import picocli.CommandLine.Command;

/** {@code list [ARCHIVE|ARCHIVE_INDEX|DIRECTORY] [PATH]}, with casync's output. */
@Command(name = "list", sortOptions = false, usageHelpWidth = 100,
        description = "List the nodes of an archive, archive index or directory as 'MODE PATH' lines.")
final class ListCommand extends ListingCommand {
    @Override
    Listing.Format format() {
        return Listing.Format.LIST;
    }
}
