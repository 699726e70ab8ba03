package org.jcasync.store;

/**
 * What one store did for a run, for transfer reports.
 *
 * @param location where the store is
 * @param chunks chunks it delivered
 * @param bytes bytes read or downloaded from it (as stored, i.e. compressed)
 * @param requests requests made (network stores; file reads for local ones)
 * @param retries requests repeated after a transport error or a retryable reply
 * @param errors requests that failed for good
 * @param role what the store is in the stack the extract read from
 */
public record StoreStats(String location, long chunks, long bytes, long requests, long retries, long errors,
        Role role) {
    /** What a store is to the run: a source of chunks, or a cache in front of the sources. */
    public enum Role {
        /** A store chunks are fetched from (local, remote, packs). */
        STORE,
        /** A local cache ({@code --cache}): what it serves was not downloaded. */
        CACHE
    }

    /** The counters of a plain store ({@link Role#STORE}). */
    public StoreStats(String location, long chunks, long bytes, long requests, long retries, long errors) {
        this(location, chunks, bytes, requests, retries, errors, Role.STORE);
    }

    /** How reports name the store: its location, {@code cache LOCATION} for a cache. */
    public String label() {
        return role == Role.CACHE ? "cache " + location : location;
    }
}
