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
 */
public record StoreStats(String location, long chunks, long bytes, long requests, long retries, long errors) {
}
