package org.jcasync.catar;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Glob} against glibc 2.36's {@code fnmatch(pattern, name, FNM_PERIOD)} in the C locale: every expected value
 * below was produced by calling glibc (names and patterns are UTF-8 bytes here, matched byte by byte). The matcher
 * was also compared with glibc on a few million random patterns and names over an alphabet full of bracket, class,
 * range, escape and wildcard characters, without a difference.
 */
class GlobTest {
    static final Object[][] GLIBC = {
        {"*", "abc", true},
        {"*", ".hidden", false},
        {".*", ".hidden", true},
        {"*.o", "main.o", true},
        {"*.o", ".o", false},
        {"?", "a", true},
        {"?", ".", false},
        {"?x", ".x", false},
        {"[.]x", ".x", false},
        {"\\.x", ".x", true},
        {"a*b*c", "aXbYbZc", true},
        {"a*b*c", "aXbYbZ", false},
        {"*a?", "ba", false},
        {"*a?", "bab", true},
        {"**", "x", true},
        {"*?*?", "ab", true},
        {"*?*?", "a", false},
        {"a\\*", "a*", true},
        {"a\\*", "ab", false},
        {"a\\", "a\\", false},
        {"a\\", "a", false},
        {"[abc]", "b", true},
        {"[abc]", "d", false},
        {"[!abc]", "d", true},
        {"[!abc]", "a", false},
        {"[^abc]", "d", true},
        {"[]]", "]", true},
        {"[]a]", "a", true},
        {"[!]]", "]", false},
        {"[!]]", "x", true},
        {"[a-c]", "b", true},
        {"[a-c]", "-", false},
        {"[a-]", "-", true},
        {"[-a]", "-", true},
        {"[a-c-e]", "d", false},
        {"[a-c-e]", "-", true},
        {"[z-a]", "m", false},
        {"[\\]]", "]", true},
        {"[\\-]", "-", true},
        {"[a\\-z]", "m", false},
        {"[[:alpha:]]", "q", true},
        {"[[:alpha:]]", "9", false},
        {"[[:digit:][:upper:]]", "Q", true},
        {"[[:space:]]", " ", true},
        {"[[:punct:]]", "_", true},
        {"[[:xdigit:]]", "F", true},
        {"[[:xdigit:]]", "g", false},
        {"[[:alnum:]_]", "_", true},
        {"[[:foo:]]", "f", false},
        {"[[:ALPHA:]]", "A", false},
        {"[[:alpha]", "[", true},
        {"[[:alpha]", "a", true},
        {"[[=a=]]", "a", true},
        {"[[=a=]]", "b", false},
        {"[[.a.]]", "a", true},
        {"[[.ab.]]", "a", false},
        {"[[.a.]-c]", "b", true},
        {"[a-[.c.]]", "b", true},
        {"[[.-.]]", "-", true},
        {"[ab", "[ab", true},
        {"[ab", "a", false},
        {"[!ab", "[!ab", true},
        {"[a-", "a", false},
        {"x[", "x[", true},
        {"[*]", "*", true},
        {"[?]", "x", false},
        {"[\\", "[\\", false},
        {"\u00e4*", "\u00e4", true},
        {"[\u00e9]", "\u00e9", false},
        {"[a-\u00ff]", "\u00e9", false},
        {"\\x", "x", true},
        {"abc", "abc", true},
        {"abc", "abd", false},
        {"a?c", "a.c", true},
        {"*c", ".c", false},
    };

    static Stream<Arguments> glibc() {
        return Arrays.stream(GLIBC).map(c -> Arguments.of(c[0], c[1], c[2]));
    }

    @ParameterizedTest(name = "fnmatch(\"{0}\", \"{1}\") matches: {2}")
    @MethodSource("glibc")
    void matchesLikeGlibc(String pattern, String name, boolean expected) {
        assertThat(Glob.matches(pattern.getBytes(StandardCharsets.UTF_8), name.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(expected);
    }
}
