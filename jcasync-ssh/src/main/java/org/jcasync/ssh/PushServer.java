package org.jcasync.ssh;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.io.AtomicFile;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.Compression;
import org.jcasync.store.WritableChunkStore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.jcasync.ssh.CasyncProtocol.*;

/**
 * The receiving side of {@code casync push} (what {@code casync make} with an ssh store and index talks to): takes
 * the index the client pushes, asks the client for each chunk it names that no store here has, verifies each chunk
 * against its id before adding it to the writable store, installs the index (atomically) once every chunk is in,
 * then says GOODBYE. An archive pushed instead is written to its file.
 */
public final class PushServer {
    private static final int IDS_PER_REQUEST = 4096;

    private final Path archive;
    private final Path index;
    private final WritableChunkStore wstore;
    private final List<ChunkStore> stores;

    /**
     * Receives into {@code archive}, {@code index} and {@code wstore} (each may be null); {@code rstores} are only
     * asked whether they have a chunk already.
     */
    public PushServer(Path archive, Path index, WritableChunkStore wstore, List<ChunkStore> rstores) {
        if (archive == null && index == null && wstore == null && rstores.isEmpty()) {
            throw new IllegalArgumentException("nothing to receive: no archive, index or store given");
        }
        this.archive = archive;
        this.index = index;
        this.wstore = wstore;
        this.stores = new ArrayList<>();
        if (wstore != null) {
            stores.add(wstore);
        }
        stores.addAll(rstores);
    }

    long services() {
        return (wstore != null ? WRITABLE_STORE : 0) | (index != null ? WRITABLE_INDEX : 0)
                | (archive != null ? WRITABLE_ARCHIVE : 0);
    }

    /** Runs the session over {@code in}/{@code out}; returns once everything pushed is stored. */
    public void serve(InputStream in, OutputStream out) throws IOException {
        FrameWriter w = new FrameWriter(out);
        FrameReader r = new FrameReader(in, "client");
        Frame hello = ServerSession.greet(r, w, services());
        if (hello == null) {
            throw new ProtocolException("the client left before saying HELLO");
        }
        long client = ServerSession.checkHello(hello, services(), w);
        ByteArrayOutputStream indexBytes = index != null ? new ByteArrayOutputStream() : null;
        AtomicFile archiveFile = null;
        Index received = null;
        boolean archiveDone = archive == null;
        Set<ChunkId> wanted = new LinkedHashSet<>();
        try {
            while (true) {
                boolean indexDone = index == null || received != null && wanted.isEmpty();
                if (indexDone && archiveDone) {
                    break;
                }
                if (!r.ready()) {
                    w.flush();
                }
                Frame f = r.read();
                if (f == null) {
                    throw new ProtocolException("the client left before everything was pushed");
                }
                long t = f.type();
                if (t == INDEX && indexBytes != null && received == null) {
                    if (indexBytes.size() + (long) f.body().length > Integer.MAX_VALUE - 64) {
                        throw new ProtocolException("index larger than 2 GiB");
                    }
                    indexBytes.write(f.body());
                } else if (t == INDEX_EOF && indexBytes != null && received == null) {
                    received = IndexReader.read(new ByteArrayInputStream(indexBytes.toByteArray()),
                            "the pushed index");
                    if (wstore != null && has(client, PUSH_INDEX_CHUNKS)) {
                        for (int i = 0; i < received.size(); i++) {
                            ChunkId id = received.id(i);
                            if (!wanted.contains(id) && !storedHere(id)) {
                                wanted.add(id);
                            }
                        }
                        List<ChunkId> ids = new ArrayList<>(wanted);
                        for (int i = 0; i < ids.size(); i += IDS_PER_REQUEST) {
                            w.request(ids.subList(i, Math.min(ids.size(), i + IDS_PER_REQUEST)), 0);
                        }
                        w.flush();
                    }
                } else if (t == ARCHIVE && archive != null && !archiveDone) {
                    if (archiveFile == null) {
                        archiveFile = AtomicFile.create(archive);
                    }
                    ByteBuffer bb = ByteBuffer.wrap(f.body());
                    while (bb.hasRemaining()) {
                        archiveFile.channel().write(bb);
                    }
                } else if (t == ARCHIVE_EOF && archive != null && !archiveDone) {
                    if (archiveFile == null) {
                        archiveFile = AtomicFile.create(archive);
                    }
                    archiveFile.commit();
                    archiveDone = true;
                } else if (t == CHUNK && wstore != null) {
                    ChunkId id = f.chunkId();
                    store(id, f.chunkData(), f.compressed(), received);
                    wanted.remove(id);
                } else if (t == MISSING) {
                    throw new ProtocolException("the client does not have chunk " + f.chunkId()
                            + ", which its index references");
                } else if (t == ABORT) {
                    throw new ProtocolException("the client aborted: " + f.describeAbort());
                } else {
                    throw new ProtocolException("unexpected " + typeName(t) + " frame from the client");
                }
            }
            if (received != null) {
                try (AtomicFile af = AtomicFile.create(index)) {
                    ByteBuffer bb = ByteBuffer.wrap(indexBytes.toByteArray());
                    while (bb.hasRemaining()) {
                        af.channel().write(bb);
                    }
                    af.commit();
                }
            }
            w.empty(GOODBYE);
            w.flush();
        } catch (ProtocolException e) {
            ServerSession.abort(w, EBADMSG, e.getMessage());
            throw e;
        } catch (IOException e) {
            ServerSession.abort(w, EIO, e.getMessage());
            throw e;
        } finally {
            if (archiveFile != null) {
                archiveFile.close();
            }
        }
    }

    /** Whether a store here has the chunk; the writable store freshens it (the pushed index will name it). */
    private boolean storedHere(ChunkId id) throws IOException {
        if (wstore != null && wstore.freshen(id)) {
            return true;
        }
        for (ChunkStore s : stores) {
            if (s != wstore && s.has(id)) {
                return true;
            }
        }
        return false;
    }

    /** Verifies a pushed chunk against its id (the index's digest, else either digest) and stores it. */
    private void store(ChunkId id, byte[] sent, boolean compressed, Index idx) throws IOException {
        int max = idx != null ? idx.params().max() : org.jcasync.chunk.ChunkerParams.LIMIT_MAX;
        byte[] data;
        try {
            data = compressed ? Compression.decompress(sent, sent.length, max) : sent;
        } catch (IOException e) {
            throw new ProtocolException("chunk " + id + " sent by the client is corrupt: " + e.getMessage());
        }
        boolean ok = false;
        for (DigestAlgorithm d : idx != null ? List.of(idx.digest()) : List.of(DigestAlgorithm.values())) {
            ok |= d.digest(data, 0, data.length).equals(id);
        }
        if (data.length == 0 || !ok) {
            throw new ProtocolException("chunk " + id + " sent by the client does not match its id");
        }
        if (compressed) {
            wstore.putStored(id, sent);
        } else {
            wstore.put(id, data, 0, data.length);
        }
    }
}
