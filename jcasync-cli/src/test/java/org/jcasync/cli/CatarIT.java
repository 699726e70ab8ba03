package org.jcasync.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
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
 * Directory archives: {@code jcasync make X.catar DIR}, {@code make X.caidx DIR} and {@code digest DIR} give the same
 * bytes and the same printed digests as casync, over a tree with every entry type casync stores and awkward names,
 * modes, owners and timestamps. The main tree carries no xattrs, ACLs or chattr flags (checked); a second tree with
 * user./trusted. xattrs, file capabilities and chattr flags (incl. nodump) is compared separately.
 */
class CatarIT {
    @TempDir
    static Path work;

    static Path tree;

    @BeforeAll
    static void makeTree() throws Exception {
        tree = RichTree.buildForCasync(work, false);
        assertNoXattrs(tree);
    }

    static void sh(String... cmd) throws Exception {
        Tools.run(work, List.of(cmd)).ok();
    }

    /**
     * casync stores xattrs, ACLs, SELinux labels, fcaps and chattr flags by default: the main tree must have none
     * (no xattr of any namespace; none of the ten chattr flags casync maps), so the default-flag comparisons cover
     * exactly what the tree holds.
     */
    static void assertNoXattrs(Path dir) throws Exception {
        Tools.Result r = Tools.run(work, List.of("python3", "-c", """
                import os, sys, fcntl, struct, stat
                MAPPED = 0x20 | 0x80 | 0x4 | 0x800000 | 0x40 | 0x10000 | 0x10 | 0x8 | 0x400 | 0x20000000
                for top, dirs, files in os.walk(sys.argv[1]):
                    for n in [top] + [os.path.join(top, f) for f in dirs + files]:
                        x = os.listxattr(n, follow_symlinks=False)
                        if x: print(n, x)
                        m = os.lstat(n).st_mode
                        if stat.S_ISREG(m) or stat.S_ISDIR(m):
                            fd = os.open(n, os.O_RDONLY | os.O_NOFOLLOW)
                            try:
                                fl = struct.unpack('i', fcntl.ioctl(fd, 0x80086601, b'\\0' * 8)[:4])[0]
                            except OSError:
                                fl = 0
                            os.close(fd)
                            if fl & MAPPED: print(n, hex(fl))
                """, dir.toString())).ok();
        assertThat(r.out()).as("xattrs or chattr flags in the test tree").isEmpty();
    }

    record Made(byte[] bytes, String stdout) {
    }

    static Made casyncMake(Path dir, String name, List<String> opts) throws Exception {
        List<String> args = new ArrayList<>(List.of("make"));
        args.addAll(opts);
        args.add(name);
        args.add(dir.toString());
        Tools.Result r = casync(work, args.toArray(String[]::new)).ok();
        return new Made(Files.readAllBytes(work.resolve(name)), r.out());
    }

    static Made jcasyncMake(Path dir, String name, List<String> opts) throws Exception {
        List<String> args = new ArrayList<>(List.of("make"));
        args.addAll(opts);
        args.add(name);
        args.add(dir.toString());
        Tools.Result r = jcasync(work, args.toArray(String[]::new)).ok();
        return new Made(Files.readAllBytes(work.resolve(name)), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--with=unix", "--without=all", "--with=fat", "--digest=sha256",
        "--with=best --without=user-names", "--without=privileged", "--with=fuse", "--with=16bit-uids",
        "--with=32bit-uids --with=user-names --with=nsec-time", "--with=sec-time --with=permissions",
        "--with=usec-time --with=read-only", "--with=2sec-time", "--exclude-nodump=no --exclude-file=no",
        "--exclude-submounts=yes", "--without=symlinks --without=sockets", "--without=fifos --without=device-nodes",
        "--without=xattrs --without=acl --without=fcaps --without=selinux --without=chattr"})
    void catarIsByteIdentical(String options) throws Exception {
        List<String> opts = options.isEmpty() ? List.of() : List.of(options.split(" "));
        String tag = Integer.toHexString(options.hashCode());
        Made c = casyncMake(tree, "c-" + tag + ".catar", opts);
        Made j = jcasyncMake(tree, "j-" + tag + ".catar", opts);
        assertSameBytes(work.resolve("c-" + tag + ".catar"), work.resolve("j-" + tag + ".catar"));
        assertThat(j.stdout()).isEqualTo(c.stdout()).matches("[0-9a-f]{64}\n");
        assertThat(j.bytes().length).isGreaterThan(1 << 20);
    }

    @Test
    void whatArchiveAndStdout() throws Exception {
        Made c = casyncMake(tree, "c-what.catar", List.of("--what=archive"));
        Made j = jcasyncMake(tree, "j-what.catar", List.of("--what=archive"));
        assertThat(j.bytes()).isEqualTo(c.bytes());
        assertThat(j.stdout()).isEqualTo(c.stdout());
        // to standard output: the archive only (casync prints no digest then)
        Tools.Result cr = Tools.run(work, List.of("sh", "-c", "casync make - \"$0\" > c-stdout.catar", tree.toString()))
                .ok();
        Path jOut = work.resolve("j-stdout.catar");
        Tools.jcasyncStdoutTo(work, jOut, "make", "-", tree.toString()).ok();
        assertSameBytes(work.resolve("c-stdout.catar"), jOut);
        assertThat(Files.readAllBytes(jOut)).isEqualTo(c.bytes());
        assertThat(cr.out()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--digest=sha256", "--with=unix --chunk-size=4096"})
    void caidxIsByteIdentical(String options) throws Exception {
        List<String> opts = new ArrayList<>(options.isEmpty() ? List.of() : List.of(options.split(" ")));
        String tag = Integer.toHexString(options.hashCode());
        Path cs = work.resolve("cs-" + tag);
        Path js = work.resolve("js-" + tag);
        List<String> co = new ArrayList<>(opts);
        co.add("--store=" + cs);
        List<String> jo = new ArrayList<>(opts);
        jo.add("--store=" + js);
        Made c = casyncMake(tree, "c-" + tag + ".caidx", co);
        Made j = jcasyncMake(tree, "j-" + tag + ".caidx", jo);
        assertSameBytes(work.resolve("c-" + tag + ".caidx"), work.resolve("j-" + tag + ".caidx"));
        assertThat(j.stdout()).isEqualTo(c.stdout()).matches("[0-9a-f]{64}\n");
        assertThat(chunkFiles(js)).isEqualTo(chunkFiles(cs)).isNotEmpty();
        // the printed digest is the archive digest: the same as for the .catar
        Made cc = casyncMake(tree, "c-" + tag + "-plain.catar", opts.stream()
                .filter(s -> !s.startsWith("--chunk-size")).toList());
        assertThat(j.stdout()).isEqualTo(cc.stdout());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--digest=sha256", "--without=all", "--with=unix"})
    void digestOfDirectory(String options) throws Exception {
        List<String> args = new ArrayList<>(List.of("digest"));
        if (!options.isEmpty()) {
            args.addAll(List.of(options.split(" ")));
        }
        args.add(tree.toString());
        String c = casync(work, args.toArray(String[]::new)).ok().out();
        String j = jcasync(work, args.toArray(String[]::new)).ok().out();
        assertThat(j).isEqualTo(c).matches("[0-9a-f]{64}\n");
        // without an argument: the current directory
        String cd = casync(tree, "digest").ok().out();
        String jd = jcasync(tree, "digest").ok().out();
        assertThat(jd).isEqualTo(cd);
    }

    @Test
    void emptyDirectory() throws Exception {
        Path e = Files.createDirectories(work.resolve("empty-tree"));
        Made c = casyncMake(e, "c-empty.catar", List.of());
        Made j = jcasyncMake(e, "j-empty.catar", List.of());
        assertThat(j.bytes()).hasSize(104).isEqualTo(c.bytes());
        assertThat(j.stdout()).isEqualTo(c.stdout());
    }

    @Test
    void xattrsFcapsAndChattrFlags() throws Exception {
        Assumptions.assumeTrue(RichTree.asRoot(), "trusted.* xattrs and file capabilities need root");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/chattr")), "chattr not installed");
        Path x = Files.createDirectories(work.resolve("xattr-tree/d"));
        Path f = Files.write(x.resolveSibling("f"), "a".getBytes());
        Path g = Files.write(x.resolveSibling("g"), "b".getBytes());
        Path nodump = Files.write(x.resolveSibling("nodump"), "n".getBytes());
        Path cap = Files.write(x.resolveSibling("cap"), "c".getBytes());
        sh("python3", "-c", """
                import os, sys
                f, d, cap = sys.argv[1:4]
                os.setxattr(f, 'user.zeta', b'1'); os.setxattr(f, 'user.alpha', b'')
                os.setxattr(f, 'trusted.t', b'tt\\x00x'); os.setxattr(d, 'user.dir', b'v')
                os.setxattr(cap, 'security.capability', bytes.fromhex('0100000200200000000000000000000000000000'))
                """, f.toString(), x.toString(), cap.toString());
        Tools.Result a = Tools.run(work, List.of("chattr", "+A", g.toString()));
        Assumptions.assumeTrue(a.exit() == 0, "file system without chattr flags");
        sh("chattr", "+d", nodump.toString());
        for (String options : List.of("", "--without=xattrs", "--without=fcaps", "--exclude-nodump=no",
                "--with=unix", "--without=flag-noatime")) {
            List<String> opts = options.isEmpty() ? List.of() : List.of(options.split(" "));
            Made c = casyncMake(x.getParent(), "cx.catar", opts);
            Made j = jcasyncMake(x.getParent(), "jx.catar", opts);
            assertThat(j.bytes()).as(options).isEqualTo(c.bytes());
            assertThat(j.stdout()).as(options).isEqualTo(c.stdout());
        }
        sh("chattr", "-d", nodump.toString());
    }

    @Test
    void blobRulesStillHold() throws Exception {
        Tools.Result r = jcasync(work, "make", "x.caibx", tree.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("Input is a directory, but attempted to make blob index");
        Tools.Result f = jcasync(work, "make", "x.catar", tree.resolve("small").toString());
        assertThat(f.exit()).isNotZero();
        assertThat(f.err()).contains("attempted to make a directory archive");
    }

}
