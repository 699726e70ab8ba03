package org.jcasync.store;

import org.jcasync.io.ByteSizes;

import java.util.List;
import java.util.Locale;

/**
 * What an extract took from its stores: per store chunks, bytes, requests, retries and errors, the totals, the
 * effective rate, and how much was saved versus downloading every chunk.
 *
 * @param stores each store's counters (a cache is listed as {@code cache PATH}, see {@link StoreStats#label})
 * @param totalBytes uncompressed size of what was extracted
 * @param fetchedBytes uncompressed bytes of the chunks the stores (not the cache) delivered
 * @param seconds wall time of the extract
 */
public record TransferReport(List<StoreStats> stores, long totalBytes, long fetchedBytes, double seconds) {
    public TransferReport {
        stores = List.copyOf(stores);
    }

    private static boolean isCache(StoreStats s) {
        return s.role() == StoreStats.Role.CACHE;
    }

    /** Requests made to stores other than the cache. */
    public long requests() {
        return stores.stream().filter(s -> !isCache(s)).mapToLong(StoreStats::requests).sum();
    }

    /** Bytes (as stored, compressed) read from stores other than the cache. */
    public long bytesDownloaded() {
        return stores.stream().filter(s -> !isCache(s)).mapToLong(StoreStats::bytes).sum();
    }

    /** Requests repeated after errors. */
    public long retries() {
        return stores.stream().mapToLong(StoreStats::retries).sum();
    }

    /** Bytes downloaded per second of wall time. */
    public double bytesPerSecond() {
        return seconds <= 0 ? 0 : bytesDownloaded() / seconds;
    }

    /**
     * Share of a full download that was not downloaded. A full download is estimated as every byte of the output
     * compressed at the ratio the downloaded chunks had (or uncompressed when nothing was downloaded).
     */
    public double savedPercent() {
        if (totalBytes == 0) {
            return 100;
        }
        double ratio = fetchedBytes > 0 ? (double) bytesDownloaded() / fetchedBytes : 1;
        double full = totalBytes * ratio;
        return full <= 0 ? 100 : Math.max(0, 100.0 * (1 - bytesDownloaded() / full));
    }

    /** One human-readable line: each store that did anything, then the totals. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        for (StoreStats s : stores) {
            if (s.chunks() == 0 && s.requests() == 0 && s.errors() == 0) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "%s: %d chunks, %s in %d requests%s%s; ", s.label(), s.chunks(),
                    ByteSizes.format(s.bytes()), s.requests(), s.retries() > 0 ? ", " + s.retries() + " retries" : "",
                    s.errors() > 0 ? ", " + s.errors() + " failed" : ""));
        }
        b.append(String.format(Locale.ROOT, "%s downloaded in %d requests (%s/s), %.1f%% saved versus a full "
                + "download, %.2f s", ByteSizes.format(bytesDownloaded()), requests(), ByteSizes.format((long) bytesPerSecond()),
                savedPercent(), seconds));
        return b.toString();
    }

    /** The report as JSON members (no braces), to be added to an extract's JSON object. */
    public String jsonMembers() {
        StringBuilder b = new StringBuilder("\"stores\":[");
        for (int i = 0; i < stores.size(); i++) {
            StoreStats s = stores.get(i);
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"location\":%s,\"chunks\":%d,\"bytes\":%d,\"requests\":%d,\"retries\":%d,\"errors\":%d}",
                    quote(s.label()), s.chunks(), s.bytes(), s.requests(), s.retries(), s.errors()));
        }
        b.append(String.format(Locale.ROOT, "],\"requests\":%d,\"bytes-downloaded\":%d,\"retries\":%d,"
                        + "\"bytes-per-second\":%.0f,\"saved-versus-full-download-percent\":%.2f,\"wall-seconds\":%.3f",
                requests(), bytesDownloaded(), retries(), bytesPerSecond(), savedPercent(), seconds));
        return b.toString();
    }

    /** {@code json} (an object) with this report's members added at its end. */
    public String addTo(String json) {
        int end = json.lastIndexOf('}');
        return json.substring(0, end) + (json.substring(0, end).trim().endsWith("{") ? "" : ",") + jsonMembers()
                + json.substring(end);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
