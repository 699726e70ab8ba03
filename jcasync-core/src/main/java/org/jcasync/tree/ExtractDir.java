package org.jcasync.tree;

import org.jcasync.internal.fs.FileSystems;
import org.jcasync.internal.fs.Posix;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/** An open directory of the target on the current path, with what the archive listed in it so far. */
final class ExtractDir {
    /** The directory as an entry of its parent. */
    final EntryContext self;
    int fd = -1;
    /** Non-null while the directory lives under a temporary name (it replaces a non-directory). */
    byte[] tempName;
    /** Created by this extraction (its metadata is then not counted as an update). */
    boolean created;
    /** The names the archive listed in it (raw bytes as ISO-8859-1 strings, see {@link #key}). */
    final Set<String> listed = new HashSet<>();
    /** The directory at the same path in each seed, or -1 where the seed has none. */
    final int[] seedFds;
    /** The file-system magic of the directory, -1 until asked for. */
    private long magic = -1;

    ExtractDir(EntryContext self, int seeds) {
        this.self = self;
        this.seedFds = new int[seeds];
        Arrays.fill(seedFds, -1);
    }

    /** The directory holding this one, or null for the target directory. */
    ExtractDir parent() {
        return self.dir();
    }

    /** The directory's path, named in messages. */
    String where() {
        return self.where();
    }

    /** The file-system magic of the directory (asked once). */
    long magic() throws Posix.Errno {
        if (magic < 0) {
            magic = FileSystems.magic(fd, where());
        }
        return magic;
    }

    /** Closes the directory's descriptor and those of its seed directories. */
    void close() {
        Posix.close(fd);
        fd = -1;
        for (int s : seedFds) {
            Posix.close(s);
        }
    }

    /** A set key for raw name bytes (ISO-8859-1 maps bytes to chars one to one). */
    static String key(byte[] name) {
        return new String(name, StandardCharsets.ISO_8859_1);
    }
}
