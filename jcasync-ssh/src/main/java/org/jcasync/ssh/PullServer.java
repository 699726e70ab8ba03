package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.ChunkMissingException;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.jcasync.ssh.CasyncProtocol.*;

/**
 * The serving side of {@code casync pull}: offers an index file, an archive file and chunks from stores to the
 * client at the other end of the stream (normally ssh's), answering REQUESTs with CHUNK (as stored, compressed) or
 * MISSING until the client says GOODBYE or leaves.
 */
public final class PullServer {
    private static final int FILE_FRAME = 64 * 1024;

    private final Path archive;
    private final Path index;
    private final List<ChunkStore> stores;

    /**
     * Serves {@code archive} and {@code index} (each may be null) and the chunks of {@code stores} (may be empty).
     */
    public PullServer(Path archive, Path index, List<ChunkStore> stores) {
        if (archive == null && index == null && stores.isEmpty()) {
            throw new IllegalArgumentException("nothing to serve: no archive, index or store given");
        }
        this.archive = archive;
        this.index = index;
        this.stores = stores;
    }

    /** The feature flags this server offers. */
    long services() {
        return (stores.isEmpty() ? 0 : READABLE_STORE) | (index != null ? READABLE_INDEX : 0)
                | (archive != null ? READABLE_ARCHIVE : 0);
    }

    /** Runs the session over {@code in}/{@code out} until the client is done. */
    public void serve(InputStream in, OutputStream out) throws IOException {
        FrameWriter w = new FrameWriter(out);
        FrameReader r = new FrameReader(in, "client");
        Frame hello = ServerSession.greet(r, w, services());
        if (hello == null) {
            return;
        }
        long client = ServerSession.checkHello(hello, services(), w);
        try {
            if (has(client, PULL_INDEX)) {
                sendFile(w, index, INDEX, INDEX_EOF);
            }
            if (has(client, PULL_ARCHIVE)) {
                sendFile(w, archive, ARCHIVE, ARCHIVE_EOF);
            }
            while (true) {
                if (!r.ready()) {
                    w.flush();
                }
                Frame f = r.read();
                if (f == null || f.type() == GOODBYE) {
                    w.flush();
                    return;
                }
                if (f.type() == ABORT) {
                    throw new ProtocolException("the client aborted: " + f.describeAbort());
                }
                if (f.type() != REQUEST || !has(client, PULL_CHUNKS)) {
                    throw new ProtocolException("unexpected " + typeName(f.type()) + " frame from the client");
                }
                for (ChunkId id : f.requestedIds()) {
                    byte[] stored = find(id);
                    if (stored == null) {
                        w.missing(id);
                    } else {
                        w.chunk(id, stored, Compression.detect(stored, stored.length) != null);
                    }
                }
            }
        } catch (ProtocolException e) {
            ServerSession.abort(w, EBADMSG, e.getMessage());
            throw e;
        } catch (IOException e) {
            ServerSession.abort(w, EIO, e.getMessage());
            throw e;
        }
    }

    private byte[] find(ChunkId id) throws IOException {
        for (ChunkStore s : stores) {
            try {
                return s.getStored(id);
            } catch (ChunkMissingException e) {
                // Try the next store.
            }
        }
        return null;
    }

    private static void sendFile(FrameWriter w, Path file, long type, long eofType) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[FILE_FRAME];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                w.file(type, buf, 0, n);
            }
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "No such file or directory");
        }
        w.empty(eofType);
        w.flush();
    }
}
