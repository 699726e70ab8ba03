package org.jcasync.location;

import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.io.HashingInputStream;
import org.jcasync.io.StreamParser;
import org.jcasync.pack.ChunkMap;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * An index file as read from its location: where from (null for standard input), the SHA-512/256 of the file (what
 * its chunk map is checked against), and what it says; for a remote index, the download of its chunk map
 * ({@code INDEX.camap}), started together with the index's so that a map costs no extra round trip (null otherwise).
 *
 * @param locator the location read, or null for standard input
 * @param fileDigest the SHA-512/256 of the index file
 * @param index what it says (validated)
 * @param remoteMap the chunk map's download, or null
 */
public record IndexInput(String locator, byte[] fileDigest, Index index, CompletableFuture<byte[]> remoteMap) {
    /**
     * Reads the index at {@code locator}: standard input for "-", a local path, or a URL of any scheme
     * {@code registry} knows; a remote index's chunk map is fetched at the same time unless {@code withMap} is false.
     * The index is parsed as it arrives (and digested, for its chunk map), so a server cannot make it take more
     * memory than the index it sends, and a reply that goes on past the index's tail is refused at its first extra
     * byte.
     */
    public static IndexInput read(String locator, StoreRegistry registry, TransportOptions transport, boolean withMap)
            throws IOException {
        CompletableFuture<byte[]> map = null;
        if (!locator.equals("-") && StoreRegistry.isRemote(locator) && withMap) {
            String mapLocation = locator + ChunkMap.SUFFIX;
            CompletableFuture<byte[]> m = new CompletableFuture<>();
            map = m;
            Thread.ofVirtual().start(() -> {
                try {
                    m.complete(readRemoteMap(registry, transport, mapLocation));
                } catch (IOException | RuntimeException e) {
                    m.completeExceptionally(e);
                }
            });
        }
        String name = locator.equals("-") ? "stdin" : locator;
        StreamParser<IndexInput> parser = raw -> {
            HashingInputStream in = new HashingInputStream(raw, DigestAlgorithm.SHA512_256.newHasher());
            Index index = IndexReader.read(in, name);
            return new IndexInput(locator.equals("-") ? null : locator, in.digest(), index, null);
        };
        IndexInput read;
        if (locator.equals("-")) {
            read = parser.parse(System.in);
        } else if (!StoreRegistry.isRemote(locator)) {
            Path p = Locations.local(locator);
            try (InputStream f = Files.newInputStream(p)) {
                read = parser.parse(f);
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(p.toString(), null, "no such index file");
            }
        } else {
            read = registry.readFile(locator, transport, parser);
        }
        return new IndexInput(read.locator(), read.fileDigest(), read.index(), map);
    }

    /** The chunk map at a remote {@code mapLocation}, read no further than its header allows. */
    static byte[] readRemoteMap(StoreRegistry registry, TransportOptions transport, String mapLocation)
            throws IOException {
        return registry.readFile(mapLocation, transport, f -> ChunkMap.read(f, IndexReader.maxChunks(), mapLocation));
    }

    /** The downloaded chunk map's bytes (waits for the download started with the index). */
    byte[] awaitRemoteMap() throws IOException {
        try {
            return remoteMap.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }
}
