package org.jcasync.cli;

import org.jcasync.location.StoreStack;
import org.jcasync.ssh.PushServer;
import org.jcasync.store.StoreLock;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.WritableChunkStore;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** {@code push - ARCHIVE INDEX WSTORE [RSTORE...]}: casync's remote side receiving an index and its chunks. */
@Command(name = "push", sortOptions = false, usageHelpWidth = 100,
        description = {"Receive an index and the chunks it names, or an archive, over stdin/stdout (casync's protocol).",
                "Only chunks the stores lack are sent. This is what 'casync make' with an ssh store and index runs",
                "on the far side (CASYNC_REMOTE_PATH). Arguments as casync's; - for none."})
final class PushCommand extends CasyncRemoteCommand {
    @Override
    String verb() {
        return "push";
    }

    @Override
    void serve(InputStream in, OutputStream out) throws IOException {
        if (path(archive) == null && path(index) == null && given(wstore) == null && rstores.isEmpty()) {
            throw new UserException("push: nothing to do (no archive, index or store given)");
        }
        WritableChunkStore w = given(wstore) == null ? null
                : StoreStack.builder().transport(o.transport()).store(wstore).openWritable(null, new StoreOptions(
                        StoreOptions.DEFAULT.digest(), StoreOptions.DEFAULT.maxChunkSize(), o.compressionAlgorithm()));
        var others = openStores(false);
        try (StoreLock lock = w == null ? null : StoreLock.forWriting(w, "push", Main::message)) {
            new PushServer(path(archive), path(index), w, others).serve(in, out);
        } finally {
            if (w != null) {
                w.close();
            }
            for (var s : others) {
                s.close();
            }
        }
    }
}
