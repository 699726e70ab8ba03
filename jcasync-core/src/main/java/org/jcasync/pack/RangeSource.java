package org.jcasync.pack;

import org.jcasync.store.StoreStats;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Reads byte ranges of files in a store (packs), as few requests as the transport allows: a local file, an HTTP
 * server with (multi-)range requests, an object store with ranged GETs. Implementations are thread-safe.
 */
public interface RangeSource extends Closeable {
    /** A byte range {@code [start, end)} of a file. */
    record Range(long start, long end) {
        public Range {
            if (start < 0 || end <= start) {
                throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
            }
        }

        /** Its length. */
        public int length() {
            return Math.toIntExact(end - start);
        }
    }

    /** Receives ranges as they arrive, in any order, from any thread. */
    @FunctionalInterface
    interface Sink {
        /** Range number {@code i} of the request has arrived. */
        void accept(int i, byte[] data) throws IOException;
    }

    /**
     * Reads {@code ranges} (sorted, not overlapping) of the file at {@code path} (relative to the store), handing
     * each to {@code sink} as it arrives; returns when every range has been delivered or throws.
     */
    void read(String path, List<Range> ranges, Sink sink) throws IOException;

    /** Most ranges worth asking for in one request (e.g. what fits an HTTP Range header). */
    default int maxRangesPerRequest() {
        return Integer.MAX_VALUE;
    }

    /**
     * Bytes of an unwanted gap worth downloading to save a separate range: per-range overhead on the wire (a
     * multipart header) for multi-range transports, a request's cost for single-range ones.
     */
    default int mergeGap() {
        return 4096;
    }

    /**
     * Bytes worth asking for in one request: large enough that a request's round trip is small beside its
     * transfer, small enough that several run at once and the last one does not arrive long after the others.
     */
    default long requestBytes() {
        return 4L << 20;
    }

    /** Requests worth running at once (more for transports that take one range per request). */
    default int parallelRequests() {
        return 4;
    }

    /** Where the files are, for messages. */
    String location();

    /** What this source did, for transfer reports. */
    List<StoreStats> stats();
}
