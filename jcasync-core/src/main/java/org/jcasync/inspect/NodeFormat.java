package org.jcasync.inspect;

import org.jcasync.catar.CatarEntry;
import org.jcasync.format.FeatureFlags;

import java.nio.charset.StandardCharsets;

/** casync's formatting of nodes for its listings ({@code src/casync-tool.c}, {@code src/util.c}). */
final class NodeFormat {
    /** {@code ls_format_chattr}'s flags, in its order, and their letters. */
    private static final long[] CHATTR_BITS = {FeatureFlags.WITH_FLAG_SYNC, FeatureFlags.WITH_FLAG_DIRSYNC,
        FeatureFlags.WITH_FLAG_IMMUTABLE, FeatureFlags.WITH_FLAG_APPEND, FeatureFlags.WITH_FLAG_NODUMP,
        FeatureFlags.WITH_FLAG_NOATIME, FeatureFlags.WITH_FLAG_COMPR, FeatureFlags.WITH_FLAG_NOCOMP,
        FeatureFlags.WITH_FLAG_NOCOW, FeatureFlags.WITH_FLAG_PROJINHERIT};
    private static final char[] CHATTR_CODES = {'S', 'D', 'i', 'a', 'd', 'A', 'c', 'N', 'C', 'P'};

    private NodeFormat() {
    }

    /** {@code mtree_escape_full}: bytes ≤ ' ', ≥ 127, '\\' and '#' as {@code \ooo}. */
    static String escape(byte[] b) {
        StringBuilder s = new StringBuilder(b.length);
        for (byte x : b) {
            int c = x & 0xff;
            if (c <= ' ' || c >= 127 || c == '\\' || c == '#') {
                s.append('\\').append((char) ('0' + c / 64)).append((char) ('0' + c / 8 % 8))
                        .append((char) ('0' + c % 8));
            } else {
                s.append((char) c);
            }
        }
        return s.toString();
    }

    /** {@link #escape} of a string's UTF-8 bytes. */
    static String escape(String s) {
        return escape(utf8(s));
    }

    /** The escaped path, "." for the root. */
    static String path(CatarEntry n) {
        String p = escape(n.path());
        return p.isEmpty() ? "." : p;
    }

    /** {@code ls_format_mode}. */
    static String lsMode(long m) {
        char[] r = new char[10];
        r[0] = switch ((int) (m & 0170000)) {
            case 0140000 -> 's';
            case 0040000 -> 'd';
            case 0100000 -> '-';
            case 0060000 -> 'b';
            case 0020000 -> 'c';
            case 0120000 -> 'l';
            case 0010000 -> 'p';
            default -> '?';
        };
        r[1] = (m & 0400) != 0 ? 'r' : '-';
        r[2] = (m & 0200) != 0 ? 'w' : '-';
        r[3] = (m & 04000) != 0 ? ((m & 0100) != 0 ? 's' : 'S') : ((m & 0100) != 0 ? 'x' : '-');
        r[4] = (m & 040) != 0 ? 'r' : '-';
        r[5] = (m & 020) != 0 ? 'w' : '-';
        r[6] = (m & 02000) != 0 ? ((m & 010) != 0 ? 's' : 'S') : ((m & 010) != 0 ? 'x' : '-');
        r[7] = (m & 04) != 0 ? 'r' : '-';
        r[8] = (m & 02) != 0 ? 'w' : '-';
        boolean dir = (m & 0170000) == 0040000;
        r[9] = dir && (m & 01000) != 0 ? ((m & 01) != 0 ? 't' : 'T') : ((m & 01) != 0 ? 'x' : '-');
        return new String(r);
    }

    /** {@code ls_format_chattr} of the chattr bits among feature bits {@code f}. */
    static String lsChattr(long f) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < CHATTR_BITS.length; i++) {
            s.append((f & CHATTR_BITS[i]) != 0 ? CHATTR_CODES[i] : '-');
        }
        return s.toString();
    }

    /** {@code ls_format_fat_attrs} of the FAT bits among feature bits {@code f}. */
    static String lsFatAttrs(long f) {
        return "" + ((f & FeatureFlags.WITH_FLAG_HIDDEN) != 0 ? 'h' : '-')
                + ((f & FeatureFlags.WITH_FLAG_SYSTEM) != 0 ? 's' : '-')
                + ((f & FeatureFlags.WITH_FLAG_ARCHIVE) != 0 ? 'a' : '-');
    }

    /** {@code ca_decoder_current_user}: the USER record, or "root" for id 0 with numeric ids; else null. */
    static String user(CatarEntry n, long archiveFlags, long replay, boolean group) {
        if ((replay & FeatureFlags.WITH_USER_NAMES) == 0) {
            return null;
        }
        String s = group ? n.group() : n.user();
        if (s != null) {
            return s;
        }
        if ((archiveFlags & FeatureFlags.NUMERIC_IDS) != 0 && (group ? n.gid() : n.uid()) == 0) {
            return "root";
        }
        return null;
    }

    /** {@code mtime / 1e9} and {@code mtime % 1e9} as casync prints them (unsigned 64-bit). */
    static String mtreeTime(long mtime) {
        return Long.toUnsignedString(Long.divideUnsigned(mtime, 1_000_000_000L)) + "."
                + String.format("%09d", Long.remainderUnsigned(mtime, 1_000_000_000L));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
