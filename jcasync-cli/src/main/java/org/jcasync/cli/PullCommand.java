package org.jcasync.cli;

import org.jcasync.ssh.PullServer;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** {@code pull - ARCHIVE INDEX WSTORE [RSTORE...]}: casync's remote side serving chunks, an index or an archive. */
@Command(name = "pull", sortOptions = false, usageHelpWidth = 100,
        description = {"Serve an index, an archive and chunks over stdin/stdout with casync's remote protocol.",
                "This is what 'casync extract' and jcasync's ssh:// stores run on the far side of ssh",
                "(CASYNC_REMOTE_PATH). Arguments as casync's; - for none."})
final class PullCommand extends CasyncRemoteCommand {
    @Override
    String verb() {
        return "pull";
    }

    @Override
    void serve(InputStream in, OutputStream out) throws IOException {
        if (path(archive) == null && path(index) == null && given(wstore) == null && rstores.isEmpty()) {
            throw new UserException("pull: nothing to do (no archive, index or store given)");
        }
        var stores = openStores(true);
        try {
            new PullServer(path(archive), path(index), stores).serve(in, out);
        } finally {
            for (var s : stores) {
                s.close();
            }
        }
    }
}
