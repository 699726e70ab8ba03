package org.jcasync.chunk;

/**
 * Minimum, average and maximum chunk size plus the derived discriminator, exactly as casync's
 * {@code ca_chunker_set_size()} computes them.
 *
 * @param min smallest non-final chunk (a cut is possible at exactly {@code min})
 * @param avg target average, recorded in the index
 * @param max largest chunk; a cut is forced here
 * @param discriminator the modulus of the cut test {@code h % d == d - 1}
 */
public record ChunkerParams(int min, int avg, int max, int discriminator) {
    /** Smallest size casync accepts. */
    public static final int LIMIT_MIN = 1;
    /** Largest size casync accepts (128 MiB). */
    public static final int LIMIT_MAX = 128 * 1024 * 1024;
    /** The rolling-hash window. */
    public static final int WINDOW = 48;
    /** casync's default: 16K/64K/256K. */
    public static final ChunkerParams DEFAULT = of(0, 65536, 0);

    /** Validates the invariants an index header must also satisfy. */
    public ChunkerParams {
        if (min < LIMIT_MIN || min > avg || avg > max || max > LIMIT_MAX) {
            throw new IllegalArgumentException("invalid chunk sizes " + min + ":" + avg + ":" + max
                    + " (need 1 <= min <= avg <= max <= 128M)");
        }
    }

    /**
     * Derives the missing sizes (0 = unspecified) the way casync does.
     *
     * @throws IllegalArgumentException for sizes casync refuses
     */
    public static ChunkerParams of(long min, long avg, long max) {
        if (avg == 0) {
            if (min != 0 && max != 0) {
                avg = (long) Math.rint(Math.pow(2, (log2(min) + log2(max)) / 2));
            } else if (min != 0) {
                avg = min * 4;
            } else if (max != 0) {
                avg = max / 4;
            } else {
                avg = 65536;
            }
            avg = Math.clamp(avg, LIMIT_MIN, LIMIT_MAX);
        } else if (avg < LIMIT_MIN || avg > LIMIT_MAX) {
            throw new IllegalArgumentException("Average chunk size must be between 1 and " + LIMIT_MAX + ": " + avg);
        }
        if (min == 0) {
            min = Math.max(avg / 4, LIMIT_MIN);
        } else if (min < LIMIT_MIN) {
            throw new IllegalArgumentException("Minimum chunk size must be >= 1.");
        } else if (min > avg) {
            throw new IllegalArgumentException("Average chunk size must be larger than minimum chunk size.");
        }
        if (max == 0) {
            max = Math.min(avg * 4, LIMIT_MAX);
        } else if (max > LIMIT_MAX) {
            throw new IllegalArgumentException("Maximum chunk size must be <= " + LIMIT_MAX + ".");
        } else if (max < avg) {
            throw new IllegalArgumentException("Average chunk size must be smaller than maximum chunk size.");
        }
        return new ChunkerParams((int) min, (int) avg, (int) max, discriminator(min, avg, max));
    }

    /** Like {@link #of} but for values read from an index header: sizes are taken as they are. */
    public static ChunkerParams fromIndex(long min, long avg, long max) {
        if (min < LIMIT_MIN || min > avg || avg > max || max > LIMIT_MAX) {
            throw new IllegalArgumentException("invalid chunk sizes " + Long.toUnsignedString(min) + ":"
                    + Long.toUnsignedString(avg) + ":" + Long.toUnsignedString(max));
        }
        return new ChunkerParams((int) min, (int) avg, (int) max, discriminator(min, avg, max));
    }

    /**
     * Parses casync's {@code --chunk-size=}: {@code AVG}, {@code MIN:AVG:MAX} or {@code auto}, with the same
     * messages casync gives for values it refuses.
     */
    public static ChunkerParams parse(String v) {
        if (v.equals("auto")) {
            return DEFAULT;
        }
        int k = v.indexOf(':');
        if (k < 0) {
            long b = parseSize(v, "average", v);
            if (b < LIMIT_MIN) {
                throw new IllegalArgumentException("Average chunk size must be >= 1.");
            }
            if (b > LIMIT_MAX) {
                throw new IllegalArgumentException("Average chunk size must be <= " + LIMIT_MAX + ".");
            }
            return of(0, b, 0);
        }
        int j = v.indexOf(':', k + 1);
        if (j < 0) {
            throw new IllegalArgumentException("--chunk-size= requires either a single average chunk size or a "
                    + "triplet of minimum, average and maximum chunk size.");
        }
        long a = parseSize(v.substring(0, k), "minimum", v);
        if (a < LIMIT_MIN) {
            throw new IllegalArgumentException("Minimum chunk size must be >= 1.");
        }
        long b = parseSize(v.substring(k + 1, j), "average", v);
        if (b < a) {
            throw new IllegalArgumentException("Average chunk size must be larger than minimum chunk size.");
        }
        long c = parseSize(v.substring(j + 1), "maximum", v);
        if (c < b) {
            throw new IllegalArgumentException("Average chunk size must be smaller than maximum chunk size.");
        }
        if (c > LIMIT_MAX) {
            throw new IllegalArgumentException("Maximum chunk size must be <= " + LIMIT_MAX + ".");
        }
        return of(a, b, c);
    }

    /** casync names the whole option value in the message, not just the field that failed. */
    private static long parseSize(String s, String which, String whole) {
        try {
            return SizeParser.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Can't parse " + which + " chunk size: " + whole, e);
        }
    }

    /** True when min = avg = max: casync then cuts every {@code avg} bytes without hashing. */
    public boolean fixed() {
        return min == avg && avg == max;
    }

    /** {@code MIN:AVG:MAX}, the form {@code --chunk-size=} takes. */
    @Override
    public String toString() {
        return min + ":" + avg + ":" + max;
    }

    /**
     * casync's {@code CA_CHUNKER_DISCRIMINATOR_FROM_AVG}, computed in plain IEEE double arithmetic (no FMA, like the
     * Debian x86-64 build), then clamped to [min, max]. A non-positive denominator (avg >= 9,324,557) is undefined
     * behaviour in C that x86-64 turns into a huge value, which the clamp maps to max.
     */
    static int discriminator(long min, long avg, long max) {
        double t = -1.42888852e-7 * (double) avg;
        t = t + 1.33237515;
        long d;
        if (t <= 0) {
            d = max;
        } else {
            d = (long) ((double) avg / t);
            if (d > max) {
                d = max;
            }
        }
        if (d < min) {
            d = min;
        }
        return (int) d;
    }

    private static double log2(long v) {
        if (Long.bitCount(v) == 1) {
            return Long.numberOfTrailingZeros(v);
        }
        return Math.log((double) v) / Math.log(2);
    }
}
