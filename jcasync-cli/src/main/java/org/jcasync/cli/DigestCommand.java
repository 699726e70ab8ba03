package org.jcasync.cli;

import org.jcasync.catar.CatarEntry;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.store.ChunkStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/** {@code digest [BLOB|BLOB_INDEX]}: print the digest casync prints for the same input. */
@Command(name = "digest", sortOptions = false, usageHelpWidth = 100,
        description = {"Print the digest of a directory tree (of the .catar it would make), of a blob (file, "
                + "block device) or of the blob behind a .caibx.",
                "As casync, a .caibx is always digested with SHA-512/256; a file with --digest (default sha512-256)."})
final class DigestCommand implements Callable<Integer> {
    @Mixin
    CasyncOptions o;

    @Parameters(index = "0", arity = "0..1", paramLabel = "INPUT")
    String input;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH",
            description = "In an archive: digest this file's payload or this directory's sub-archive")
    String path;

    @Override
    public Integer call() throws Exception {
        if (o.printedFeatureHelp()) {
            return 0;
        }
        o.validate();
        if (input == null && (o.what == null || o.what.equals("directory"))) {
            input = ".";
        }
        if ("directory".equals(o.what) || o.what == null && input != null && !input.equals("-")
                && !Locations.hasSuffix(input, ".catar") && !Locations.hasSuffix(input, ".caidx")
                && !Locations.hasSuffix(input, ".caibx") && Files.isDirectory(Locations.local(input))) {
            Path dir = Locations.local(input);
            if (!Files.isDirectory(dir)) {
                throw new UserException("Input is not a directory, but attempted to digest it as one. Refusing.");
            }
            System.out.println(digestTree(dir).toHex());
            return 0;
        }
        if (input == null || input.equals("-")) {
            if ("archive".equals(o.what)) {
                System.out.println(digestArchive().toHex());
                return 0;
            }
            if (!"blob".equals(o.what)) {
                throw new UserException("digest of a directory is not supported yet; use --what=blob for stdin");
            }
            System.out.println(digestStream(System.in, o.digestAlgorithm()).toHex());
            return 0;
        }
        boolean isIndex = "blob-index".equals(o.what) || o.what == null && Locations.hasSuffix(input, ".caibx");
        if (isIndex) {
            System.out.println(digestIndex(input).toHex());
            return 0;
        }
        if ("archive".equals(o.what) || "archive-index".equals(o.what) || o.what == null
                && (Locations.hasSuffix(input, ".catar") || Locations.hasSuffix(input, ".caidx"))) {
            System.out.println(digestArchive().toHex());
            return 0;
        }
        Path p = Locations.local(input);
        if (Files.isDirectory(p)) {
            throw new UserException("Input is a directory, but attempted to list as blob. Refusing.");
        }
        try (InputStream in = Files.newInputStream(p)) {
            System.out.println(digestStream(in, o.digestAlgorithm()).toHex());
        }
        return 0;
    }

    /**
     * The digest of a .catar/.caidx's archive stream with the archive's own digest (casync ignores --digest here),
     * decoded and validated on the way; with PATH, of that file's payload or that directory's sub-archive.
     */
    private ChunkId digestArchive() throws java.io.IOException {
        try (ArchiveWalk w = ArchiveWalk.open(o, input, path)) {
            org.jcasync.catar.CatarDecoder d = w.decoder;
            byte[] seek = ArchiveWalk.normalizeSeekPath(path);
            if (seek == null) {
                java.io.ByteArrayOutputStream early = new java.io.ByteArrayOutputStream();
                org.jcasync.chunk.Hasher[] h = {null};
                d.tap((b, off, len) -> {
                    if (h[0] != null) {
                        h[0].update(b, off, len);
                    } else {
                        early.write(b, off, len);
                    }
                });
                if (d.next() == null) {
                    throw new UserException("empty archive");
                }
                h[0] = DigestAlgorithm.fromFeatureFlags(d.featureFlags()).newHasher();
                h[0].update(early.toByteArray(), 0, early.size());
                while (d.next() != null) {
                    // decode (and validate) to the end of the root
                }
                return ChunkId.of(h[0].digest());
            }
            org.jcasync.catar.CatarDecoder.Event e;
            while ((e = d.next()) != null) {
                CatarEntry n = e.entry();
                if (e.kind() != org.jcasync.catar.CatarDecoder.Kind.ENTRY || !java.util.Arrays.equals(n.path(), seek)) {
                    continue;
                }
                if (!n.isRegularFile() && !n.isDirectory()) {
                    throw new UserException("Path " + path + " does not refer to a file or directory: "
                            + "No such file or directory");
                }
                org.jcasync.chunk.Hasher h = DigestAlgorithm.fromFeatureFlags(d.featureFlags()).newHasher();
                if (n.isDirectory()) {
                    byte[] meta = n.metadata();
                    h.update(meta, 0, meta.length);
                }
                d.tap(h::update);
                while ((e = d.next()) != null && !(e.kind() == org.jcasync.catar.CatarDecoder.Kind.DONE
                        && e.entry() == n)) {
                    // consume the payload or the subtree
                }
                return ChunkId.of(h.digest());
            }
            throw ArchiveWalk.notFound();
        }
    }

    /** The digest of the catar stream {@code make X.catar DIR} would write (with --digest, as casync). */
    private ChunkId digestTree(Path dir) throws java.io.IOException {
        DigestAlgorithm digest = o.digestAlgorithm();
        long flags = org.jcasync.format.FeatureFlags.forMake(o.withFlags(), o.withoutFlags(),
                org.jcasync.format.FeatureFlags.WITH_MASK, o.excludeNodump, o.excludeSubmounts, o.excludeFile,
                digest == DigestAlgorithm.SHA512_256);
        org.jcasync.io.HashingOutputStream hos = new org.jcasync.io.HashingOutputStream(null, digest.newHasher());
        long[] uid = o.uidMapping();
        new org.jcasync.catar.CatarEncoder(flags).uidMapping(uid[0], uid[1]).encode(dir, hos);
        return ChunkId.of(hos.digest());
    }

    private static ChunkId digestStream(InputStream in, DigestAlgorithm alg) throws java.io.IOException {
        org.jcasync.chunk.Hasher md = alg.newHasher();
        byte[] buf = new byte[1 << 20];
        int n;
        while ((n = in.read(buf)) > 0) {
            md.update(buf, 0, n);
        }
        return ChunkId.of(md.digest());
    }

    /** casync digests the blob behind any .caibx with SHA-512/256, whatever digest named its chunks. */
    private ChunkId digestIndex(String loc) throws Exception {
        Stores.IndexInput in = Stores.readIndex(o, loc);
        Index index = in.index();
        org.jcasync.chunk.Hasher md = DigestAlgorithm.SHA512_256.newHasher();
        ExecutorService pool = Pools.workers(o.threads);
        try (ChunkStore store = Stores.forReading(o, in)) {
            java.util.ArrayDeque<Future<byte[]>> window = new java.util.ArrayDeque<>();
            int next = 0;
            for (int i = 0; i < index.size(); i++) {
                while (next < index.size() && next - i < 8 * o.threads) {
                    ChunkId id = index.id(next++);
                    window.add(pool.submit(() -> store.get(id)));
                }
                byte[] d;
                try {
                    d = window.poll().get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception x ? x : new RuntimeException(e.getCause());
                }
                md.update(d, 0, d.length);
            }
        } finally {
            pool.shutdownNow();
        }
        return ChunkId.of(md.digest());
    }
}
