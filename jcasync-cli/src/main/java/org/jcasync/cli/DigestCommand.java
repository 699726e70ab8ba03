package org.jcasync.cli;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
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
        if (o.what == null && (Locations.hasSuffix(input, ".catar") || Locations.hasSuffix(input, ".caidx"))) {
            throw new UserException("digest of directory archives is not supported yet: " + input);
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

    /** The digest of the catar stream {@code make X.catar DIR} would write (with --digest, as casync). */
    private ChunkId digestTree(Path dir) throws java.io.IOException {
        if (o.uidShift != null || o.uidRange != null) {
            throw new UserException("--uid-shift/--uid-range for directory archives are not supported yet");
        }
        DigestAlgorithm digest = o.digestAlgorithm();
        long flags = org.jcasync.format.FeatureFlags.forMake(o.withFlags(), o.withoutFlags(),
                org.jcasync.format.FeatureFlags.WITH_MASK, o.excludeNodump, o.excludeSubmounts, o.excludeFile,
                digest == DigestAlgorithm.SHA512_256);
        org.jcasync.io.HashingOutputStream hos = new org.jcasync.io.HashingOutputStream(null, digest.newHasher());
        new org.jcasync.catar.CatarEncoder(flags).encode(dir, hos);
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
        Index index = IndexReader.read(Locations.local(loc));
        org.jcasync.chunk.Hasher md = DigestAlgorithm.SHA512_256.newHasher();
        ExecutorService pool = Pools.workers(o.threads);
        try (ChunkStore store = Stores.forReading(o, loc, index)) {
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
