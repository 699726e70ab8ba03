package org.jcasync.catar;

import org.jcasync.catar.RecordInput.Header;
import org.jcasync.format.FeatureFlags;

import java.nio.charset.StandardCharsets;

import static org.jcasync.format.FeatureFlags.WITH_DEVICE_NODES;
import static org.jcasync.format.FeatureFlags.WITH_FIFOS;
import static org.jcasync.format.FeatureFlags.WITH_SOCKETS;
import static org.jcasync.format.FeatureFlags.WITH_SYMLINKS;
import static org.jcasync.format.FileMode.S_IFBLK;
import static org.jcasync.format.FileMode.S_IFCHR;
import static org.jcasync.format.FileMode.S_IFDIR;
import static org.jcasync.format.FileMode.S_IFIFO;
import static org.jcasync.format.FileMode.S_IFLNK;
import static org.jcasync.format.FileMode.S_IFMT;
import static org.jcasync.format.FileMode.S_IFREG;
import static org.jcasync.format.FileMode.S_IFSOCK;

/**
 * casync's decoder rules ({@code src/cadecoder.c}) for the sizes of records and the values of their fields, given
 * the archive's feature flags: what a valid mode, id, time, user name or ACL permission set is.
 */
final class FieldRules {
    static final int USER_SIZE_MAX = 16 + 256;
    static final int XATTR_SIZE_MAX = 16 + 255 + 1 + 64 * 1024;
    static final int FCAPS_SIZE_MAX = 16 + 64 * 1024;
    static final int ACL_NAMED_SIZE_MAX = 32 + 256;
    static final int SELINUX_SIZE_MAX = 16 + 4096;
    static final int SYMLINK_SIZE_MAX = 16 + 4096;
    static final int FILENAME_SIZE_MAX = 16 + 256;

    private FieldRules() {
    }

    /** Fails unless the record's size lies in {@code [min, max]}. */
    static void limit(Header h, long min, long max) throws ArchiveFormatException {
        if (Long.compareUnsigned(h.size(), min) < 0 || Long.compareUnsigned(h.size(), max) > 0) {
            throw new ArchiveFormatException(h.offset(), CatarFormat.typeName(h.type()) + " record of "
                    + Long.toUnsignedString(h.size()) + " bytes (allowed: " + min + (min == max ? "" : ".." + max)
                    + ")");
        }
    }

    /** Whether {@code m} is a mode the archive's flags allow, for an ENTRY with flags field {@code entryFlags}. */
    static boolean validMode(long flags, long m, long entryFlags) {
        if ((m & ~(S_IFMT | 07777L)) != 0) {
            return false;
        }
        int t = (int) (m & S_IFMT);
        boolean allowed = switch (t) {
            case S_IFREG, S_IFDIR -> true;
            case S_IFSOCK -> (flags & WITH_SOCKETS) != 0;
            case S_IFIFO -> (flags & WITH_FIFOS) != 0;
            case S_IFBLK, S_IFCHR -> (flags & WITH_DEVICE_NODES) != 0;
            case S_IFLNK -> (flags & WITH_SYMLINKS) != 0;
            default -> false;
        };
        if (!allowed || t != S_IFDIR && (entryFlags & FeatureFlags.WITH_SUBVOLUME) != 0) {
            return false;
        }
        long perm = m & 07777;
        if (t == S_IFLNK) {
            return perm == 0777;
        }
        if ((flags & (FeatureFlags.WITH_PERMISSIONS | FeatureFlags.WITH_ACL)) != 0) {
            return true;
        }
        if (perm == (t == S_IFDIR ? 0777 : 0666)) {
            return true;
        }
        return (flags & FeatureFlags.WITH_READ_ONLY) != 0 && perm == (t == S_IFDIR ? 0555 : 0444);
    }

    /** Whether {@code u} is a uid/gid the archive's id width allows (0 only, without numeric ids). */
    static boolean validId(long flags, long u) {
        if ((flags & FeatureFlags.WITH_16BIT_UIDS) != 0) {
            return Long.compareUnsigned(u, 0xffff) < 0;
        }
        if ((flags & FeatureFlags.WITH_32BIT_UIDS) != 0) {
            return Long.compareUnsigned(u, 0xffffffffL) < 0 && u != 0xffff;
        }
        return u == 0;
    }

    /** Whether {@code t} is a multiple of the archive's time granularity (0 only, without times). */
    static boolean validTime(long flags, long t) {
        if (t == -1L) {
            return false;
        }
        if ((flags & FeatureFlags.WITH_NSEC_TIME) != 0) {
            return true;
        }
        // casync checks usec-time archives against 1 ms, not 1 µs (src/cadecoder.c validate_nsec); so do we.
        if ((flags & FeatureFlags.WITH_USEC_TIME) != 0) {
            return Long.remainderUnsigned(t, 1_000_000L) == 0;
        }
        if ((flags & FeatureFlags.WITH_SEC_TIME) != 0) {
            return Long.remainderUnsigned(t, 1_000_000_000L) == 0;
        }
        if ((flags & FeatureFlags.WITH_2SEC_TIME) != 0) {
            return Long.remainderUnsigned(t, 2_000_000_000L) == 0;
        }
        return t == 0;
    }

    /** The user or group name a USER/GROUP/ACL record body {@code b} holds (NUL-terminated), checked. */
    static String userName(Header h, byte[] b) throws ArchiveFormatException {
        int n = b.length;
        boolean ok = n >= 2 && n <= 256 && b[n - 1] == 0;
        if (ok) {
            byte c = b[0];
            ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
            for (int i = 1; ok && i < n - 1; i++) {
                c = b[i];
                ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
            }
        }
        String s = ok ? new String(b, 0, n - 1, StandardCharsets.US_ASCII) : null;
        if (!ok || s.equals("root") || s.equals("0")) {
            throw new ArchiveFormatException(h.offset(), "invalid user or group name in "
                    + CatarFormat.typeName(h.type()));
        }
        return s;
    }

    /** Fails unless {@code p} is a set of rwx ACL permission bits. */
    static void checkPermissions(Header h, long p) throws ArchiveFormatException {
        if ((p & ~7L) != 0) {
            throw new ArchiveFormatException(h.offset(), "invalid ACL permissions 0x" + Long.toHexString(p));
        }
    }

    /** Whether {@code b} ends with its only NUL byte: a C string (label, target) with nothing after it. */
    static boolean isCString(byte[] b) {
        return b[b.length - 1] == 0 && indexOf(b, 0, b.length - 1) < 0;
    }

    /** The first index of byte {@code c} in {@code b[0, end)}, or -1. */
    static int indexOf(byte[] b, int c, int end) {
        for (int i = 0; i < end; i++) {
            if (b[i] == (byte) c) {
                return i;
            }
        }
        return -1;
    }

    /** Raw name bytes as UTF-8, for messages. */
    static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
