package org.jcasync.cli;

import picocli.CommandLine;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --grace=DURATION}: whole numbers with a unit, {@code s}, {@code m}, {@code h} or {@code d}, in sequence
 * ({@code 90m}, {@code 1h30m}, {@code 2d}); a bare number is seconds ({@code 0}: no grace period).
 */
final class GraceDuration implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern PART = Pattern.compile("(\\d{1,9})([smhd])");
    /** Longer than any sensible grace period, short enough that no time computed from it overflows. */
    private static final Duration MOST = Duration.ofDays(36_500);

    @Override
    public Duration convert(String v) {
        return parse(v);
    }

    static Duration parse(String v) {
        if (v.matches("\\d{1,9}")) {
            return Duration.ofSeconds(Long.parseLong(v));
        }
        Matcher m = PART.matcher(v);
        Duration d = Duration.ZERO;
        int at = 0;
        while (at < v.length() && m.region(at, v.length()).lookingAt()) {
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
            at = m.end();
            if (d.compareTo(MOST) > 0) {
                break;
            }
        }
        if (d.compareTo(MOST) > 0) {
            throw new CommandLine.TypeConversionException("'" + v + "' is longer than 100 years");
        }
        if (v.isEmpty() || at != v.length()) {
            throw new CommandLine.TypeConversionException("'" + v + "' is not a duration (e.g. 1h, 30m, 2d, 0)");
        }
        return d;
    }

    /** As the user would write it: {@code 1h}, {@code 90m}, {@code 2d}, {@code 45s}. */
    static String format(Duration d) {
        long s = d.toSeconds();
        if (s != 0 && s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s != 0 && s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s != 0 && s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
