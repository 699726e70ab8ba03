package org.jcasync.inspect;

import org.jcasync.catar.ArchivePath;
import org.jcasync.catar.CatarDecoder;
import org.jcasync.catar.CatarEncoder;
import org.jcasync.catar.CatarEntry;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.Hasher;
import org.jcasync.index.Index;
import org.jcasync.io.Futures;
import org.jcasync.io.HashingOutputStream;
import org.jcasync.io.Pools;
import org.jcasync.location.IndexInput;
import org.jcasync.location.StoreStack;
import org.jcasync.store.ChunkStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The digests {@code casync digest} and {@code casync make} print: of a blob, of the blob behind a {@code .caibx},
 * of the catar stream of a directory, and of an archive (or one file or sub-tree in it).
 *
 * <pre>{@code
 * ChunkId blob = Digests.ofStream(Files.newInputStream(Path.of("v2.img")), DigestAlgorithm.SHA512_256);
 * ChunkId tree = Digests.ofTree(Path.of("dir"), new CatarEncoder(flags), DigestAlgorithm.SHA512_256, null);
 * }</pre>
 */
public final class Digests {
    private Digests() {
    }

    /** The digest of everything {@code in} gives. */
    public static ChunkId ofStream(InputStream in, DigestAlgorithm alg) throws IOException {
        Hasher md = alg.newHasher();
        byte[] buf = new byte[1 << 20];
        int n;
        while ((n = in.read(buf)) > 0) {
            md.update(buf, 0, n);
        }
        return ChunkId.of(md.digest());
    }

    /**
     * The digest of the blob the index at {@code locator} describes, its chunks read through {@code stores}, a
     * window of {@code 8 * threads} chunks fetched ahead. As casync, always SHA-512/256, whatever digest names the
     * chunks.
     */
    public static ChunkId ofIndex(String locator, StoreStack stores, int threads) throws IOException {
        IndexInput in = stores.readIndex(locator);
        Index index = in.index();
        Hasher md = DigestAlgorithm.SHA512_256.newHasher();
        ExecutorService pool = Pools.workers(threads);
        try (ChunkStore store = stores.openFor(in)) {
            ArrayDeque<Future<byte[]>> window = new ArrayDeque<>();
            int next = 0;
            for (int i = 0; i < index.size(); i++) {
                while (next < index.size() && next - i < 8 * threads) {
                    ChunkId id = index.id(next++);
                    window.add(pool.submit(() -> store.get(id)));
                }
                byte[] d = Futures.await(window.poll());
                md.update(d, 0, d.length);
            }
        } finally {
            pool.shutdownNow();
        }
        return ChunkId.of(md.digest());
    }

    /**
     * The digest of the catar stream {@code encoder} makes of {@code dir}, as {@code casync make X.catar DIR} prints
     * it; the stream is also written to {@code out} unless it is null.
     */
    public static ChunkId ofTree(Path dir, CatarEncoder encoder, DigestAlgorithm alg, OutputStream out)
            throws IOException {
        HashingOutputStream hos = new HashingOutputStream(out, alg.newHasher());
        encoder.encode(dir, hos);
        return ChunkId.of(hos.digest());
    }

    /**
     * The digest of an archive's stream with the archive's own digest (casync ignores {@code --digest} here),
     * decoded and validated on the way; with {@code path}, of that file's payload or that directory's sub-archive.
     *
     * @throws IllegalArgumentException for an empty archive, or a path that is not a file or directory in it
     */
    public static ChunkId ofArchive(ArchiveInput in, String path) throws IOException {
        CatarDecoder d = in.decoder();
        byte[] seek = ArchivePath.normalize(path);
        if (seek == null) {
            ByteArrayOutputStream early = new ByteArrayOutputStream();
            Hasher[] h = {null};
            d.tap((b, off, len) -> {
                if (h[0] != null) {
                    h[0].update(b, off, len);
                } else {
                    early.write(b, off, len);
                }
            });
            if (d.next() == null) {
                throw new IllegalArgumentException("empty archive");
            }
            h[0] = DigestAlgorithm.fromFeatureFlags(d.featureFlags()).newHasher();
            h[0].update(early.toByteArray(), 0, early.size());
            while (d.next() != null) {
                // decode (and validate) to the end of the root
            }
            return ChunkId.of(h[0].digest());
        }
        CatarDecoder.Event e;
        while ((e = d.next()) != null) {
            CatarEntry n = e.entry();
            if (e.kind() != CatarDecoder.Kind.ENTRY || !Arrays.equals(n.path(), seek)) {
                continue;
            }
            if (!n.isRegularFile() && !n.isDirectory()) {
                throw new IllegalArgumentException("Path " + path + " does not refer to a file or directory: "
                        + "No such file or directory");
            }
            Hasher h = DigestAlgorithm.fromFeatureFlags(d.featureFlags()).newHasher();
            if (n.isDirectory()) {
                byte[] meta = n.metadata();
                h.update(meta, 0, meta.length);
            }
            d.tap(h::update);
            while ((e = d.next()) != null && !(e.kind() == CatarDecoder.Kind.DONE && e.entry() == n)) {
                // consume the payload or the subtree
            }
            return ChunkId.of(h.digest());
        }
        throw Listing.notFound();
    }
}
