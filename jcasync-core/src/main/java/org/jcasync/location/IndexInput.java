package org.jcasync.location;

import org.jcasync.index.Index;
import org.jcasync.index.IndexReader;
import org.jcasync.pack.ChunkMap;
import org.jcasync.store.StoreRegistry;
import org.jcasync.store.TransportOptions;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * An index file as read from its location: where from (null for standard input), its bytes, and what they say;
 * for a remote index, the download of its chunk map ({@code INDEX.camap}), started together with the index's so
 * that a map costs no extra round trip (null otherwise).
 *
 * @param locator the location read, or null for standard input
 * @param bytes the index file
 * @param index what it says (validated)
 * @param remoteMap the chunk map's download, or null
 */
public record IndexInput(String locator, byte[] bytes, Index index, CompletableFuture<byte[]> remoteMap) {
    /**
     * Reads the index at {@code locator}: standard input for "-", a local path, or a URL of any scheme
     * {@code registry} knows; a remote index's chunk map is fetched at the same time unless {@code withMap} is false.
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
                    m.complete(registry.readFile(mapLocation, transport));
                } catch (IOException | RuntimeException e) {
                    m.completeExceptionally(e);
                }
            });
        }
        byte[] b;
        if (locator.equals("-")) {
            b = System.in.readAllBytes();
        } else if (!StoreRegistry.isRemote(locator)) {
            Path p = Locations.local(locator);
            try {
                b = Files.readAllBytes(p);
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(p.toString(), null, "no such index file");
            }
        } else {
            b = registry.readFile(locator, transport);
        }
        String name = locator.equals("-") ? "stdin" : locator;
        return new IndexInput(locator.equals("-") ? null : locator, b,
                IndexReader.read(new ByteArrayInputStream(b), name), map);
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
