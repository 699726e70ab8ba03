package org.jcasync.io;

import java.util.Locale;

/** Byte counts for people: IEC units with one decimal. */
public final class ByteSizes {
    private ByteSizes() {
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 3.2 GiB}... */
    public static String format(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] u = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
    }
}
