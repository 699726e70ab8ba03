package org.jcasync.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * {@code list}, {@code mtree}, {@code stat} and {@code digest} print exactly what casync prints, for a directory,
 * a .catar and a .caidx of a tree with every entry type, awkward names, modes, owners, timestamps and xattrs, and
 * fail where casync fails.
 */
class ListMtreeIT {
    @TempDir
    static Path work;

    static Path tree;

    @BeforeAll
    static void makeTree() throws Exception {
        tree = RichTree.buildForCasync(work, true);
        // the archives, made by casync (so jcasync reads what casync wrote)
        for (String opts : List.of("", "--digest=sha256", "--with=unix", "--without=all --with=symlinks")) {
            String tag = tag(opts);
            List<String> a = new ArrayList<>(List.of("make"));
            if (!opts.isEmpty()) {
                a.addAll(List.of(opts.split(" ")));
            }
            List<String> c = new ArrayList<>(a);
            c.addAll(List.of(tag + ".catar", tree.toString()));
            casync(work, c.toArray(String[]::new)).ok();
            List<String> x = new ArrayList<>(a);
            x.addAll(List.of("--store=" + work.resolve("store-" + tag), tag + ".caidx", tree.toString()));
            casync(work, x.toArray(String[]::new)).ok();
        }
    }

    static String tag(String opts) {
        return "t" + Integer.toHexString(opts.hashCode());
    }

    static void sh(String... cmd) throws Exception {
        Tools.run(work, List.of(cmd)).ok();
    }

    /** Runs both tools with the same arguments; asserts the same stdout and exit status; returns stdout. */
    static String same(String... args) throws Exception {
        Tools.Result c = casync(work, args);
        Tools.Result j = jcasync(work, args);
        assertThat(j.out()).as(String.join(" ", args) + "\njcasync stderr: " + j.err()).isEqualTo(c.out());
        assertThat(j.exit()).as(String.join(" ", args) + " exit status; stderr " + j.err()).isEqualTo(c.exit());
        return c.out();
    }

    static List<String> inputs(String opts) {
        String tag = tag(opts);
        return List.of(tag + ".catar", tag + ".caidx");
    }

    static String[] args(String verb, String opts, String... rest) {
        List<String> a = new ArrayList<>(List.of(verb));
        if (!opts.isEmpty()) {
            a.addAll(List.of(opts.split(" ")));
        }
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--digest=sha256", "--with=unix", "--without=all --with=symlinks"})
    void listAndMtreeOfArchivesAndIndexes(String opts) throws Exception {
        for (String in : inputs(opts)) {
            String extra = in.endsWith(".caidx") ? "--store=" + work.resolve("store-" + tag(opts)) : null;
            for (String verb : List.of("list", "mtree")) {
                String out = extra == null ? same(verb, in) : same(verb, extra, in);
                assertThat(out).contains("\\303\\274n\\303\\257c\\303\\266d\\303\\251"); // "ünïcödé", escaped
                assertThat(out.lines().count()).isGreaterThan(25);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--digest=sha256", "--with=unix", "--without=all --with=symlinks"})
    void listAndMtreeOfDirectory(String opts) throws Exception {
        same(args("list", opts, tree.toString()));
        same(args("mtree", opts, tree.toString()));
        same(args("stat", opts, tree.toString()));
    }

    @Test
    void mtreeLabelFollowsDigestOptionButDigestFollowsArchive() throws Exception {
        // casync quirk: --digest names the label, the archive's flag picks the algorithm
        String o = same("mtree", "--digest=sha256", tag("") + ".catar");
        assertThat(o).contains("sha256digest=");
        same("mtree", tag("--digest=sha256") + ".catar");
    }

    @Test
    void statOfEveryNode() throws Exception {
        String catar = tag("") + ".catar";
        String caidx = tag("") + ".caidx";
        String store = "--store=" + work.resolve("store-" + tag(""));
        String listing = casync(work, "list", catar).ok().out();
        List<String> paths = listing.lines().map(l -> l.substring(11)).toList();
        for (String p : List.of(".", "small", "link", "dangling", "fifo", "sock", "dir/nested/deeper/file",
                "setuid", "setuid-nox", "sticky", "sticky-nox", "read-only", "empty", "random-1MiB", "dir/up")) {
            assertThat(paths).contains(p);
            String arg = p.equals(".") ? "" : p;
            assertThat(same("stat", catar, arg)).startsWith("    File: " + p + "\n");
            same("stat", store, caidx, arg);
        }
        if (RichTree.asRoot()) {
            for (String p : List.of("null", "blk", "owned-1234", "owned-nobody")) {
                same("stat", catar, p);
            }
        }
        assertThat(same("stat", catar, "small")).contains("   XAttr: user.zeta → 1\\040\\000\\377\\043\n");
        same("stat", tag("--with=unix") + ".catar", "small");
        same("stat", tag("--without=all --with=symlinks") + ".catar", "link");
        same("stat", catar);
    }

    @Test
    void subtreesAndSeekPaths() throws Exception {
        String catar = tag("") + ".catar";
        for (String p : List.of("dir", "/dir/", "dir//nested", "dir/nested/deeper/file", "small", "/", "")) {
            same("list", catar, p);
            same("mtree", catar, p);
        }
        // not found: both fail
        same("list", catar, "nope");
        same("stat", catar, "./dir");
        same("stat", catar, "dir/nope");
    }

    @Test
    void digestOfArchivesIndexesAndPaths() throws Exception {
        for (String opts : List.of("", "--digest=sha256")) {
            String catar = tag(opts) + ".catar";
            String caidx = tag(opts) + ".caidx";
            String store = "--store=" + work.resolve("store-" + tag(opts));
            String d = same("digest", catar);
            assertThat(d).matches("[0-9a-f]{64}\n");
            assertThat(same("digest", store, caidx)).isEqualTo(d);
            // casync ignores --digest for archives
            assertThat(same("digest", "--digest=sha256", catar)).isEqualTo(d);
            for (String p : List.of("small", "dir", "dir/nested", "empty", "random-1MiB")) {
                same("digest", catar, p);
                same("digest", store, caidx, p);
            }
            same("digest", catar, "link");
            same("digest", catar, "nope");
        }
    }

    @Test
    void badInputsFailLikeCasync() throws Exception {
        Files.write(work.resolve("plain-file"), new byte[] {1, 2, 3});
        same("list", "plain-file");
        same("list", tree.toString(), "small");
        same("list", "missing.catar");
        // a truncated archive is an error for jcasync (casync loops forever on it: not compared)
        byte[] a = Files.readAllBytes(work.resolve(tag("") + ".catar"));
        Files.write(work.resolve("cut.catar"), java.util.Arrays.copyOf(a, a.length / 2));
        Tools.Result j = jcasync(work, "list", "cut.catar");
        assertThat(j.exit()).isEqualTo(1);
        assertThat(j.err()).contains("truncated").contains("offset");
    }
}
