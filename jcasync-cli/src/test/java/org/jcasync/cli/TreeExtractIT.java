package org.jcasync.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * {@code jcasync extract X.catar|X.caidx DIR}: directory trees. The result is compared with what casync itself
 * extracts ({@code casync mtree}, {@code casync digest} and an independent lstat/xattr/chattr/content snapshot),
 * updates in place touch only what changed, seeds supply files and chunks, hostile archives and hostile targets
 * cannot write outside the target, and a killed extraction leaves every file old or new.
 */
class TreeExtractIT {
    @TempDir
    static Path work;

    /** Every entry type and metadata kind casync can archive and extract here. */
    static Path tree;
    /** Version 1 and 2 of a small tree for the update tests (v1 is also the seed tree). */
    static Path v1;
    static Path v2;
    static boolean root;

    /** Shared by the tree builders: writes files, sets mtimes of everything to a fixed value. */
    static final String PY_COMMON = """
            import os, sys, random, socket, subprocess, shutil
            def w(t, p, b):
                with open(os.path.join(t, p), 'wb') as f:
                    f.write(b)
            def fix_times(t, ns):
                for top, dirs, files in os.walk(t, topdown=False):
                    for n in dirs + files:
                        os.utime(os.path.join(top, n), ns=(ns, ns), follow_symlinks=False)
                os.utime(t, ns=(ns, ns))
            T = 1600000000123456789
            """;

    static final String PY_MAIN_TREE = PY_COMMON + """
            t = sys.argv[1]
            root = os.geteuid() == 0
            os.makedirs(t)
            r = random.Random(int(sys.argv[2]))
            w(t, 'small', b'hello\\n'); w(t, 'empty', b'')
            w(t, 'big', r.randbytes(3 << 20))
            with open(os.path.join(t, 'sparse'), 'wb') as f:
                f.write(b'head'); f.seek(4 << 20); f.write(b'middle'); f.truncate(8 << 20)
            d = t
            for i in range(30):
                d = os.path.join(d, 'level%02d' % i); os.mkdir(d)
            w(d, 'deepfile', b'deep')
            os.mkdir(os.path.join(t, 'emptydir'))
            os.symlink('small', os.path.join(t, 'rel-link'))
            os.symlink('/etc/hostname', os.path.join(t, 'abs-link'))
            os.symlink('../nowhere/x', os.path.join(t, 'dangling'))
            os.symlink('level00/level01', os.path.join(t, 'dir-link'))
            os.mkfifo(os.path.join(t, 'fifo'))
            s = socket.socket(socket.AF_UNIX); s.bind(os.path.join(t, 'sock')); s.close()
            w(t, 'hl1', b'hard link content'); os.link(os.path.join(t, 'hl1'), os.path.join(t, 'hl2'))
            w(t, 'xa', b'xattrs')
            os.setxattr(os.path.join(t, 'xa'), 'user.b', b'2\\x00\\xff')
            os.setxattr(os.path.join(t, 'xa'), 'user.a', b'')
            os.setxattr(os.path.join(t, 'emptydir'), 'user.dir', b'v')
            w(t, 'suid', b's'); os.chmod(os.path.join(t, 'suid'), 0o4755)
            w(t, 'sgid-file', b's'); os.chmod(os.path.join(t, 'sgid-file'), 0o2711)
            os.mkdir(os.path.join(t, 'sgid')); os.chmod(os.path.join(t, 'sgid'), 0o2750)
            os.mkdir(os.path.join(t, 'sticky')); os.chmod(os.path.join(t, 'sticky'), 0o1777)
            w(t, 'ro', b'ro'); os.chmod(os.path.join(t, 'ro'), 0o444)
            w(t, 'exec', b'#!/bin/sh\\n'); os.chmod(os.path.join(t, 'exec'), 0o700)
            for n in ['with space', '\\u00fcn\\u00efc\\u00f6d\\u00e9 \\u2713', 'new\\nline', '-dash', '.hidden',
                      'back\\\\slash', 'tab\\tname', '#hash']:
                w(t, n, n.encode())
            if root:
                os.mknod(os.path.join(t, 'null'), 0o20644, os.makedev(1, 3))
                os.mknod(os.path.join(t, 'blk'), 0o60640, os.makedev(7, 200))
                os.setxattr(os.path.join(t, 'xa'), 'trusted.t', b'tt')
                w(t, 'cap', b'cap')
                os.setxattr(os.path.join(t, 'cap'), 'security.capability',
                            bytes.fromhex('0100000200200000000000000000000000000000'))
                w(t, 'owned', b'o'); os.chown(os.path.join(t, 'owned'), 1234, 5678)
                os.chown(os.path.join(t, 'dangling'), 1234, 5678, follow_symlinks=False)
                os.chown(os.path.join(t, 'sgid'), 1, 1)
                os.chown(os.path.join(t, 'fifo'), 4321, 8765)
            w(t, 'noatime', b'A')
            subprocess.run(['chattr', '+A', os.path.join(t, 'noatime')])
            os.utime(os.path.join(t, 'empty'), ns=(0, 2))
            os.utime(os.path.join(t, 'small'), ns=(0, 86400000000007))
            os.utime(os.path.join(t, 'big'), ns=(0, 7000000000987654321))
            os.utime(os.path.join(t, 'rel-link'), ns=(0, 1600000000123456789), follow_symlinks=False)
            os.utime(os.path.join(t, 'emptydir'), ns=(0, 1))
            os.utime(os.path.join(t, 'level00'), ns=(0, 999999999))
            """;

    static final String PY_V1 = PY_COMMON + """
            t = sys.argv[1]
            os.makedirs(t)
            r = random.Random(int(sys.argv[2]))
            w(t, 'keep.bin', r.randbytes(1 << 20))
            w(t, 'change.bin', r.randbytes(3 << 20))
            w(t, 'grow.txt', b'abc')
            w(t, 'removed.txt', b'gone')
            w(t, 'f2d', b'file becomes a directory')
            os.mkdir(os.path.join(t, 'd2f')); w(t, 'd2f/a.txt', b'a'); w(t, 'd2f/b.txt', b'b')
            os.symlink('keep.bin', os.path.join(t, 'link'))
            os.symlink('keep.bin', os.path.join(t, 'samelink'))
            w(t, 'mode.txt', b'mode'); os.chmod(os.path.join(t, 'mode.txt'), 0o644)
            w(t, 'mtime.txt', b'mtime')
            w(t, 'xattr.txt', b'xattr'); os.setxattr(os.path.join(t, 'xattr.txt'), 'user.a', b'1')
            w(t, 'owner.txt', b'owner')
            os.mkfifo(os.path.join(t, 'fifo'))
            os.mkdir(os.path.join(t, 'sub'))
            w(t, 'sub/keep2.bin', r.randbytes(200000)); w(t, 'sub/gone.txt', b'g')
            os.makedirs(os.path.join(t, 'rmdir/x')); w(t, 'rmdir/x/y.txt', b'y')
            fix_times(t, T)
            """;

    /** Turns a copy of v1 into v2. */
    static final String PY_V2 = PY_COMMON + """
            t = sys.argv[1]
            r = random.Random(int(sys.argv[2]))
            j = lambda p: os.path.join(t, p)
            with open(j('change.bin'), 'r+b') as f:
                f.seek(3 << 19); f.write(r.randbytes(4096))
            w(t, 'grow.txt', b'abcdef')
            os.remove(j('removed.txt'))
            os.remove(j('f2d')); os.mkdir(j('f2d')); w(t, 'f2d/inner.txt', b'inner')
            shutil.rmtree(j('d2f')); w(t, 'd2f', b'the directory became a file')
            os.remove(j('link')); os.symlink('change.bin', j('link'))
            os.chmod(j('mode.txt'), 0o600)
            os.setxattr(j('xattr.txt'), 'user.a', b'2'); os.setxattr(j('xattr.txt'), 'user.b', b'3')
            if os.geteuid() == 0:
                os.chown(j('owner.txt'), 1234, 5678)
            else:
                os.chmod(j('owner.txt'), 0o640)
            os.remove(j('sub/gone.txt'))
            shutil.rmtree(j('rmdir'))
            w(t, 'added.txt', b'added'); os.mkdir(j('newdir')); w(t, 'newdir/n.txt', b'n')
            fix_times(t, T)
            os.utime(j('mtime.txt'), ns=(T, T + 1000))
            """;

    /**
     * One line per entry (sorted, no following of symlinks): path, type and mode, owner, mtime in ns, size, link
     * count and SHA-256 of regular files, symlink target, device numbers, every xattr (any namespace) with its value,
     * and the chattr flags casync maps.
     */
    static final String PY_SNAPSHOT = """
            import os, sys, stat, hashlib, fcntl, struct
            MAPPED = 0x20 | 0x80 | 0x4 | 0x800000 | 0x40 | 0x10000 | 0x10 | 0x8 | 0x400 | 0x20000000
            def flags(p, m):
                if not (stat.S_ISREG(m) or stat.S_ISDIR(m)):
                    return 0
                fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                try:
                    return struct.unpack('i', fcntl.ioctl(fd, 0x80086601, b'\\0' * 8)[:4])[0] & MAPPED
                except OSError:
                    return 0
                finally:
                    os.close(fd)
            def walk(p, rel):
                st = os.lstat(p)
                m = st.st_mode
                f = [repr(rel), oct(m), st.st_uid, st.st_gid, st.st_mtime_ns]
                if stat.S_ISREG(m):
                    h = hashlib.sha256()
                    with open(p, 'rb') as fh:
                        for b in iter(lambda: fh.read(1 << 20), b''):
                            h.update(b)
                    f += ['size', st.st_size, 'nlink', st.st_nlink, h.hexdigest()]
                if stat.S_ISLNK(m):
                    f += ['->', repr(os.readlink(p))]
                if stat.S_ISCHR(m) or stat.S_ISBLK(m):
                    f += ['dev', os.major(st.st_rdev), os.minor(st.st_rdev)]
                try:
                    xs = sorted(os.listxattr(p, follow_symlinks=False))
                except OSError:
                    xs = []
                f += ['xattrs', [(x, os.getxattr(p, x, follow_symlinks=False).hex()) for x in xs]]
                f += ['flags', hex(flags(p, m))]
                print(*f)
                if stat.S_ISDIR(m):
                    for c in sorted(os.listdir(p)):
                        walk(os.path.join(p, c), rel + b'/' + c)
            walk(os.fsencode(sys.argv[1]), b'.')
            """;

    @BeforeAll
    static void makeTrees() throws Exception {
        Tools.requireCasync();
        root = "root".equals(System.getProperty("user.name"));
        tree = work.resolve("tree");
        py(PY_MAIN_TREE, tree.toString(), Long.toString(ItFiles.SEED));
        v1 = work.resolve("v1");
        py(PY_V1, v1.toString(), Long.toString(ItFiles.SEED + 1));
        v2 = work.resolve("v2");
        Tools.run(work, List.of("cp", "-a", v1.toString(), v2.toString())).ok();
        py(PY_V2, v2.toString(), Long.toString(ItFiles.SEED + 2));
    }

    // ---- helpers ----

    static Tools.Result py(String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", script));
        cmd.addAll(List.of(args));
        return Tools.run(work, cmd).ok();
    }

    static String snapshot(Path dir) throws Exception {
        String s = py(PY_SNAPSHOT, dir.toString()).out();
        assertThat(s).as("snapshot of " + dir).isNotEmpty();
        return s;
    }

    static String mtree(Path dirOrArchive, String... opts) throws Exception {
        List<String> args = new ArrayList<>(List.of("mtree"));
        args.addAll(List.of(opts));
        args.add(dirOrArchive.toString());
        return casync(work, args.toArray(String[]::new)).ok().out();
    }

    static String[] args(String first, List<String> opts, String... rest) {
        List<String> a = new ArrayList<>();
        a.add(first);
        a.addAll(opts);
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }

    static List<String> split(String opts) {
        return opts.isBlank() ? List.of() : List.of(opts.trim().split(" +"));
    }

    /** Relative paths of every {@code .#*} entry below {@code dir} (temporary files left behind). */
    static List<String> tempFiles(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (Stream<Path> w = Files.walk(dir)) {
            return w.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith(".#"))
                    .map(p -> dir.relativize(p).toString()).toList();
        }
    }

    /** The counters of the --print-stats JSON (stdout). */
    static Map<String, Long> json(Tools.Result r) {
        String j = r.out().trim();
        assertThat(j).as("JSON on stdout; stderr: " + r.err()).startsWith("{").endsWith("}").doesNotContain("\n");
        Map<String, Long> m = new HashMap<>();
        Matcher x = Pattern.compile("\"(\\w+)\":(\\d+)").matcher(j);
        while (x.find()) {
            m.put(x.group(1), Long.parseLong(x.group(2)));
        }
        List<String> treeKeys = List.of("entries", "unchanged", "metadataUpdated", "written", "fromSeed",
                "hardlinked", "directoriesCreated", "deleted", "skipped", "bytesKept", "bytesFromSeeds", "bytesWritten");
        for (String k : treeKeys) {
            assertThat(m).as("JSON " + j).containsKey(k);
        }
        // Only the tree's counters: a .caidx extract adds its stores' transfer counters.
        m.keySet().retainAll(treeKeys);
        return m;
    }

    /** The one "jcasync: extract: ..." report line on stderr. */
    static String reportLine(Tools.Result r) {
        List<String> lines = r.err().lines().filter(l -> l.startsWith("jcasync: extract: ")).toList();
        assertThat(lines).as("report lines in stderr:\n" + r.err()).hasSize(1);
        return lines.get(0);
    }

    /** The report line's counts, checked against the JSON of the same run. */
    static Map<String, Long> reportAndJson(Tools.Result r) {
        Map<String, Long> m = json(r);
        String l = reportLine(r);
        Matcher x = Pattern.compile("^jcasync: extract: (\\d+) entries: (\\d+) unchanged, (\\d+) metadata updated, "
                + "(\\d+) written").matcher(l);
        assertThat(x.find()).as(l).isTrue();
        assertThat(List.of(Long.parseLong(x.group(1)), Long.parseLong(x.group(2)), Long.parseLong(x.group(3)),
                Long.parseLong(x.group(4)))).as("report line vs JSON: " + l)
                .isEqualTo(List.of(m.get("entries"), m.get("unchanged"), m.get("metadataUpdated"), m.get("written")));
        return m;
    }

    /** The MiB read from the stores, from the JSON report ("bytes-downloaded"). */
    static double storeMiB(Tools.Result r) {
        Matcher x = Pattern.compile("\"bytes-downloaded\":(\\d+)").matcher(r.out());
        assertThat(x.find()).as("bytes-downloaded in " + r.out()).isTrue();
        assertThat(reportLine(r)).contains(" downloaded in ").contains("saved versus a full download");
        return Long.parseLong(x.group(1)) / 1048576.0;
    }

    static long blocks(Path p) throws Exception {
        return Long.parseLong(Tools.run(work, List.of("stat", "-c", "%b", p.toString())).ok().out().trim());
    }

    static Object inode(Path p) throws IOException {
        return Files.readAttributes(p, "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
    }

    static int nlink(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    }

    static long payloadBytes(Path dir) throws IOException {
        try (Stream<Path> w = Files.walk(dir)) {
            return w.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }).sum();
        }
    }

    /** Every regular file of {@code source} has the same bytes at the same path under {@code copy}. */
    static void assertSameFiles(Path source, Path copy) throws IOException {
        int n = 0;
        try (Stream<Path> w = Files.walk(source)) {
            for (Path p : (Iterable<Path>) w::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    assertSameBytes(p, copy.resolve(source.relativize(p).toString()));
                    n++;
                }
            }
        }
        assertThat(n).isGreaterThan(5);
    }

    /** The failure contract: exit != 0, one "jcasync: " line without a stack trace, no temporary files. */
    static void assertCleanFailure(Tools.Result r, Path target, String... mustContain) throws IOException {
        assertThat(r.exit()).as("exit status; stderr: " + r.err()).isNotZero();
        List<String> lines = r.err().lines().toList();
        assertThat(lines).as("stderr lines").hasSize(1);
        assertThat(lines.get(0)).startsWith("jcasync: ").doesNotContain("Exception", "\tat ", "Error:");
        if (mustContain.length > 0) {
            assertThat(lines.get(0)).contains(mustContain);
        }
        if (target != null) {
            assertThat(tempFiles(target)).as("temporary files left in " + target).isEmpty();
        }
    }

    // ---- 1. interoperability ----

    /**
     * casync makes a .catar and a .caidx with MAKE flags; casync and jcasync extract both with EXTRACT flags: the
     * trees are identical (mtree, digest, snapshot with xattrs/chattr, contents, sparseness). Then casync extracts
     * a .caidx jcasync made: the same tree again.
     */
    @ParameterizedTest
    @ValueSource(strings = {"|", "--with=unix|", "--without=xattrs|", "|--without=xattrs"})
    void freshExtractEqualsCasyncs(String flags) throws Exception {
        String[] f = flags.split("\\|", -1);
        List<String> make = split(f[0]);
        List<String> ext = split(f[1]);
        Path d = Files.createDirectory(work.resolve("interop-" + Integer.toHexString(flags.hashCode())));
        String digest = casync(d, args("make", make, "c.catar", tree.toString())).ok().out().trim();
        casync(d, args("make", make, "--store=cs.castr", "c.caidx", tree.toString())).ok();
        casync(d, args("extract", ext, "c.catar", "cx")).ok();
        String expectedMtree = mtree(d.resolve("cx"));
        String expectedSnap = snapshot(d.resolve("cx"));
        if (make.isEmpty() && ext.isEmpty()) {
            // casync's own extract reproduces the source exactly: the reference is meaningful.
            assertThat(expectedMtree).isEqualTo(mtree(tree));
            assertThat(expectedSnap).contains("user.b", "'./sparse'", "'./fifo'", "'./sock'", "'./new\\nline'");
        }

        Tools.Result jx = jcasync(d, args("extract", ext, "--print-stats", "c.catar", "jx")).ok();
        Tools.Result jxi = jcasync(d, args("extract", ext, "--print-stats", "--store=cs.castr", "c.caidx", "jxi"))
                .ok();
        for (String out : List.of("jx", "jxi")) {
            Path o = d.resolve(out);
            assertThat(mtree(o)).as("mtree of jcasync's extract " + out).isEqualTo(expectedMtree);
            assertThat(snapshot(o)).as("snapshot of jcasync's extract " + out).isEqualTo(expectedSnap);
            assertSameFiles(tree, o);
            assertThat(blocks(o.resolve("sparse")) * 512).as("allocated bytes of the sparse file")
                    .isLessThan(Files.size(o.resolve("sparse")) / 8);
            assertThat(tempFiles(o)).isEmpty();
        }
        if (ext.isEmpty()) {
            assertThat(casync(d, args("digest", make, d.resolve("jx").toString())).ok().out().trim())
                    .as("casync digest of the extracted tree").isEqualTo(digest);
        }
        Map<String, Long> m = reportAndJson(jx);
        assertThat(m.get("entries")).isEqualTo(expectedMtree.lines().count());
        assertThat(m.get("unchanged") + m.get("metadataUpdated") + m.get("deleted") + m.get("fromSeed")).isZero();
        assertThat(m.get("written") + m.get("directoriesCreated") + m.get("skipped")).isEqualTo(m.get("entries"));
        assertThat(m.get("bytesWritten")).isEqualTo(payloadBytes(tree));
        assertThat(reportAndJson(jxi)).isEqualTo(m);

        if (!ext.isEmpty()) {
            return; // (b) below depends on the make flags only
        }
        // (b) casync extracts what jcasync made.
        jcasync(d, args("make", make, "--store=js.castr", "j.caidx", tree.toString())).ok();
        casync(d, args("extract", ext, "--store=js.castr", "j.caidx", "cj")).ok();
        assertThat(mtree(d.resolve("cj"))).isEqualTo(expectedMtree);
        assertThat(snapshot(d.resolve("cj"))).isEqualTo(expectedSnap);
    }

    /**
     * Things casync archives but cannot extract itself (its temporary name overflows a 255-byte name; it refuses
     * pre-1970 times), and names that are not UTF-8: jcasync restores them exactly as the source had them.
     */
    @Test
    void longNamesAndPre1970Times() throws Exception {
        Path d = Files.createDirectory(work.resolve("odd"));
        Path src = d.resolve("src");
        py(PY_COMMON + """
                t = sys.argv[1]
                os.makedirs(t)
                long = 'L' * 255
                w(t, long, b'long name')
                os.mkdir(os.path.join(t, 'D' * 255)); w(t, os.path.join('D' * 255, 'E' * 255), b'deeper')
                w(t, 'epoch-minus-1.5s', b'x'); os.utime(os.path.join(t, 'epoch-minus-1.5s'), ns=(0, -1500000000))
                w(t, '1901', b'y'); os.utime(os.path.join(t, '1901'), ns=(0, -2147483648123456789))
                w(t, 'minus-3ns', b'z'); os.utime(os.path.join(t, 'minus-3ns'), ns=(0, -3))
                os.symlink(long, os.path.join(t, 'link'))
                os.utime(os.path.join(t, 'link'), ns=(0, -7), follow_symlinks=False)
                os.utime(os.path.join(t, 'D' * 255), ns=(0, -86400000000001))
                tb = os.fsencode(t)
                w(tb, b'\\xff\\xfe-not-utf8-\\xe9', b'latin-1 name')
                os.mkdir(os.path.join(tb, b'dir-\\xe9')); w(tb, b'dir-\\xe9/f\\x80', b'inside')
                """, src.toString());
        casync(d, "make", "odd.catar", src.toString()).ok();
        casync(d, "make", "--store=s.castr", "odd.caidx", src.toString()).ok();
        String expected = snapshot(src);
        jcasync(d, "extract", "odd.catar", "out").ok();
        assertThat(snapshot(d.resolve("out"))).isEqualTo(expected);
        jcasync(d, "extract", "--store=s.castr", "odd.caidx", "outi").ok();
        assertThat(snapshot(d.resolve("outi"))).isEqualTo(expected);
        assertThat(mtree(d.resolve("out"))).isEqualTo(mtree(src));
    }

    /**
     * casync stores mtime as an unsigned 64-bit count of nanoseconds and restores times after 2262 (beyond a signed
     * 64-bit ns count, still within ext4's range up to 2446) exactly; jcasync must restore the same time.
     */
    @Test
    void mtimeAfter2262RestoredLikeCasync() throws Exception {
        Path d = Files.createDirectory(work.resolve("future"));
        Path src = d.resolve("src");
        py(PY_COMMON + """
                t = sys.argv[1]
                os.makedirs(t)
                w(t, 'y2381', b'future')
                os.utime(os.path.join(t, 'y2381'), ns=(0, 13000000000987654321))
                """, src.toString());
        casync(d, "make", "f.catar", src.toString()).ok();
        casync(d, "extract", "f.catar", "cx").ok();
        String expected = snapshot(src);
        assertThat(snapshot(d.resolve("cx"))).as("casync's own extract").isEqualTo(expected);
        jcasync(d, "extract", "f.catar", "jx").ok();
        assertThat(snapshot(d.resolve("jx"))).isEqualTo(expected);
    }

    // ---- 2. update in place ----

    record Version(Path archive, String store) {
    }

    /** v1 and v2 as .catar (store null) or .caidx, made by casync. */
    static Version[] versions(Path d, String kind) throws Exception {
        Version[] v = new Version[2];
        for (int i = 0; i < 2; i++) {
            Path src = i == 0 ? v1 : v2;
            Path a = d.resolve("v" + (i + 1) + "." + kind);
            if (kind.equals("catar")) {
                casync(d, "make", a.toString(), src.toString()).ok();
                v[i] = new Version(a, null);
            } else {
                casync(d, "make", "--store=s.castr", a.toString(), src.toString()).ok();
                v[i] = new Version(a, "--store=" + d.resolve("s.castr"));
            }
        }
        return v;
    }

    static Tools.Result extract(Path d, Version v, String out, String... opts) throws Exception {
        List<String> a = new ArrayList<>(List.of("extract", "--print-stats"));
        if (v.store() != null) {
            a.add(v.store());
        }
        a.addAll(List.of(opts));
        a.add(v.archive().toString());
        a.add(out);
        return jcasync(d, a.toArray(String[]::new)).ok();
    }

    static final List<String> KEPT = List.of("keep.bin", "samelink", "fifo", "sub/keep2.bin", "sub", "mode.txt",
            "mtime.txt", "xattr.txt", "owner.txt", "");
    static final List<String> REWRITTEN = List.of("change.bin", "grow.txt", "link", "d2f");

    @ParameterizedTest
    @ValueSource(strings = {"catar", "caidx"})
    void updateInPlaceTouchesOnlyWhatChanged(String kind) throws Exception {
        Path d = Files.createDirectory(work.resolve("update-" + kind));
        Version[] v = versions(d, kind);
        Path out = d.resolve("out");
        extract(d, v[0], "out");
        assertThat(mtree(out)).isEqualTo(mtree(v1));
        Map<String, Object> before = new HashMap<>();
        for (String p : KEPT) {
            before.put(p, inode(out.resolve(p)));
        }
        for (String p : REWRITTEN) {
            before.put(p, inode(out.resolve(p)));
        }

        Tools.Result r = extract(d, v[1], "out");
        assertThat(mtree(out)).isEqualTo(mtree(v2));
        assertThat(snapshot(out)).isEqualTo(snapshot(v2));
        assertSameFiles(v2, out);
        assertThat(tempFiles(out)).isEmpty();
        for (String p : KEPT) {
            assertThat(inode(out.resolve(p))).as("inode of unchanged or metadata-only '" + p + "'")
                    .isEqualTo(before.get(p));
        }
        for (String p : REWRITTEN) {
            assertThat(inode(out.resolve(p))).as("inode of rewritten '" + p + "' (temp file + rename)")
                    .isNotEqualTo(before.get(p));
        }
        Map<String, Long> m = reportAndJson(r);
        // 19 entries: unchanged keep.bin samelink fifo sub/keep2.bin; metadata mode.txt mtime.txt xattr.txt
        // owner.txt and the directories whose listing changed (root, sub: their mtime is reset); written change.bin
        // grow.txt d2f link added.txt f2d/inner.txt newdir/n.txt; new directories f2d newdir; deleted removed.txt
        // sub/gone.txt rmdir (one subtree).
        assertThat(m.get("entries")).as(m.toString()).isEqualTo(19);
        assertThat(m.get("unchanged")).as(m.toString()).isEqualTo(4);
        assertThat(m.get("metadataUpdated")).as(m.toString()).isEqualTo(6);
        assertThat(m.get("written")).as(m.toString()).isEqualTo(7);
        assertThat(m.get("directoriesCreated")).as(m.toString()).isEqualTo(2);
        assertThat(m.get("deleted")).as(m.toString()).isEqualTo(3);
        assertThat(m.get("fromSeed") + m.get("hardlinked") + m.get("skipped")).as(m.toString()).isZero();
        assertThat(m.get("bytesKept") + m.get("bytesWritten") + m.get("bytesFromSeeds")).as(m.toString())
                .isEqualTo(payloadBytes(v2));
        // keep.bin, keep2.bin, the metadata-only files and change.bin's unchanged first MiB stay in place.
        assertThat(m.get("bytesKept")).as(m.toString())
                .isGreaterThanOrEqualTo((1 << 20) + 200_000L + (1 << 20));
        assertThat(m.get("bytesWritten")).as(m.toString()).isLessThan(3L << 20);

        // Again: nothing to do.
        Tools.Result again = extract(d, v[1], "out");
        Map<String, Long> a = reportAndJson(again);
        assertThat(a.get("unchanged")).as(a.toString()).isEqualTo(a.get("entries")).isEqualTo(19);
        assertThat(a.get("written") + a.get("metadataUpdated") + a.get("deleted") + a.get("directoriesCreated")
                + a.get("bytesWritten")).as(a.toString()).isZero();
        assertThat(mtree(out)).isEqualTo(mtree(v2));
        for (String p : KEPT) {
            assertThat(inode(out.resolve(p))).isEqualTo(before.get(p));
        }
    }

    @Test
    void deleteNoKeepsExtraEntriesAndSeedOutputNoRewrites() throws Exception {
        Path d = Files.createDirectory(work.resolve("delete-no"));
        Version[] v = versions(d, "catar");
        Path out = d.resolve("out");
        extract(d, v[0], "out");
        Files.writeString(out.resolve("sub/local-extra"), "mine");
        Tools.Result r = extract(d, v[1], "out", "--delete=no");
        Map<String, Long> m = reportAndJson(r);
        assertThat(m.get("deleted")).isZero();
        List<String> extra = List.of("removed.txt", "rmdir", "rmdir/x", "rmdir/x/y.txt", "sub/gone.txt",
                "sub/local-extra");
        for (String e : extra) {
            assertThat(out.resolve(e)).exists();
        }
        assertSameBytes(v1.resolve("rmdir/x/y.txt"), out.resolve("rmdir/x/y.txt"));
        String kept = mtree(out).lines().filter(l -> extra.stream().noneMatch(e -> l.startsWith(e + " ")))
                .reduce("", (x, y) -> x + y + "\n");
        assertThat(kept).isEqualTo(mtree(v2));

        // --delete=yes (the default) then removes them.
        Tools.Result y = extract(d, v[1], "out");
        assertThat(json(y).get("deleted")).isEqualTo(4); // removed.txt, rmdir, sub/gone.txt, sub/local-extra
        assertThat(mtree(out)).isEqualTo(mtree(v2));

        // --seed-output=no: nothing of the target is reused, every file is written anew.
        Object keep = inode(out.resolve("keep.bin"));
        Map<String, Long> n = json(extract(d, v[1], "out", "--seed-output=no"));
        assertThat(inode(out.resolve("keep.bin"))).isNotEqualTo(keep);
        assertThat(n.get("bytesWritten")).as(n.toString()).isEqualTo(payloadBytes(v2));
        assertThat(n.get("bytesKept")).as(n.toString()).isZero();
        assertThat(n.get("written")).as("every non-directory entry: " + n).isEqualTo(15);
        assertThat(mtree(out)).isEqualTo(mtree(v2));
    }

    /** Every change of entry type between two versions, applied in place (incl. a symlink to outside -> dir). */
    @Test
    void typeChangesInPlace() throws Exception {
        Path d = Files.createDirectory(work.resolve("types"));
        Path outside = Files.createDirectory(d.resolve("outside"));
        Files.writeString(outside.resolve("inner"), "outside");
        String outsideBefore = snapshot(outside);
        Path a = d.resolve("a");
        Path b = d.resolve("b");
        String common = PY_COMMON + """
                import stat
                j = lambda p: os.path.join(t, p)
                def make(kind, p, arg=None):
                    if kind == 'file': w(t, p, b'file ' + p.encode())
                    elif kind == 'link': os.symlink(arg, j(p))
                    elif kind == 'dir':
                        os.makedirs(j(p + '/inner/deeper')); w(t, p + '/inner/deeper/f', b'deep')
                    elif kind == 'fifo': os.mkfifo(j(p))
                    elif kind == 'sock':
                        s = socket.socket(socket.AF_UNIX); s.bind(j(p)); s.close()
                    elif kind == 'chr' and os.geteuid() == 0: os.mknod(j(p), 0o20644, os.makedev(1, 3))
                    elif kind == 'chr': w(t, p, b'no mknod')
                t, which, outside = sys.argv[1], int(sys.argv[2]), sys.argv[3]
                os.makedirs(t)
                pairs = {'f2l': ('file', 'link'), 'l2f': ('link', 'file'), 'd2l': ('dir', 'link'),
                         'l2d': ('link', 'dir'), 'fifo2f': ('fifo', 'file'), 'f2fifo': ('file', 'fifo'),
                         'd2fifo': ('dir', 'fifo'), 'sock2l': ('sock', 'link'), 'f2chr': ('file', 'chr'),
                         'chr2f': ('chr', 'file'), 'd2sock': ('dir', 'sock'), 'l2l': ('link', 'link')}
                for name, kinds in pairs.items():
                    make(kinds[which], name, outside if kinds[which] == 'link' and which == 0 else 'v2-target')
                fix_times(t, T + which)
                """;
        py(common, a.toString(), "0", outside.toString());
        py(common, b.toString(), "1", outside.toString());
        casync(d, "make", "a.catar", a.toString()).ok();
        casync(d, "make", "b.catar", b.toString()).ok();
        jcasync(d, "extract", "a.catar", "out").ok();
        assertThat(mtree(d.resolve("out"))).isEqualTo(mtree(a));
        Map<String, Long> m = json(jcasync(d, "extract", "--print-stats", "b.catar", "out").ok());
        assertThat(mtree(d.resolve("out"))).isEqualTo(mtree(b));
        assertThat(snapshot(d.resolve("out"))).isEqualTo(snapshot(b));
        assertThat(snapshot(outside)).isEqualTo(outsideBefore);
        assertThat(tempFiles(d.resolve("out"))).isEmpty();
        assertThat(m.get("unchanged") + m.get("deleted")).as(m.toString()).isZero();
    }

    @Test
    void immutableFilesNeedUndoImmutable() throws Exception {
        Path d = Files.createDirectory(work.resolve("immutable"));
        Version[] v = versions(d, "catar");
        Path out = d.resolve("out");
        extract(d, v[0], "out");
        List<String> locked = List.of("change.bin", "removed.txt", "keep.bin", "rmdir/x/y.txt");
        for (String p : locked) {
            Tools.Result r = Tools.run(d, List.of("chattr", "+i", out.resolve(p).toString()));
            org.junit.jupiter.api.Assumptions.assumeTrue(r.exit() == 0, "no chattr +i here: " + r.err());
        }
        try {
            Tools.Result no = jcasync(d, "extract", v[1].archive().toString(), "out");
            assertCleanFailure(no, out);
            assertSameBytes(v1.resolve("change.bin"), out.resolve("change.bin"));

            Tools.Result yes = jcasync(d, "extract", "--undo-immutable=yes", v[1].archive().toString(), "out").ok();
            assertThat(mtree(out)).isEqualTo(mtree(v2));
            assertThat(snapshot(out)).isEqualTo(snapshot(v2));
            assertThat(tempFiles(out)).isEmpty();
            assertThat(reportLine(yes)).contains(" 3 deleted");
        } finally {
            Tools.run(d, List.of("chattr", "-R", "-i", out.toString()));
        }
    }

    // ---- sub-trees ----

    /** casync's third argument: the entry at PATH is extracted into DIR under its own name, nothing else. */
    @Test
    void subtreeExtractMatchesCasync() throws Exception {
        Path d = Files.createDirectory(work.resolve("subtree"));
        Version[] v = versions(d, "caidx");
        for (String path : List.of("sub", "/sub//", "keep.bin", "sub/keep2.bin")) {
            String tag = path.replaceAll("[^a-z0-9]", "_");
            Path j = d.resolve("j" + tag);
            Path c = d.resolve("c" + tag);
            jcasync(d, "extract", v[1].store(), v[1].archive().toString(), j.toString(), path).ok();
            casync(d, "extract", v[1].store(), v[1].archive().toString(), c.toString(), path).ok();
            // The holder directory itself gets no archive metadata (its mtime differs): compare what is in it.
            assertThat(withoutRoot(mtree(j))).as(path).isEqualTo(withoutRoot(mtree(c)));
            assertThat(tempFiles(j)).isEmpty();
        }
        assertThat(Files.list(d.resolve("jsub")).map(p -> p.getFileName().toString()).toList())
                .containsExactly("sub");
        Tools.Result missing = jcasync(d, "extract", v[1].store(), v[1].archive().toString(),
                d.resolve("none").toString(), "no/such/path");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("'no/such/path' is not in the archive");
        Tools.Result blob = jcasync(d, "extract", "x.caibx", d.resolve("o").toString(), "sub");
        assertThat(blob.err()).contains("Subtree path only supported when extracting archive or archive index.");
    }

    static String withoutRoot(String mtree) {
        return mtree.lines().filter(l -> !l.startsWith(". ")).collect(java.util.stream.Collectors.joining("\n"));
    }

    // ---- 3. seeds ----

    @Test
    void seedTreeSuppliesChunksAndFiles() throws Exception {
        Path d = Files.createDirectory(work.resolve("seeds"));
        Version[] v = versions(d, "caidx");
        Tools.Result plain = extract(d, v[1], "plain");
        assertThat(mtree(d.resolve("plain"))).isEqualTo(mtree(v2));
        double plainMiB = storeMiB(plain);
        assertThat(plainMiB).as(reportLine(plain)).isGreaterThan(3.5);

        Tools.Result seeded = extract(d, v[1], "seeded", "--seed=" + v1, "--seed-chunks=yes");
        Path out = d.resolve("seeded");
        assertThat(mtree(out)).isEqualTo(mtree(v2));
        assertThat(snapshot(out)).isEqualTo(snapshot(v2));
        assertSameFiles(v2, out);
        Map<String, Long> m = reportAndJson(seeded);
        if (reflinks(v1, d)) {
            // Equal seed files are cloned: keep.bin and sub/keep2.bin at least.
            assertThat(m.get("bytesFromSeeds")).as(m.toString()).isGreaterThanOrEqualTo((1 << 20) + 200_000L);
            assertThat(m.get("fromSeed")).as(m.toString()).isGreaterThanOrEqualTo(2);
        } else {
            // Without clones or --hardlink, seed files are not compared (copying costs what writing does): the seed
            // serves chunks only.
            assertThat(m.get("bytesFromSeeds") + m.get("fromSeed")).as(m.toString()).isZero();
        }
        assertThat(m.get("bytesKept") + m.get("bytesWritten") + m.get("bytesFromSeeds")).as(m.toString())
                .isEqualTo(payloadBytes(v2));
        String line = reportLine(seeded);
        Matcher x = Pattern.compile("; (\\d+) chunks \\(([0-9.]+) MiB\\) from seed " + Pattern.quote(v1.toString()))
                .matcher(line);
        assertThat(x.find()).as(line).isTrue();
        assertThat(Long.parseLong(x.group(1))).as(line).isPositive();
        assertThat(storeMiB(seeded)).as(line).isLessThan(plainMiB / 2);
        assertThat(nlink(out.resolve("keep.bin"))).as("copies, not links, without --hardlink").isEqualTo(1);
        assertThat(tempFiles(out)).isEmpty();

        // By default (--seed-chunks=auto) a local store is read rather than a seed tree chunked.
        Tools.Result auto = extract(d, v[1], "auto", "--seed=" + v1);
        assertThat(mtree(d.resolve("auto"))).isEqualTo(mtree(v2));
        assertThat(reportLine(auto)).doesNotContain("from seed ");
        assertThat(storeMiB(auto)).as(reportLine(auto)).isEqualTo(plainMiB);
    }

    /** Whether a file in {@code from} can be cloned into {@code to} (btrfs, XFS; not ext4). */
    static boolean reflinks(Path from, Path to) throws Exception {
        Path probe = to.resolve("reflink-probe");
        Tools.Result r = Tools.run(work, List.of("cp", "--reflink=always", from.resolve("keep.bin").toString(),
                probe.toString()));
        Files.deleteIfExists(probe);
        return r.exit() == 0;
    }

    @Test
    void hardlinkYesLinksUnchangedSeedFiles() throws Exception {
        Path d = Files.createDirectory(work.resolve("hardlink"));
        Version[] v = versions(d, "caidx");
        Path seed = d.resolve("seed");
        Tools.run(d, List.of("cp", "-a", v1.toString(), seed.toString())).ok();
        Tools.Result r = extract(d, v[1], "out", "--seed=" + seed, "--hardlink=yes");
        Path out = d.resolve("out");
        assertThat(mtree(out)).isEqualTo(mtree(v2));
        for (String p : List.of("keep.bin", "sub/keep2.bin")) {
            assertThat(Files.isSameFile(out.resolve(p), seed.resolve(p))).as(p + " linked to the seed").isTrue();
            assertThat(nlink(out.resolve(p))).isEqualTo(2);
        }
        // Same content but other metadata: not linked (that would change the seed).
        for (String p : List.of("mode.txt", "mtime.txt", "xattr.txt", "owner.txt")) {
            assertThat(nlink(out.resolve(p))).as(p).isEqualTo(1);
            assertThat(nlink(seed.resolve(p))).as(p).isEqualTo(1);
        }
        assertThat(mtree(seed)).as("the seed is not modified").isEqualTo(mtree(v1));
        Map<String, Long> m = reportAndJson(r);
        assertThat(m.get("hardlinked")).as(m.toString()).isEqualTo(2);
        assertThat(m.get("bytesFromSeeds")).as(m.toString()).isGreaterThanOrEqualTo((1 << 20) + 200_000L);
        assertThat(m.get("bytesKept") + m.get("bytesWritten") + m.get("bytesFromSeeds")).as(m.toString())
                .isEqualTo(payloadBytes(v2));
    }

    @Test
    void missingSeedIsAOneLineError() throws Exception {
        Path d = Files.createDirectory(work.resolve("missing-seed"));
        Version[] v = versions(d, "caidx");
        Tools.Result r = jcasync(d, "extract", v[1].store(), "--seed=" + d.resolve("no-such-dir"),
                v[1].archive().toString(), "out");
        assertCleanFailure(r, d.resolve("out"), "no-such-dir");
    }

    // ---- 4. safety ----

    @Test
    void symlinkInTheTargetDoesNotRedirectWrites() throws Exception {
        Path d = Files.createDirectory(work.resolve("symlink-target"));
        Path src = Files.createDirectories(d.resolve("src/a/deeper"));
        Files.writeString(d.resolve("src/a/f1"), "one");
        Files.writeString(src.resolve("f2"), "two");
        Files.writeString(d.resolve("src/victim"), "archive's victim");
        Files.writeString(d.resolve("src/same-size"), "0123456789");
        casync(d, "make", "s.catar", d.resolve("src").toString()).ok();

        Path outside = Files.createDirectory(d.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "do not touch");
        Files.writeString(outside.resolve("same-size"), "abcdefghij");
        Files.createDirectories(outside.resolve("deeper"));
        String outsideBefore = snapshot(outside);
        Path out = Files.createDirectory(d.resolve("out"));
        Files.createSymbolicLink(out.resolve("a"), outside);
        Files.createSymbolicLink(out.resolve("victim"), outside.resolve("secret"));
        Files.createSymbolicLink(out.resolve("same-size"), outside.resolve("same-size"));
        Files.createSymbolicLink(out.resolve("extra"), outside);
        jcasync(d, "extract", "s.catar", "out").ok();

        assertThat(snapshot(outside)).as("the directory outside the target").isEqualTo(outsideBefore);
        assertThat(Files.isSymbolicLink(out.resolve("a"))).isFalse();
        assertThat(Files.isDirectory(out.resolve("a"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.isSymbolicLink(out.resolve("victim"))).isFalse();
        assertThat(Files.exists(out.resolve("extra"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(mtree(out)).isEqualTo(mtree(d.resolve("src")));
        assertThat(tempFiles(out)).isEmpty();
    }

    @Test
    void symlinkInTheTargetDoesNotRedirectWritesWithCaidxAndSeed() throws Exception {
        Path d = Files.createDirectory(work.resolve("symlink-target-caidx"));
        Path src = Files.createDirectories(d.resolve("src/a"));
        Files.write(src.resolve("f"), ItFiles.random(300, 300_000));
        Files.setLastModifiedTime(src.resolve("f"), java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L));
        casync(d, "make", "--store=s.castr", "s.caidx", d.resolve("src").toString()).ok();
        Path outside = Files.createDirectory(d.resolve("outside"));
        // The same content and mtime as the archive's a/f: following the symlink would find a perfect seed file.
        Files.write(outside.resolve("f"), ItFiles.random(300, 300_000));
        Files.setLastModifiedTime(outside.resolve("f"),
                java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L));
        String outsideBefore = snapshot(outside);
        Path out = Files.createDirectory(d.resolve("out"));
        Files.createSymbolicLink(out.resolve("a"), outside);
        Path seed = Files.createDirectory(d.resolve("seed"));
        Files.createSymbolicLink(seed.resolve("a"), outside);
        jcasync(d, "extract", "--store=s.castr", "--seed=" + seed, "--hardlink=yes", "s.caidx", "out").ok();
        assertThat(snapshot(outside)).isEqualTo(outsideBefore);
        assertThat(mtree(out)).isEqualTo(mtree(d.resolve("src")));
    }

    /** A small valid archive made by casync whose FILENAME records the tests patch. */
    static byte[] hostileBase(Path d) throws Exception {
        Path src = Files.createDirectories(d.resolve("src"));
        Files.writeString(src.resolve("0first"), "first");
        Path aa = Files.createDirectory(src.resolve("aa"));
        Files.writeString(aa.resolve("escape"), "escaped!");
        Path a = Files.createDirectory(src.resolve("a"));
        Files.writeString(a.resolve("dotfile"), "dot");
        Files.writeString(src.resolve("a_b"), "slash");
        Files.writeString(src.resolve("zlast"), "last");
        casync(d, "make", "base.catar", src.toString()).ok();
        return Files.readAllBytes(d.resolve("base.catar"));
    }

    /** The offset of the FILENAME record (its header) holding {@code name}. */
    static int filenameRecord(byte[] archive, String name) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(archive).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 16 + n.length <= archive.length; i++) {
            if (b.getLong(i + 8) == 0x6dbb6ebcb3161f0bL && b.getLong(i) == 16 + n.length
                    && Arrays.equals(archive, i + 16, i + 16 + n.length, n, 0, n.length)) {
                return i;
            }
        }
        throw new AssertionError("no FILENAME " + name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"aa=..", "a=.", "a_b=a/b", "a_b=a\0b", "aa=/x", "a="})
    void hostileFileNamesAreRefused(String patch) throws Exception {
        Path d = Files.createDirectory(work.resolve("hostile-" + Integer.toHexString(patch.hashCode())));
        byte[] arc = hostileBase(d);
        String from = patch.substring(0, patch.indexOf('='));
        String to = patch.substring(patch.indexOf('=') + 1);
        int at = filenameRecord(arc, from);
        if (to.isEmpty()) {
            // An empty name: the record shrinks to a lone NUL (what follows is then misaligned too).
            ByteBuffer.wrap(arc).order(ByteOrder.LITTLE_ENDIAN).putLong(at, 17);
            arc[at + 16] = 0;
        } else {
            byte[] t = to.getBytes(StandardCharsets.UTF_8);
            assertThat(t.length).isEqualTo(from.length());
            System.arraycopy(t, 0, arc, at + 16, t.length);
        }
        Files.write(d.resolve("bad.catar"), arc);
        boolean slashXExisted = Files.exists(Path.of("/x"), LinkOption.NOFOLLOW_LINKS);
        Path sandbox = Files.createDirectory(d.resolve("sandbox"));
        Tools.Result r = jcasync(d, "extract", "bad.catar", sandbox.resolve("target").toString());
        assertCleanFailure(r, sandbox.resolve("target"));
        try (Stream<Path> s = Files.list(sandbox)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).as("entries next to the target")
                    .containsExactly("target");
        }
        try (Stream<Path> s = Files.list(d)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("bad.catar", "base.catar", "sandbox", "src");
        }
        Path target = sandbox.resolve("target");
        for (String p : List.of("escape", "dotfile", "a/b", "x", "a/escape")) {
            assertThat(Files.exists(target.resolve(p), LinkOption.NOFOLLOW_LINKS))
                    .as("written via a hostile name: " + p).isFalse();
        }
        if (!slashXExisted) {
            assertThat(Files.exists(Path.of("/x"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        }
    }

    @Test
    void truncatedAndGarbageArchivesFailCleanly() throws Exception {
        Path d = Files.createDirectory(work.resolve("truncated"));
        Path src = Files.createDirectories(d.resolve("src/dir"));
        Files.write(src.resolve("big"), ItFiles.random(310, 3 << 20));
        Files.writeString(d.resolve("src/small"), "small");
        casync(d, "make", "ok.catar", d.resolve("src").toString()).ok();
        byte[] ok = Files.readAllBytes(d.resolve("ok.catar"));
        int bigPayload = filenameRecord(ok, "big") + 16 + 4 + 64 + 16;
        List<Integer> cuts = List.of(0, bigPayload + (2 << 20), ok.length - 41);
        for (int cut : cuts) {
            Path arc = d.resolve("cut-" + cut + ".catar");
            Files.write(arc, Arrays.copyOf(ok, cut));
            Path sandbox = Files.createDirectory(d.resolve("sandbox-" + cut));
            Tools.Result r = jcasync(d, "extract", arc.toString(), sandbox.resolve("target").toString());
            assertCleanFailure(r, sandbox.resolve("target"));
            try (Stream<Path> s = Files.list(sandbox)) {
                assertThat(s.map(p -> p.getFileName().toString()).toList()).as("cut at " + cut)
                        .isSubsetOf("target");
            }
        }
        for (int salt = 0; salt < 2; salt++) {
            byte[] garbage = ItFiles.random(320 + salt, 50_000);
            if (salt == 1) {
                System.arraycopy(ok, 0, garbage, 0, 64); // a valid root ENTRY, then garbage
            }
            Path arc = d.resolve("garbage-" + salt + ".catar");
            Files.write(arc, garbage);
            Path sandbox = Files.createDirectory(d.resolve("garbage-sandbox-" + salt));
            Tools.Result r = jcasync(d, "extract", arc.toString(), sandbox.resolve("target").toString());
            assertCleanFailure(r, sandbox.resolve("target"));
        }
    }

    // ---- 5. interruption ----

    @Test
    void killedExtractLeavesEachFileOldOrNew() throws Exception {
        Path d = Files.createDirectory(work.resolve("kill"));
        int files = 150;
        Path a = d.resolve("a");
        Path b = d.resolve("b");
        py(PY_COMMON + """
                a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
                r = random.Random(int(sys.argv[4]))
                os.makedirs(os.path.join(a, 'sub')); os.makedirs(os.path.join(b, 'sub'))
                for i in range(n):
                    name = ('sub/' if i % 3 == 0 else '') + 'f%03d' % i
                    data = r.randbytes(1 << 20)
                    w(a, name, data)
                    w(b, name, r.randbytes(64) + data[64:] if i % 4 else data[:-100000])
                fix_times(a, T); fix_times(b, T + 1)
                """, a.toString(), b.toString(), Integer.toString(files), Long.toString(ItFiles.SEED));
        Map<String, String> va = digests(a);
        Map<String, String> vb = digests(b);
        assertThat(va).hasSize(files);
        jcasync(d, "make", "a.catar", a.toString()).ok();
        jcasync(d, "make", "b.catar", b.toString()).ok();
        String expected = mtree(b);
        deleteTree(a);
        deleteTree(b);
        Path out = d.resolve("out");

        boolean killedMidway = false;
        long[] delays = {300, 120, 40, 10, 0};
        for (int attempt = 0; attempt < delays.length && !killedMidway; attempt++) {
            jcasync(d, "extract", "a.catar", "out").ok();
            Object first = inode(out.resolve("f001"));
            Process p = startJcasync(d, "extract", "b.catar", "out");
            // Wait until the extraction has visibly started (the first file replaced), then a little longer.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (p.isAlive() && inode(out.resolve("f001")).equals(first) && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            Thread.sleep(delays[attempt]);
            boolean killed = p.isAlive();
            p.destroyForcibly();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            // Old or new, never a mix or a truncated file, whether or not it was killed in time.
            int newer = 0;
            for (Map.Entry<String, String> e : va.entrySet()) {
                String got = ItFiles.digest(out.resolve(e.getKey()), "SHA-256");
                assertThat(got).as(e.getKey() + " after kill (attempt " + attempt + ")")
                        .isIn(e.getValue(), vb.get(e.getKey()));
                if (got.equals(vb.get(e.getKey()))) {
                    newer++;
                }
            }
            killedMidway = killed && newer < files;
        }
        assertThat(killedMidway).as("the extraction was killed halfway in one of the attempts").isTrue();
        Tools.Result r = jcasync(d, "extract", "--print-stats", "b.catar", "out").ok();
        assertThat(tempFiles(out)).isEmpty();
        assertThat(mtree(out)).isEqualTo(expected);
        assertThat(json(r).get("entries")).isEqualTo(files + 2);
    }

    static Process startJcasync(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("jcasync.java", "java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-jar",
                System.getProperty("jcasync.jar", "target/jcasync.jar")));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    static Map<String, String> digests(Path dir) throws IOException {
        Map<String, String> m = new HashMap<>();
        try (Stream<Path> w = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) w::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(dir.relativize(p).toString(), ItFiles.digest(p, "SHA-256"));
                }
            }
        }
        return m;
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> w = Files.walk(p)) {
            for (Path x : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    // ---- 6. errors ----

    @Test
    void outputThatIsNotADirectory() throws Exception {
        Path d = Files.createDirectory(work.resolve("errors"));
        Path src = Files.createDirectories(d.resolve("src"));
        Files.writeString(src.resolve("f"), "f");
        casync(d, "make", "x.catar", src.toString()).ok();
        casync(d, "make", "--store=s.castr", "x.caidx", src.toString()).ok();
        Files.writeString(d.resolve("regular"), "keep me");
        String msg = "Output is a regular file or block device, but attempted to extract an archive.";
        Tools.Result c = casync(d, "extract", "x.catar", "regular");
        assertThat(c.exit()).isNotZero();
        assertThat(c.err()).contains(msg);
        assertCleanFailure(jcasync(d, "extract", "x.catar", "regular"), null, msg);
        assertCleanFailure(jcasync(d, "extract", "--store=s.castr", "x.caidx", "regular"), null, msg);
        assertThat(Files.readString(d.resolve("regular"))).isEqualTo("keep me");

        Tools.Result dash = Tools.jcasyncStdoutTo(d, d.resolve("stdout.bin"), "extract", "x.catar", "-");
        assertCleanFailure(dash, null);
        assertThat(Files.size(d.resolve("stdout.bin"))).isZero();

        // The parent of the target must exist.
        assertCleanFailure(jcasync(d, "extract", "x.catar", "no/such/parent"), null);
        assertThat(d.resolve("no")).doesNotExist();

        // DIR defaults to the current directory.
        Path cwd = Files.createDirectory(d.resolve("cwd"));
        jcasync(cwd, "extract", d.resolve("x.catar").toString()).ok();
        assertThat(mtree(cwd)).isEqualTo(mtree(src));
    }

    @Test
    void missingStoreOrChunkFailsWithoutTemporaryFiles() throws Exception {
        Path d = Files.createDirectory(work.resolve("missing-chunk"));
        Path src = Files.createDirectories(d.resolve("src"));
        Files.write(src.resolve("big"), ItFiles.random(330, 2 << 20));
        casync(d, "make", "--store=s.castr", "x.caidx", src.toString()).ok();
        List<String> chunks = new ArrayList<>(ItFiles.chunkFiles(d.resolve("s.castr")));
        assertThat(chunks.size()).isGreaterThan(4);
        Files.delete(d.resolve("s.castr").resolve(chunks.get(chunks.size() / 2)));
        Path sandbox = Files.createDirectory(d.resolve("sandbox"));
        Tools.Result r = jcasync(d, "extract", "--store=s.castr", "x.caidx", sandbox.resolve("out").toString());
        assertCleanFailure(r, sandbox.resolve("out"));
        assertThat(sandbox.resolve("out/big")).doesNotExist();
    }
}
