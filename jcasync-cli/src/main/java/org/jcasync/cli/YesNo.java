package org.jcasync.cli;

import picocli.CommandLine;

import java.util.Locale;

/** casync's {@code parse_boolean}: 1/yes/y/true/t/on and 0/no/n/false/f/off. */
final class YesNo implements CommandLine.ITypeConverter<Boolean> {
    @Override
    public Boolean convert(String v) {
        return parse(v);
    }

    static boolean parse(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "1", "yes", "y", "true", "t", "on" -> true;
            case "0", "no", "n", "false", "f", "off" -> false;
            default -> throw new CommandLine.TypeConversionException("'" + v + "' is not yes or no");
        };
    }
}
