package org.jcasync.cli;

import org.junit.jupiter.api.Assumptions;
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
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.chunkFiles;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * SELinux labels (the {@code security.selinux} xattr, which root can set without an SELinux kernel, and which the
 * Debian casync, built with libselinux, archives): {@code make}, {@code digest}, {@code list} and {@code mtree} of a
 * labelled tree give casync's bytes and output, and {@code extract} leaves the same labels as casync's extract, on
 * every kind of file (symlinks, fifos, sockets and device nodes included), also when updating a tree in place.
 */
class SelinuxIT {
    @TempDir
    static Path work;

    static Path tree;

    static final String LABEL_DUMP = """
            import os, sys
            t = sys.argv[1]
            out = []
            for top, dirs, files in os.walk(t):
                for n in [top] + [os.path.join(top, f) for f in dirs + files]:
                    try:
                        v = os.getxattr(n, 'security.selinux', follow_symlinks=False).hex()
                    except OSError as e:
                        v = 'errno %d' % e.errno
                    out.append('%s %s' % (os.path.relpath(n, t), v))
            print('\\n'.join(sorted(out)))
            """;

    @BeforeAll
    static void makeTree() throws Exception {
        Tools.requireCasync();
        tree = work.resolve("tree");
        Tools.Result r = Tools.run(work, List.of("python3", "-c", """
                import os, sys, socket
                t = sys.argv[1]
                os.makedirs(os.path.join(t, 'dir/sub'))
                def w(p, b=b'x'):
                    with open(os.path.join(t, p), 'wb') as f:
                        f.write(b)
                def label(p, v):
                    os.setxattr(os.path.join(t, p), 'security.selinux', v, follow_symlinks=False)
                w('plain'); w('file'); w('nonul'); w('inner-nul'); w('long'); w('with-xattrs'); w('dir/sub/f')
                os.symlink('file', os.path.join(t, 'link'))
                os.symlink('/nowhere', os.path.join(t, 'dangling'))
                os.mkfifo(os.path.join(t, 'fifo'))
                s = socket.socket(socket.AF_UNIX); s.bind(os.path.join(t, 'sock')); s.close()
                os.mknod(os.path.join(t, 'null'), 0o20644, os.makedev(1, 3))
                label('.', b'system_u:object_r:root_t:s0\\0')
                label('file', b'system_u:object_r:etc_t:s0\\0')
                label('nonul', b'user_u:object_r:user_home_t:s0')
                label('inner-nul', b'a_t\\0tail')
                label('long', b'u:r:' + b'x' * 300 + b':s0\\0')
                label('dir', b'system_u:object_r:dir_t:s0-s0:c0.c1023\\0')
                label('dir/sub/f', b'f_t\\0')
                label('link', b'system_u:object_r:lnk_t:s0\\0')
                label('dangling', b'dangling_t\\0')
                label('fifo', b'fifo_t\\0')
                label('sock', b'sock_t\\0')
                label('null', b'null_device_t\\0')
                label('with-xattrs', b'x_t\\0')
                os.setxattr(os.path.join(t, 'with-xattrs'), 'user.a', b'1')
                os.setxattr(os.path.join(t, 'with-xattrs'), 'security.capability',
                            bytes.fromhex('0100000200200000000000000000000000000000'))
                """, tree.toString()));
        Assumptions.assumeTrue(r.exit() == 0, "cannot set security.selinux xattrs here (needs root): " + r.err());
    }

    static List<String> cmd(String verb, List<String> opts, String... rest) {
        List<String> a = new ArrayList<>(List.of(verb));
        a.addAll(opts);
        a.addAll(List.of(rest));
        return a;
    }

    static String same(List<String> args) throws Exception {
        String[] a = args.toArray(String[]::new);
        Tools.Result c = casync(work, a).ok();
        Tools.Result j = jcasync(work, a).ok();
        assertThat(j.out()).as(String.join(" ", args)).isEqualTo(c.out());
        return c.out();
    }

    static String labels(Path dir) throws Exception {
        return Tools.run(work, List.of("python3", "-c", LABEL_DUMP, dir.toString())).ok().out();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--without=selinux", "--with=unix --with=selinux", "--without=xattrs --without=fcaps"})
    void archivesAreIdentical(String options) throws Exception {
        List<String> o = options.isEmpty() ? List.of() : List.of(options.split(" "));
        String tag = Integer.toHexString(options.hashCode());
        String c = casync(work, cmd("make", o, "c-" + tag + ".catar", tree.toString()).toArray(String[]::new))
                .ok().out();
        String j = jcasync(work, cmd("make", o, "j-" + tag + ".catar", tree.toString()).toArray(String[]::new))
                .ok().out();
        assertSameBytes(work.resolve("c-" + tag + ".catar"), work.resolve("j-" + tag + ".catar"));
        assertThat(j).isEqualTo(c);
        boolean labelled = Files.readString(work.resolve("j-" + tag + ".catar"), java.nio.charset.StandardCharsets
                .ISO_8859_1).contains("null_device_t\0");
        assertThat(labelled).isEqualTo(!options.contains("without=selinux"));
        List<String> co = new ArrayList<>(o);
        co.add("--store=" + work.resolve("cs-" + tag));
        List<String> jo = new ArrayList<>(o);
        jo.add("--store=" + work.resolve("js-" + tag));
        casync(work, cmd("make", co, "c-" + tag + ".caidx", tree.toString()).toArray(String[]::new)).ok();
        jcasync(work, cmd("make", jo, "j-" + tag + ".caidx", tree.toString()).toArray(String[]::new)).ok();
        assertSameBytes(work.resolve("c-" + tag + ".caidx"), work.resolve("j-" + tag + ".caidx"));
        assertThat(chunkFiles(work.resolve("js-" + tag))).isEqualTo(chunkFiles(work.resolve("cs-" + tag)));
        assertThat(same(cmd("digest", o, tree.toString()))).isEqualTo(c);
        same(cmd("list", o, tree.toString()));
        same(cmd("mtree", o, tree.toString()));
        // and read back from the archive
        same(cmd("mtree", o, "c-" + tag + ".catar"));
    }

    @Test
    void anEmptyLabelIsArchivedAsCasyncDoes() throws Exception {
        // "\0" reads as the label "" through libselinux; casync writes a 17-byte SELINUX record that its own
        // decoder (and jcasync's) refuses
        Path odd = Files.createDirectories(work.resolve("odd"));
        Files.writeString(odd.resolve("f"), "f");
        Tools.run(work, List.of("python3", "-c",
                "import os,sys; os.setxattr(sys.argv[1], 'security.selinux', b'\\0')", odd.resolve("f").toString()))
                .ok();
        casync(work, "make", "c-odd.catar", odd.toString()).ok();
        jcasync(work, "make", "j-odd.catar", odd.toString()).ok();
        assertSameBytes(work.resolve("c-odd.catar"), work.resolve("j-odd.catar"));
    }

    @Test
    void extractSetsTheSameLabelsAsCasync() throws Exception {
        casync(work, "make", "x.catar", tree.toString()).ok();
        Path c = work.resolve("c-out");
        Path j = work.resolve("j-out");
        casync(work, "extract", "x.catar", c.toString()).ok();
        jcasync(work, "extract", "x.catar", j.toString()).ok();
        String want = labels(c);
        assertThat(want).contains("link " + hex("system_u:object_r:lnk_t:s0\0"), "fifo " + hex("fifo_t\0"),
                "nonul " + hex("user_u:object_r:user_home_t:s0\0"), "inner-nul " + hex("a_t\0"));
        assertThat(labels(j)).isEqualTo(want);
        // in place: changed labels are put back, by both
        for (Path t : List.of(c, j)) {
            Tools.run(work, List.of("python3", "-c", """
                    import os, sys
                    t = sys.argv[1]
                    for p in ['file', 'link', 'fifo', 'dir']:
                        os.setxattr(os.path.join(t, p), 'security.selinux', b'changed_t\\0', follow_symlinks=False)
                    """, t.toString())).ok();
        }
        casync(work, "extract", "x.catar", c.toString()).ok();
        jcasync(work, "extract", "x.catar", j.toString()).ok();
        assertThat(labels(c)).isEqualTo(want);
        assertThat(labels(j)).isEqualTo(want);
    }

    static String hex(String s) {
        return java.util.HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }
}
