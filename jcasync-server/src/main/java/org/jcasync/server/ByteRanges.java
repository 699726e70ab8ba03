package org.jcasync.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The byte ranges a {@code Range} header asks of a file of known size (RFC 9110 §14): {@code bytes=a-b}, {@code a-}
 * and {@code -n} (the last n bytes), comma-separated. A header that is not a valid bytes range set is ignored (the
 * whole file is sent); ranges past the end are dropped and ends beyond it clamped; none left, more than
 * {@link #MAX_RANGES}, or ranges that overlap make the request unsatisfiable (416).
 */
public final class ByteRanges {
    /** Most ranges answered in one request (a multi-range request costs one multipart header per range). */
    public static final int MAX_RANGES = 1000;

    private ByteRanges() {
    }

    /** Bytes {@code first} to {@code last} (inclusive) of the file. */
    public record Range(long first, long last) {
        /** Its length. */
        public long length() {
            return last - first + 1;
        }
    }

    /**
     * The ranges {@code header} asks of a file of {@code size} bytes, in the order asked; null when the whole file
     * is to be sent (no header, or one that is not a valid bytes range set).
     *
     * @throws HttpStatusException 416 when the ranges cannot be satisfied
     */
    public static List<Range> parse(String header, long size) throws HttpStatusException {
        if (header == null) {
            return null;
        }
        String h = header.strip();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        String[] specs = h.substring(6).split(",", -1);
        if (specs.length > MAX_RANGES) {
            throw new HttpStatusException(416, "more than " + MAX_RANGES + " ranges in one request");
        }
        List<Range> out = new ArrayList<>();
        for (String spec : specs) {
            String s = spec.strip();
            int dash = s.indexOf('-');
            if (dash < 0) {
                return null;
            }
            String a = s.substring(0, dash).strip();
            String b = s.substring(dash + 1).strip();
            Long first = a.isEmpty() ? null : number(a);
            Long last = b.isEmpty() ? null : number(b);
            if (!a.isEmpty() && first == null || !b.isEmpty() && last == null || first == null && last == null) {
                return null;
            }
            if (first == null) {
                if (last == 0 || size == 0) {
                    continue; // an empty suffix: unsatisfiable
                }
                out.add(new Range(Math.max(0, size - last), size - 1));
                continue;
            }
            if (last != null && last < first) {
                return null;
            }
            if (first >= size) {
                continue;
            }
            out.add(new Range(first, last == null ? size - 1 : Math.min(last, size - 1)));
        }
        if (out.isEmpty()) {
            throw new HttpStatusException(416, "no range of " + header + " lies within the " + size + " bytes");
        }
        List<Range> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparingLong(Range::first));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).first() <= sorted.get(i - 1).last()) {
                throw new HttpStatusException(416, "overlapping ranges " + sorted.get(i - 1).first() + "-"
                        + sorted.get(i - 1).last() + " and " + sorted.get(i).first() + "-" + sorted.get(i).last());
            }
        }
        return out;
    }

    /** A decimal number of at most 18 digits, or null. */
    private static Long number(String t) {
        if (t.length() > 18 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        return Long.parseLong(t);
    }
}
