package org.jcasync.ssh;

import org.jcasync.io.StreamParser;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreProvider;
import org.jcasync.store.TransferWatch;
import org.jcasync.store.TransportOptions;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * {@code sftp://[user@]host[:port]/path}: stores (read, write, garbage collection) and index files on an SFTP
 * server, reached through {@code ssh -s HOST sftp} ({@code $CASYNC_SSH_PATH} for another ssh program), so keys,
 * agents and known_hosts are ssh's own.
 */
public final class SftpStoreProvider implements StoreProvider {
    private final SshCommand commands;

    /** A provider using the process environment. */
    public SftpStoreProvider() {
        this(SshCommand.fromEnvironment());
    }

    /** A provider building its commands with {@code commands}. */
    public SftpStoreProvider(SshCommand commands) {
        this.commands = commands;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("sftp");
    }

    @Override
    public ChunkStore open(URI location, StoreOptions options, TransportOptions transport) {
        return openWritable(location, options, transport);
    }

    @Override
    public WritableChunkStore openWritable(URI location, StoreOptions options, TransportOptions transport) {
        SshTarget t = SshTarget.parse(location);
        return new SftpStore(location.toString(), t.path(), sessions(t, location, transport), options, transport);
    }

    private SftpSessions sessions(SshTarget t, URI location, TransportOptions transport) {
        return new SftpSessions(() -> commands.sftp(t), location.toString(), transport);
    }

    @Override
    public <T> T readFile(URI location, TransportOptions transport, StreamParser<T> parser) throws IOException {
        SshTarget t = SshTarget.parse(location);
        try (SftpSessions s = sessions(t, location, transport)) {
            return s.call(c -> c.read(t.path(), TransferWatch.of(transport), parser));
        }
    }

    @Override
    public void writeFile(URI location, byte[] content, TransportOptions transport) throws IOException {
        SshTarget t = SshTarget.parse(location);
        try (SftpSessions s = sessions(t, location, transport)) {
            s.call(c -> c.writeAtomic(t.path(), SftpClient.tempName(t.path()), content, true, 0644));
        }
    }
}
