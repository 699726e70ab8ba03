package org.jcasync.chunk;

/**
 * Parses byte sizes the way casync (systemd's {@code parse_size()}) does: 1024-based suffixes
 * {@code B K M G T P E}, decimal fractions ({@code 1.5M}) and sums of decreasing units ({@code 1M 512K}).
 */
public final class SizeParser {
    private static final String[] SUFFIXES = {"E", "P", "T", "G", "M", "K", "B", ""};
    private static final long[] FACTORS = {1L << 60, 1L << 50, 1L << 40, 1L << 30, 1L << 20, 1L << 10, 1, 1};

    private SizeParser() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the text when it is not a size
     */
    public static long parse(String text) {
        String t = text;
        int p = 0;
        int startPos = 0;
        long result = 0;
        do {
            p = skipSpace(t, p);
            if (p < t.length() && t.charAt(p) == '-') {
                throw new IllegalArgumentException("size must not be negative: " + text);
            }
            int e = p;
            while (e < t.length() && Character.isDigit(t.charAt(e))) {
                e++;
            }
            if (e == p) {
                throw new IllegalArgumentException("not a size: '" + text + "'");
            }
            long whole;
            try {
                whole = Long.parseUnsignedLong(t.substring(p, e));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("size too large: " + text, ex);
            }
            double frac = 0;
            if (e < t.length() && t.charAt(e) == '.') {
                e++;
                int f = e;
                while (f < t.length() && Character.isDigit(t.charAt(f))) {
                    f++;
                }
                if (f > e) {
                    frac = Double.parseDouble("0." + t.substring(e, f));
                }
                e = f;
            }
            e = skipSpace(t, e);
            int i = startPos;
            while (i < SUFFIXES.length && !t.startsWith(SUFFIXES[i], e)) {
                i++;
            }
            if (i >= SUFFIXES.length) {
                throw new IllegalArgumentException("not a size: '" + text + "' (suffixes: B K M G T P E)");
            }
            long factor = FACTORS[i];
            if (Long.compareUnsigned(whole + (frac > 0 ? 1 : 0), Long.divideUnsigned(-1L, factor)) > 0) {
                throw new IllegalArgumentException("size too large: " + text);
            }
            long part = whole * factor + (long) (frac * factor);
            result = Math.addExact(result, part);
            p = e + SUFFIXES[i].length();
            startPos = i + 1;
        } while (p < t.length());
        return result;
    }

    private static int skipSpace(String t, int p) {
        while (p < t.length() && Character.isWhitespace(t.charAt(p))) {
            p++;
        }
        return p;
    }
}
