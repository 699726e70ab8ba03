package org.jcasync.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.chunkFiles;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * {@code .caexclude} files: {@code make X.catar|X.caidx DIR}, {@code digest DIR}, {@code list DIR} and
 * {@code mtree DIR} give what casync gives over a tree with rule files at several levels using every rule form casync
 * knows (globs, classes, ranges, escapes, anchored paths, directory-only rules, "!" exceptions, comments, blank lines,
 * surrounding whitespace, CRLF and NUL line ends, a symlinked rule file, a rule file excluding itself, an excluded
 * directory whose own invalid rule file is never read), with the default flags, {@code --exclude-file=no} (which
 * casync 2+20201210 records but does not act on) and other options. Invalid rule files fail both tools.
 */
class ExcludeIT {
    @TempDir
    static Path work;

    static Path tree;
    static boolean nodump;

    @BeforeAll
    static void makeTree() throws Exception {
        Tools.requireCasync();
        tree = Files.createDirectory(work.resolve("tree"));
        rules("", "# top-level rules", "", "   *.o  \t", "/top-only", "build/", "cache/tmp", "s?c/*.gen",
                "[Tt]emp*", "!important.o", "docs/*/draft/", "*.bak\r", "\\#hash", "log[0-9]", ".hidden-excluded",
                "[!a-m]*.txt", "[[:digit:]]*.num", "[]]x", "\u00fc*", "*.fifo", "//multi//x//y//", "ab\\?");
        files("keep.c", "drop.o", "important.o", "top-only", "build/f", "build/.caexclude", "cache/tmp",
                "cache/tmp2", "src/a.gen", "src/a.c", "src/Tempdir/f", "sxc/b.gen", "Temp1", "temp.txt", "ATemp",
                "docs/v1/draft/f",
                "docs/v1/final/f", "docs/v2/draft", "x.bak", "y.bak\r", "#hash", "log1", "log10", "logx",
                ".hidden-excluded", ".hidden", "n.txt", "a.txt", "9.num", "x.num", "]x", "\u00fcbel", "ueber",
                "multi/x/y/f", "multi/x/y2/f", "multi/z/x/y/f", "ab?", "abc", ".o",
                "sub/top-only", "sub/drop.o", "sub/important.o", "sub/build/f", "sub/cache/tmp", "sub/src/a.gen",
                "sub/tempdir/f", "sub/temp.txt", "sub/keep.c", "sub/deeper/x", "sub/deeper/y", "sub/x",
                "sub/sub2/keep.c", "sub/sub2/temp9", "sub/sub2/Temp9", "sub/sub2/deeper/x",
                "self/foo", "self/bar", "lnk/a", "lnk/b", "lnk/rules", "nul/a", "nul/b", "nul/c", "star/x",
                "star/keep", "star/.dot", "star/dir/y");
        // a file of an excluded directory: never read, so its invalid rules do not matter
        Files.writeString(tree.resolve("build/.caexclude"), "/\n");
        // nested files add rules and cancel inherited ones
        rules("sub", "keep.c", "!temp*", "deeper/x");
        rules("sub/sub2", "!keep.c");
        // a rule file that excludes itself, a symlinked one, NUL line ends, "*" with an exception
        rules("self", ".caexclude", "foo");
        Files.writeString(tree.resolve("lnk/rules"), "a\n");
        Files.createSymbolicLink(tree.resolve("lnk/.caexclude"), Path.of("rules"));
        Files.write(tree.resolve("nul/.caexclude"), "a\0b\n".getBytes(StandardCharsets.US_ASCII));
        rules("star", "*", "!keep");
        // symlinks and fifos are matched like any entry
        Files.createSymbolicLink(tree.resolve("link.o"), Path.of("keep.c"));
        Files.createSymbolicLink(tree.resolve("link.c"), Path.of("drop.o"));
        sh("mkfifo", tree.resolve("pipe.fifo").toString());
        // a rule file with chattr's nodump flag is not archived (with --exclude-nodump=yes) but still read
        Path nd = Files.createDirectories(tree.resolve("nodump"));
        rules("nodump", "x");
        files("nodump/x", "nodump/y");
        nodump = Tools.run(work, List.of("chattr", "+d", nd.resolve(".caexclude").toString())).exit() == 0;
    }

    /** Writes DIR/.caexclude with these lines (each ended by '\n'). */
    static void rules(String dir, String... lines) throws Exception {
        Path d = Files.createDirectories(tree.resolve(dir));
        StringBuilder s = new StringBuilder();
        for (String l : lines) {
            s.append(l).append('\n');
        }
        Files.writeString(d.resolve(".caexclude"), s.toString());
    }

    /** Creates these files (and their directories), each containing its own name. */
    static void files(String... names) throws Exception {
        for (String n : names) {
            Path p = tree.resolve(n);
            Files.createDirectories(p.getParent());
            if (!Files.exists(p)) {
                Files.writeString(p, n + "\n");
            }
        }
    }

    static void sh(String... cmd) throws Exception {
        Tools.run(work, List.of(cmd)).ok();
    }

    static List<String> opts(String options) {
        return options.isEmpty() ? List.of() : List.of(options.split(" "));
    }

    /** Runs both tools with the same arguments; asserts the same stdout and exit status; returns stdout. */
    static String same(List<String> args) throws Exception {
        String[] a = args.toArray(String[]::new);
        Tools.Result c = casync(work, a);
        Tools.Result j = jcasync(work, a);
        assertThat(j.out()).as(String.join(" ", args) + "\njcasync stderr: " + j.err()).isEqualTo(c.out());
        assertThat(j.exit()).as(String.join(" ", args) + " exit status; stderr " + j.err()).isEqualTo(c.exit());
        return c.out();
    }

    static List<String> cmd(String verb, List<String> opts, String... rest) {
        List<String> a = new ArrayList<>(List.of(verb));
        a.addAll(opts);
        a.addAll(List.of(rest));
        return a;
    }

    @Test
    void casyncExcludesWhatTheRulesSay() throws Exception {
        String list = casync(work, "list", tree.toString()).ok().out();
        List<String> names = list.lines().map(l -> l.substring(l.indexOf(' ') + 1)).toList();
        assertThat(names).contains(".caexclude", "keep.c", "important.o", "ATemp", "cache/tmp2", "src/a.c",
                "docs/v1/final/f", "docs/v2/draft", "x.bak", "log10", "logx", ".hidden", "a.txt", "x.num", "ueber",
                "multi/x/y2/f", "multi/z/x/y/f", "abc", ".o", "link.c", "sub/top-only", "sub/important.o",
                "sub/build/f", "sub/cache/tmp", "sub/src/a.gen", "sub/temp.txt", "sub/tempdir/f", "sub/deeper/y",
                "sub/x",
                "sub/sub2/keep.c", "sub/sub2/temp9", "sub/sub2/deeper/x", "self/bar", "lnk/.caexclude", "lnk/b",
                "lnk/rules", "nul/c", "nul/.caexclude", "star/keep", "star/.dot", "star/.caexclude", "nodump/y");
        assertThat(names).doesNotContain("drop.o", "top-only", "build", "build/f", "cache/tmp", "src/a.gen",
                "sxc/b.gen", "src/Tempdir", "Temp1", "temp.txt", "docs/v1/draft", "#hash", "log1",
                ".hidden-excluded", "n.txt",
                "9.num", "]x", "\\303\\274bel", "multi/x/y", "ab?", "link.o", "pipe.fifo", "sub/drop.o",
                "sub/keep.c", "sub/deeper/x", "sub/sub2/Temp9", "self/.caexclude", "self/foo",
                "lnk/a", "nul/a", "nul/b", "star/x", "star/dir", "nodump/x");
        assertThat(names).noneMatch(n -> n.startsWith("y.bak")); // "*.bak\r" (a CRLF line) matches only it
        if (nodump) {
            assertThat(names).doesNotContain("nodump/.caexclude");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--exclude-file=no", "--exclude-nodump=no", "--exclude-file=no --exclude-nodump=no",
        "--without=all", "--with=unix --digest=sha256", "--without=symlinks --without=fifos"})
    void catarCaidxAndDigestAreIdentical(String options) throws Exception {
        String tag = Integer.toHexString(options.hashCode());
        List<String> o = opts(options);
        String c = casync(work, cmd("make", o, "c-" + tag + ".catar", tree.toString()).toArray(String[]::new))
                .ok().out();
        String j = jcasync(work, cmd("make", o, "j-" + tag + ".catar", tree.toString()).toArray(String[]::new))
                .ok().out();
        assertSameBytes(work.resolve("c-" + tag + ".catar"), work.resolve("j-" + tag + ".catar"));
        assertThat(j).isEqualTo(c).matches("[0-9a-f]{64}\n");

        List<String> co = new ArrayList<>(o);
        co.add("--store=" + work.resolve("cs-" + tag));
        List<String> jo = new ArrayList<>(o);
        jo.add("--store=" + work.resolve("js-" + tag));
        String ci = casync(work, cmd("make", co, "c-" + tag + ".caidx", tree.toString()).toArray(String[]::new))
                .ok().out();
        String ji = jcasync(work, cmd("make", jo, "j-" + tag + ".caidx", tree.toString()).toArray(String[]::new))
                .ok().out();
        assertSameBytes(work.resolve("c-" + tag + ".caidx"), work.resolve("j-" + tag + ".caidx"));
        assertThat(ji).isEqualTo(ci).isEqualTo(c);
        assertThat(chunkFiles(work.resolve("js-" + tag))).isEqualTo(chunkFiles(work.resolve("cs-" + tag)))
                .isNotEmpty();

        assertThat(same(cmd("digest", o, tree.toString()))).isEqualTo(c);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--exclude-file=no", "--exclude-nodump=no", "--without=all"})
    void listAndMtreeOfTheDirectoryAreIdentical(String options) throws Exception {
        List<String> o = opts(options);
        assertThat(same(cmd("list", o, tree.toString()))).contains(" keep.c\n").doesNotContain(" drop.o\n");
        assertThat(same(cmd("mtree", o, tree.toString()))).contains("\nkeep.c ").doesNotContain("\ndrop.o ");
        // a subdirectory given as the input: its rule files only, the parent's are not consulted
        assertThat(same(cmd("list", o, tree.resolve("sub").toString()))).contains(" drop.o\n");
        same(cmd("mtree", o, tree.resolve("sub/sub2").toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "!", "a/../b", "x/./y", "..", "  !/  "})
    void invalidRuleFilesFailBothTools(String line) throws Exception {
        Path bad = Files.createDirectories(work.resolve("bad-" + Integer.toHexString(line.hashCode()) + "/d"));
        Files.writeString(bad.resolve("f"), "f");
        Files.writeString(bad.resolve(".caexclude"), "ok\n" + line + "\n");
        assertFailsInBoth(bad.getParent());
    }

    @Test
    void unreadableRuleFilesFailBothTools() throws Exception {
        Path dir = Files.createDirectories(work.resolve("bad-dir/d/.caexclude"));
        Files.writeString(dir.resolveSibling("f"), "f");
        assertFailsInBoth(dir.getParent().getParent());
        Path dangling = Files.createDirectories(work.resolve("bad-link/d"));
        Files.createSymbolicLink(dangling.resolve(".caexclude"), Path.of("nowhere"));
        assertFailsInBoth(dangling.getParent());
        Path longLine = Files.createDirectories(work.resolve("bad-long"));
        Files.writeString(longLine.resolve(".caexclude"), "#" + "x".repeat(65535) + "\n");
        assertFailsInBoth(longLine);
        // one byte shorter is fine
        Path ok = Files.createDirectories(work.resolve("ok-long"));
        Files.writeString(ok.resolve(".caexclude"), "#" + "x".repeat(65534) + "\n");
        Files.writeString(ok.resolve("f"), "f");
        same(cmd("list", List.of(), ok.toString()));
        same(cmd("digest", List.of(), ok.toString()));
    }

    static void assertFailsInBoth(Path dir) throws Exception {
        String tag = Integer.toHexString(dir.hashCode());
        Tools.Result c = casync(work, "make", "cf-" + tag + ".catar", dir.toString());
        Tools.Result j = jcasync(work, "make", "jf-" + tag + ".catar", dir.toString());
        assertThat(c.exit()).as("casync exit status").isNotZero();
        assertThat(j.exit()).as("jcasync exit status; stderr " + j.err()).isNotZero();
        assertThat(j.err()).contains(".caexclude");
        assertThat(Files.exists(work.resolve("jf-" + tag + ".catar")))
                .isEqualTo(Files.exists(work.resolve("cf-" + tag + ".catar")));
        assertThat(jcasync(work, "digest", dir.toString()).exit()).isNotZero();
        assertThat(casync(work, "digest", dir.toString()).exit()).isNotZero();
    }
}
