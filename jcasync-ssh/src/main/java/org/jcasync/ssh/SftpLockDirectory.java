package org.jcasync.ssh;

import org.jcasync.store.LockDirectory;
import org.jcasync.store.TransferWatch;
import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The lock directory of an SFTP store ({@code ROOT/locks/}). A lock file is written to a temporary name and renamed
 * with plain RENAME, which never replaces (so creating is exclusive), and refreshed with posix-rename; its time is the
 * server's.
 */
final class SftpLockDirectory implements LockDirectory {
    private final String root;
    private final String dir;
    private final String location;
    private final SftpSessions sessions;
    private final TransportOptions transport;

    SftpLockDirectory(String root, String storeLocation, SftpSessions sessions, TransportOptions transport) {
        this.root = root;
        this.dir = root + "/" + NAME;
        this.location = storeLocation + "/" + NAME;
        this.sessions = sessions;
        this.transport = transport;
    }

    private String path(String name) {
        return dir + "/" + name;
    }

    @Override
    public boolean create(String name, byte[] content) throws IOException {
        try {
            try {
                return write(name, content, false);
            } catch (NoSuchFileException e) {
                try {
                    sessions.call(c -> c.mkdir(dir));
                } catch (NoSuchFileException e2) {
                    throw new NoSuchFileException(location, null, "store directory not found");
                }
                return write(name, content, false);
            }
        } catch (SftpException e) {
            if (e.status() == SftpException.PERMISSION_DENIED) {
                throw new AccessDeniedException(location, null, e.getMessage());
            }
            throw e;
        }
    }

    @Override
    public void createStore() throws IOException {
        sessions.call(c -> c.mkdir(root));
    }

    private boolean write(String name, byte[] content, boolean replace) throws IOException {
        String p = path(name);
        return sessions.call(c -> c.writeAtomic(p, SftpClient.tempName(p), content, replace, 0644));
    }

    @Override
    public List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        try {
            for (SftpClient.Entry e : sessions.call(c -> c.listWithTimes(dir))) {
                if (e.name().endsWith(".lock")) {
                    out.add(new Entry(e.name(), e.modified() != null ? e.modified() : Instant.EPOCH));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return out;
    }

    @Override
    public byte[] read(String name, int max) throws IOException {
        try {
            return sessions.call(c -> c.read(path(name), max, TransferWatch.of(transport)));
        } catch (NoSuchFileException e) {
            return null;
        } catch (SftpException e) {
            return new byte[0]; // too long or unreadable: not a lock file whose holder can be known
        }
    }

    @Override
    public void rewrite(String name, byte[] content) throws IOException {
        write(name, content, true);
    }

    @Override
    public Instant modified(String name) throws IOException {
        return sessions.call(c -> c.modified(path(name)));
    }

    @Override
    public void delete(String name) throws IOException {
        try {
            sessions.call(c -> {
                c.remove(path(name));
                return null;
            });
        } catch (NoSuchFileException e) {
            // gone already
        }
    }

    @Override
    public String location() {
        return location;
    }
}
