package org.jcasync.catar;

import org.jcasync.internal.fs.Posix;

/** A path inside an archive, as casync takes one ({@code extract X.catar DIR PATH}, {@code list X.catar PATH}). */
public final class ArchivePath {
    private ArchivePath() {
    }

    /**
     * casync's seek path: leading slashes and empty components dropped, in the file-name charset; null for the root
     * (or no path).
     */
    public static byte[] normalize(String p) {
        if (p == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (String c : p.split("/")) {
            if (!c.isEmpty()) {
                if (!b.isEmpty()) {
                    b.append('/');
                }
                b.append(c);
            }
        }
        return b.isEmpty() ? null : b.toString().getBytes(Posix.pathCharset());
    }

    /** True when {@code path} is {@code seek} or below it (any path is within a null {@code seek}). */
    public static boolean within(byte[] path, byte[] seek) {
        if (seek == null) {
            return true;
        }
        if (path.length < seek.length) {
            return false;
        }
        for (int i = 0; i < seek.length; i++) {
            if (path[i] != seek[i]) {
                return false;
            }
        }
        return path.length == seek.length || path[seek.length] == '/';
    }
}
