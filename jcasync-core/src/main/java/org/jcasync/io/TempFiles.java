package org.jcasync.io;

import org.jcasync.format.FileMode;
import org.jcasync.internal.fs.Posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temporary files beside a target, named as casync names them ({@code .#NAME} and 16 random hex digits) with a
 * {@code .jcasync-} mark before the digits: {@code .#v2.img.jcasync-3f0c9a…}. The process writing one holds an
 * exclusive {@code flock} on it for as long as it lives, so whether a temporary is still someone's can be checked: a
 * killed process's descriptors are closed by the kernel and its lock is gone. Creating a temporary first removes the
 * stale ones of the same target (marked, unlocked, regular files), so killed runs do not pile up leftovers; nothing
 * else is touched (casync's own temporaries, or jcasync's of other targets, have no such proof).
 */
public final class TempFiles {
    /** What comes between the target's name and the random digits. */
    static final String MARK = ".jcasync-";
    private static final int RANDOM_DIGITS = 16;
    /** Longest file name (bytes) on Linux file systems. */
    private static final int NAME_MAX = 255;
    /** Temporaries this process holds (their locks would tell too; this saves opening them). */
    private static final Set<Path> OWN = ConcurrentHashMap.newKeySet();

    private TempFiles() {
    }

    /** A temporary file, created and locked: the lock is held until {@link #release}. */
    public record Locked(Path path, int lockFd) {
        /** Drops the lock (after the file was renamed into place or removed). */
        public void release() {
            OWN.remove(path);
            Posix.close(lockFd);
        }
    }

    /**
     * casync's random temporary name for {@code name} ({@code tempfn_random}): ".#" + name + 16 hex digits, the name
     * shortened so that the whole fits in 255 bytes.
     */
    public static byte[] randomName(byte[] name) {
        return name(name, new byte[0]);
    }

    private static byte[] name(byte[] name, byte[] mark) {
        int keep = Math.min(name.length, NAME_MAX - 2 - mark.length - RANDOM_DIGITS);
        while (keep < name.length && keep > 0 && (name[keep] & 0xc0) == 0x80) {
            keep--; // not inside a UTF-8 sequence
        }
        byte[] t = new byte[2 + keep + mark.length + RANDOM_DIGITS];
        t[0] = '.';
        t[1] = '#';
        System.arraycopy(name, 0, t, 2, keep);
        System.arraycopy(mark, 0, t, 2 + keep, mark.length);
        byte[] digits = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong())
                .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, t, 2 + keep + mark.length, RANDOM_DIGITS);
        return t;
    }

    /** The part of a marked temporary's name before its random digits, for a target named {@code name}. */
    private static String prefix(String name) {
        byte[] b = name(bytes(name), MARK.getBytes(StandardCharsets.US_ASCII));
        return new String(b, 0, b.length - RANDOM_DIGITS, Posix.pathCharset());
    }

    /**
     * Creates (exclusively, mode 0666 less the umask) and locks a new marked temporary beside {@code target}, after
     * removing the stale ones of the same target.
     *
     * @throws FileSystemException naming the target, the directory and why it cannot be created there
     */
    public static Locked create(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        String name = abs.getFileName().toString();
        removeStale(dir, name);
        byte[] mark = MARK.getBytes(StandardCharsets.US_ASCII);
        while (true) {
            byte[] tempName = name(bytes(name), mark);
            Path temp = dir.resolve(new String(tempName, Posix.pathCharset()));
            int fd = Posix.tryOpenAt(Posix.AT_FDCWD, bytes(temp.toString()),
                    Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, 0666);
            if (fd == -Posix.EEXIST) {
                continue;
            }
            if (fd < 0) {
                throw cannotCreate(target, dir, -fd);
            }
            // A cleaner may have found the new file before it was locked: then it is (being) removed; take another.
            if (Posix.tryFlock(fd, Posix.LOCK_EX | Posix.LOCK_NB) != 0 || Posix.stat(fd, new byte[0],
                    temp.toString()).nlink() == 0) {
                Posix.close(fd);
                continue;
            }
            OWN.add(temp);
            return new Locked(temp, fd);
        }
    }

    private static FileSystemException cannotCreate(Path target, Path dir, int errno) {
        String why = errno == Posix.ENOENT ? (Files.isDirectory(dir) ? "no such file or directory"
                : "its directory " + dir + " does not exist")
                : errno == Posix.ENOTDIR ? dir + " is not a directory" : Posix.strerror(errno);
        return new FileSystemException(target.toString(), null, "cannot create a temporary file beside it: " + why);
    }

    /**
     * Removes the marked temporaries of {@code name} in {@code dir} that no live process holds; returns how many.
     * Best effort: what cannot be listed, opened or locked is left alone.
     */
    public static int removeStale(Path dir, String name) {
        String prefix = prefix(name);
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, e -> isTempOf(e, prefix))) {
            for (Path p : entries) {
                if (!OWN.contains(p) && removeIfUnlocked(p)) {
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // An unreadable directory: nothing to clean that we could see.
        }
        return removed;
    }

    private static boolean isTempOf(Path entry, String prefix) {
        String n = entry.getFileName().toString();
        if (n.length() != prefix.length() + RANDOM_DIGITS || !n.startsWith(prefix)) {
            return false;
        }
        for (int i = prefix.length(); i < n.length(); i++) {
            if (Character.digit(n.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Removes {@code p} if it is a regular file nobody holds a lock on (its writer is dead). */
    private static boolean removeIfUnlocked(Path p) {
        byte[] path = bytes(p.toString());
        int fd = Posix.tryOpenAt(Posix.AT_FDCWD, path, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK
                | Posix.O_NOCTTY, 0);
        if (fd < 0) {
            return false;
        }
        try {
            Posix.Stat held = Posix.stat(fd, new byte[0], p.toString());
            if (held.type() != FileMode.S_IFREG || Posix.tryFlock(fd, Posix.LOCK_EX | Posix.LOCK_NB) != 0) {
                return false;
            }
            // Still the file that was locked (not replaced meanwhile)?
            Posix.Stat now = Posix.stat(Posix.AT_FDCWD, path, p.toString());
            if (now == null || now.ino() != held.ino() || now.devMajor() != held.devMajor()
                    || now.devMinor() != held.devMinor()) {
                return false;
            }
            return Posix.tryUnlinkAt(Posix.AT_FDCWD, path, 0) == 0;
        } catch (IOException e) {
            return false;
        } finally {
            Posix.close(fd);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(Posix.pathCharset());
    }
}
