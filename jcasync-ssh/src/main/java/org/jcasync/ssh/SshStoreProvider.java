package org.jcasync.ssh;

import org.jcasync.io.StreamParser;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreProvider;
import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Set;

/**
 * {@code ssh://[user@]host[:port]/path}: stores and index files served by casync's remote protocol, i.e.
 * {@code casync pull} (or {@code jcasync pull}) run on the host through ssh. casync's own {@code host:path} form
 * is not a URL and is read as a local path here; write it as {@code ssh://host/~/path} ({@code /~/} for a path
 * relative to the home directory). Read-only: casync's push side only takes chunks that an index pushed in the
 * same session names, so stores are written through {@code sftp://}.
 */
public final class SshStoreProvider implements StoreProvider {
    private final SshCommand commands;

    /** A provider using the process environment ({@code CASYNC_SSH_PATH}, {@code CASYNC_REMOTE_PATH}). */
    public SshStoreProvider() {
        this(SshCommand.fromEnvironment());
    }

    /** A provider building its commands with {@code commands}. */
    public SshStoreProvider(SshCommand commands) {
        this.commands = commands;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("ssh");
    }

    @Override
    public ChunkStore open(URI location, StoreOptions options, TransportOptions transport) throws IOException {
        SshTarget t = SshTarget.parse(location);
        return new CasyncRemoteStore(location.toString(), () -> commands.casync(t,
                transport.rateLimitBytesPerSecond(), "pull", null, null, t.path(), List.of()), options, transport);
    }

    @Override
    public <T> T readFile(URI location, TransportOptions transport, StreamParser<T> parser) throws IOException {
        SshTarget t = SshTarget.parse(location);
        return RemoteFilePull.index(() -> commands.casync(t, transport.rateLimitBytesPerSecond(), "pull", null,
                t.path(), null, List.of()), location.toString(), transport, parser);
    }
}
