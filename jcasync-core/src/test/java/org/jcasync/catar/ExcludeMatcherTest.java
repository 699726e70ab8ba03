package org.jcasync.catar;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The .caexclude rule semantics of casync 2's camatch.c, one directory level at a time. */
class ExcludeMatcherTest {
    private static ExcludeMatcher rules(String file) throws IOException {
        return ExcludeMatcher.parse(file.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean excludesFile(ExcludeMatcher m, String name) {
        return m.test(name.getBytes(StandardCharsets.UTF_8), false).excluded();
    }

    private static boolean excludesDir(ExcludeMatcher m, String name) {
        return m.test(name.getBytes(StandardCharsets.UTF_8), true).excluded();
    }

    /** The rules inside directory {@code name} (not excluded itself), from {@code m}. */
    private static ExcludeMatcher into(ExcludeMatcher m, String name) {
        ExcludeMatcher.Verdict v = m.test(name.getBytes(StandardCharsets.UTF_8), true);
        assertThat(v.excluded()).as(name + " excluded").isFalse();
        return v.below();
    }

    @Test
    void ruleWithoutSlashAppliesAtEveryDepth() throws IOException {
        ExcludeMatcher top = rules("*.o\ncore\n");
        assertThat(excludesFile(top, "main.o")).isTrue();
        assertThat(excludesDir(top, "core")).isTrue();
        assertThat(excludesFile(top, "main.c")).isFalse();
        ExcludeMatcher deep = into(into(top, "src"), "lib");
        assertThat(excludesFile(deep, "x.o")).isTrue();
        assertThat(excludesFile(deep, "core")).isTrue();
        assertThat(excludesFile(deep, "x.c")).isFalse();
    }

    @Test
    void slashAnywhereAnchorsToTheFilesDirectory() throws IOException {
        ExcludeMatcher top = rules("/tmp\nbuild/\nx/y\n");
        assertThat(excludesFile(top, "tmp")).isTrue();
        assertThat(excludesDir(top, "build")).isTrue();
        assertThat(excludesFile(top, "build")).as("directory-only").isFalse();
        assertThat(excludesDir(top, "x")).as("inner component").isFalse();
        assertThat(excludesFile(top, "y")).isFalse();
        ExcludeMatcher x = into(top, "x");
        assertThat(excludesFile(x, "y")).isTrue();
        assertThat(excludesDir(x, "y")).isTrue();
        assertThat(excludesFile(x, "z")).isFalse();
        assertThat(excludesFile(x, "tmp")).isFalse();
        assertThat(excludesDir(x, "build")).isFalse();
        ExcludeMatcher sub = into(top, "sub");
        assertThat(excludesFile(sub, "tmp")).isFalse();
        assertThat(excludesFile(into(sub, "x"), "y")).isFalse();
        assertThat(into(sub, "x").isEmpty()).isTrue();
    }

    @Test
    void innerComponentsAreGlobsAndMatchDirectoriesOnly() throws IOException {
        ExcludeMatcher top = rules("s*//*.tmp\na/b/c/\n");
        assertThat(excludesFile(into(top, "src"), "x.tmp")).isTrue();
        assertThat(excludesFile(into(top, "spec"), "x.tmp")).isTrue();
        assertThat(excludesFile(into(top, "test"), "x.tmp")).isFalse();
        assertThat(into(into(top, "src"), "deeper").isEmpty()).isTrue();
        ExcludeMatcher b = into(into(top, "a"), "b");
        assertThat(excludesDir(b, "c")).isTrue();
        assertThat(excludesFile(b, "c")).isFalse();
    }

    @Test
    void keepRulesWinOverExcludeRulesFromAnywhere() throws IOException {
        ExcludeMatcher top = rules("*.log\n!keep.log\n");
        assertThat(excludesFile(top, "a.log")).isTrue();
        assertThat(excludesFile(top, "keep.log")).isFalse();
        assertThat(excludesFile(into(top, "d"), "keep.log")).isFalse();
        // order does not matter, and a child directory's "!" cancels its parents' rules
        assertThat(excludesFile(rules("!x\nx\n"), "x")).isFalse();
        ExcludeMatcher child = into(rules("*.log\nsub/a.log\n"), "sub").with(rules("!a.log\n"));
        assertThat(excludesFile(child, "a.log")).isFalse();
        assertThat(excludesFile(child, "b.log")).isTrue();
        // an anchored keep rule only covers its own level
        ExcludeMatcher anchored = rules("*.log\n!/top.log\n");
        assertThat(excludesFile(anchored, "top.log")).isFalse();
        assertThat(excludesFile(into(anchored, "d"), "top.log")).isTrue();
    }

    @Test
    void leadingPeriodNeedsALiteralPeriod() throws IOException {
        ExcludeMatcher star = rules("*\n");
        assertThat(excludesFile(star, ".caexclude")).isFalse();
        assertThat(excludesDir(star, ".git")).isFalse();
        assertThat(excludesFile(star, "x")).isTrue();
        ExcludeMatcher dot = rules(".*\n");
        assertThat(excludesFile(dot, ".caexclude")).isTrue();
        assertThat(excludesFile(rules("[.]git\n"), ".git")).isFalse();
    }

    @Test
    void linesCommentsAndWhitespace() throws IOException {
        ExcludeMatcher m = rules("  # comment\n\n \t*.tmp \t\n#a\nb\0c\r\n\\#d\nlast");
        assertThat(excludesFile(m, "x.tmp")).isTrue();
        assertThat(excludesFile(m, "# comment")).isFalse();
        assertThat(excludesFile(m, "#a")).isFalse();
        assertThat(excludesFile(m, "b")).as("NUL ends a line").isTrue();
        assertThat(excludesFile(m, "c")).as("'\\r' stays part of the pattern").isFalse();
        assertThat(excludesFile(m, "c\r")).isTrue();
        assertThat(excludesFile(m, "#d")).isTrue();
        assertThat(excludesFile(m, "last")).as("without a final newline").isTrue();
        assertThat(excludesFile(rules("a b\n"), "a b")).isTrue();
        assertThat(rules("# only comments\n\n  \n").isEmpty()).isTrue();
        assertThat(excludesFile(rules("a//b\n").test(bytes("a"), true).below(), "b")).isTrue();
        assertThat(excludesFile(rules("!#x\n*\n"), "#x")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "//", "!", "!/", ".", "..", "/..", "a/../b", "x/./y", "./x", "a/.", "!.."})
    void invalidLinesMakeTheFileInvalid(String line) {
        assertThatThrownBy(() -> rules("ok\n" + line + "\n")).isInstanceOf(IOException.class)
                .hasMessageContaining("line 2");
    }

    @Test
    void linesOf64KiBOrMoreMakeTheFileInvalid() throws IOException {
        String ok = "a".repeat(ExcludeMatcher.LINE_MAX - 1);
        assertThat(excludesFile(rules(ok + "\n"), ok)).isTrue();
        assertThat(excludesFile(rules(ok), ok)).isTrue();
        assertThatThrownBy(() -> rules("#" + ok + "\n")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> rules(ok + "a")).isInstanceOf(IOException.class);
    }

    @Test
    void withAppendsAndEmptyIsNeutral() throws IOException {
        ExcludeMatcher a = rules("a\n");
        assertThat(ExcludeMatcher.NONE.with(a)).isSameAs(a);
        assertThat(a.with(ExcludeMatcher.NONE)).isSameAs(a);
        ExcludeMatcher both = a.with(rules("b\n"));
        assertThat(excludesFile(both, "a")).isTrue();
        assertThat(excludesFile(both, "b")).isTrue();
        assertThat(excludesFile(both, "c")).isFalse();
        assertThat(a.test(bytes("f"), false).below().isEmpty()).isTrue();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
