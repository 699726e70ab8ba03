package org.jcasync.tree;

import org.jcasync.io.ByteSizes;

/** What one tree extraction did; counters are updated by the extracting thread only. */
public final class TreeExtractStats {
    long entries;
    long directoriesCreated;
    long unchanged;
    long metadataUpdated;
    long written;
    long fromSeed;
    long hardlinked;
    long deleted;
    long skipped;
    long bytesWritten;
    long bytesKept;
    long bytesFromSeeds;

    /** Archive entries seen (the root included). */
    public long entries() {
        return entries;
    }

    /** Directories that did not exist before. */
    public long directoriesCreated() {
        return directoriesCreated;
    }

    /** Entries already equal to the archive in content and metadata: not touched at all. */
    public long unchanged() {
        return unchanged;
    }

    /** Entries whose content was equal but whose metadata (mode, owner, times, xattrs, flags) was corrected. */
    public long metadataUpdated() {
        return metadataUpdated;
    }

    /** Files and other non-directory entries written anew (temp file + rename). */
    public long written() {
        return written;
    }

    /** Of {@link #written}: files whose content came (in part or whole) from a seed file. */
    public long fromSeed() {
        return fromSeed;
    }

    /** Files hard-linked from a seed. */
    public long hardlinked() {
        return hardlinked;
    }

    /** Entries removed because the archive does not list them (each removed subtree counts once). */
    public long deleted() {
        return deleted;
    }

    /** Entries not restored because the feature mask or missing privileges exclude them (e.g. device nodes). */
    public long skipped() {
        return skipped;
    }

    /** Payload bytes written from the archive stream. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** Payload bytes found already in place in the target. */
    public long bytesKept() {
        return bytesKept;
    }

    /** Payload bytes taken from seed files (copied, cloned or linked). */
    public long bytesFromSeeds() {
        return bytesFromSeeds;
    }

    /** One line for the closing report. */
    public String summary() {
        return String.format("%d entries: %d unchanged, %d metadata updated, %d written (%d from seeds, %d hard links),"
                        + " %d new directories, %d deleted%s; %s kept in place, %s from seeds, %s written",
                entries, unchanged, metadataUpdated, written, fromSeed, hardlinked, directoriesCreated, deleted,
                skipped > 0 ? ", " + skipped + " skipped" : "", bytes(bytesKept), bytes(bytesFromSeeds),
                bytes(bytesWritten));
    }

    /** The counters as one JSON object. */
    public String toJson() {
        return String.format("{\"entries\":%d,\"unchanged\":%d,\"metadataUpdated\":%d,\"written\":%d,\"fromSeed\":%d,"
                        + "\"hardlinked\":%d,\"directoriesCreated\":%d,\"deleted\":%d,\"skipped\":%d,"
                        + "\"bytesKept\":%d,\"bytesFromSeeds\":%d,\"bytesWritten\":%d}",
                entries, unchanged, metadataUpdated, written, fromSeed, hardlinked, directoriesCreated, deleted,
                skipped, bytesKept, bytesFromSeeds, bytesWritten);
    }

    private static String bytes(long n) {
        return ByteSizes.format(n);
    }
}
