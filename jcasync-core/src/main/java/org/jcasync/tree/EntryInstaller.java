package org.jcasync.tree;

import org.jcasync.io.TempFiles;
import org.jcasync.internal.fs.FileAttributes;
import org.jcasync.internal.fs.Posix;
import org.jcasync.internal.fs.Posix.Stat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.jcasync.format.FileMode.S_IFDIR;
import static org.jcasync.internal.fs.Posix.O_DIRECTORY;
import static org.jcasync.internal.fs.Posix.O_NOCTTY;
import static org.jcasync.internal.fs.Posix.O_NOFOLLOW;
import static org.jcasync.internal.fs.Posix.O_NONBLOCK;
import static org.jcasync.internal.fs.Posix.O_RDONLY;

/**
 * Puts finished entries in place and takes old ones away: every new entry is built under a temporary name in its
 * directory ({@link #tempName}) and renamed over the old one ({@link #install}), so a failure at any point leaves each
 * entry either old or new; what the archive no longer has is removed ({@link #removeTree}). With
 * {@code --undo-immutable}, chattr +i/+a is cleared on what has to be replaced or removed. The entry being built is
 * remembered ({@link #building}) so that a failed extraction can remove it ({@link #abandon}).
 */
final class EntryInstaller {
    private final boolean undoImmutable;
    /** The temporary entry being built, removed if extraction fails before it is installed. */
    private int tempDirFd = -1;
    private byte[] tempName;

    /** {@code undoImmutable}: clear chattr +i/+a on entries in the way ({@code --undo-immutable}). */
    EntryInstaller(boolean undoImmutable) {
        this.undoImmutable = undoImmutable;
    }

    /** casync's {@code tempfn_random} name for a temporary entry beside {@code name} ({@link TempFiles}). */
    static byte[] tempName(byte[] name) {
        return TempFiles.randomName(name);
    }

    /** Remembers the temporary entry {@code tmp} of {@code dirFd} as the one being built. */
    void building(int dirFd, byte[] tmp) {
        tempDirFd = dirFd;
        tempName = tmp;
    }

    /** Renames the entry being built, {@code tmp}, over the name of entry {@code e}, and forgets it. */
    void installBuilt(EntryContext e, byte[] tmp) throws IOException {
        install(e, tmp);
        tempName = null;
    }

    /**
     * Renames the finished temporary entry {@code tmp} over the name of entry {@code e} in its directory, swapping
     * with a directory in the way.
     */
    void install(EntryContext e, byte[] tmp) throws IOException {
        int dirFd = e.dirFd();
        byte[] name = e.name();
        String where = e.where();
        int r = Posix.tryRenameAt(dirFd, tmp, name, 0);
        if (r == -Posix.EPERM && undoImmutable) {
            dropImmutable(dirFd, name);
            r = Posix.tryRenameAt(dirFd, tmp, name, 0);
        }
        if (r == -Posix.EISDIR || r == -Posix.ENOTDIR || r == -Posix.ENOTEMPTY || r == -Posix.EEXIST) {
            r = Posix.tryRenameAt(dirFd, tmp, name, Posix.RENAME_EXCHANGE);
            if (r == 0) {
                // The old entry now has the temporary name.
                removeTree(dirFd, tmp, where);
                return;
            }
        }
        if (r < 0) {
            throw Posix.error(where, "rename", -r);
        }
    }

    /** Removes {@code name} and everything below it without following symlinks. */
    void removeTree(int dirFd, byte[] name, String where) throws IOException {
        Stat st = Posix.stat(dirFd, name, where);
        if (st == null) {
            return;
        }
        if (st.type() == S_IFDIR) {
            int fd = Posix.openAt(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, where);
            try {
                for (byte[] child : Posix.list(fd, where)) {
                    removeTree(fd, child, where + "/" + new String(child, StandardCharsets.UTF_8));
                }
            } finally {
                Posix.close(fd);
            }
        }
        int flag = st.type() == S_IFDIR ? Posix.AT_REMOVEDIR : 0;
        int r = Posix.tryUnlinkAt(dirFd, name, flag);
        if (r == -Posix.EPERM && undoImmutable) {
            dropImmutable(dirFd, name);
            r = Posix.tryUnlinkAt(dirFd, name, flag);
        }
        if (r < 0 && r != -Posix.ENOENT) {
            throw Posix.error(where, "remove", -r);
        }
    }

    /** After a failure: removes the entry being built (best effort; a later extract deletes ".#" names anyway). */
    void abandon() {
        if (tempName != null && tempDirFd >= 0) {
            removeQuietly(tempDirFd, tempName);
        }
    }

    /** Removes {@code name} of {@code dirFd} and everything below it, ignoring failures. */
    void removeQuietly(int dirFd, byte[] name) {
        try {
            removeTree(dirFd, name, "");
        } catch (IOException | RuntimeException e) {
            // Best effort; the temporary name starts with ".#" and a later extract deletes it.
        }
    }

    private static void dropImmutable(int dirFd, byte[] name) {
        int fd = Posix.tryOpenAt(dirFd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
        if (fd < 0) {
            return;
        }
        try {
            int have = FileAttributes.chattrFlags(fd, "");
            int blocking = FileAttributes.FS_IMMUTABLE_FL | FileAttributes.FS_APPEND_FL;
            if ((have & blocking) != 0) {
                FileAttributes.trySetChattrFlags(fd, have & ~blocking);
            }
        } catch (IOException e) {
            // Leave it; the caller reports the original failure.
        } finally {
            Posix.close(fd);
        }
    }
}
