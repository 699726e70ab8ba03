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
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.ItFiles.chunkFiles;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * POSIX ACLs: a tree with setfacl-made access and default ACLs (named users and groups with and without a name,
 * masks, default ACLs with and without named entries and mask, files that inherited a default ACL) gives the same
 * .catar/.caidx bytes and list/mtree/stat output as casync, and extracting either tool's archive with either tool
 * gives the source's ACLs ({@code getfacl -R -n}).
 *
 * <p>The main tree has no special files (some variants do not archive them, and getfacl would list them in the
 * source only); {@link #specialFilesGetTheirAcls} covers ACLs on fifos and devices.
 */
class AclIT {
    @TempDir
    static Path work;

    static Path tree;
    static boolean root;

    @BeforeAll
    static void makeTree() throws Exception {
        Tools.requireCasync();
        requireAcl();
        root = "root".equals(System.getProperty("user.name"));
        tree = Files.createDirectory(work.resolve("tree"));
        Files.write(tree.resolve("plain"), "no ACL\n".getBytes());
        Files.write(tree.resolve("named"), random(51, 300_000));
        setfacl("-m", "u:nobody:rw,u:12345:r,u:0:r,g:daemon:r,g:54321:rwx,g:0:x", "named");
        Files.write(tree.resolve("mask-only"), "m".getBytes());
        sh("chmod", "640", tree.resolve("mask-only").toString());
        setfacl("-m", "m::r", "mask-only");
        Files.write(tree.resolve("narrow-mask"), "n".getBytes());
        sh("chmod", "770", tree.resolve("narrow-mask").toString());
        setfacl("-m", "u:nobody:rwx,m::x", "narrow-mask");
        Files.write(tree.resolve("setuid-acl"), "s".getBytes());
        sh("chmod", "4750", tree.resolve("setuid-acl").toString());
        setfacl("-m", "u:daemon:rx", "setuid-acl");
        Path d = Files.createDirectory(tree.resolve("dflt"));
        setfacl("-m", "u:nobody:rwx", "dflt");
        setfacl("-d", "-m", "u:nobody:rx,u:12345:x,g:daemon:rwx,g:54321:r,g::r", "dflt");
        // created after the default ACL: they inherit it (the file as its access ACL, the directory as both)
        Files.write(d.resolve("inherited"), "i".getBytes());
        Files.createDirectory(d.resolve("inherited-dir"));
        Files.write(d.resolve("inherited-dir/deeper"), "x".getBytes());
        Files.write(d.resolve("stripped"), "s".getBytes());
        setfacl("-b", "dflt/stripped");
        Path nd = Files.createDirectory(d.resolve("no-default"));
        setfacl("-k", "dflt/no-default");
        setfacl("-b", "dflt/no-default");
        Files.write(nd.resolve("file"), "f".getBytes());
        Files.createDirectory(tree.resolve("dflt-no-mask"));
        setfacl("-d", "-m", "u::rwx,g::rx,o::-", "dflt-no-mask");
        Files.createDirectory(tree.resolve("empty-dir"));
        Files.createSymbolicLink(tree.resolve("link"), Path.of("named"));
        String acls = getfacl(tree);
        assertThat(acls).contains("user:12345:r--", "user:65534:rw-", "group:54321:rwx", "mask::r--",
                "default:user:12345:--x", "default:group:1:rwx", "default:other::---");
    }

    /** Skips (or, with CI=true, fails) without setfacl/getfacl or ACL support in the temporary directory. */
    static void requireAcl() throws Exception {
        boolean tools = Files.isExecutable(Path.of("/usr/bin/setfacl"))
                && Files.isExecutable(Path.of("/usr/bin/getfacl"));
        if (!tools && "true".equals(System.getenv("CI"))) {
            fail("setfacl/getfacl are not installed (apt-get install acl)");
        }
        Assumptions.assumeTrue(tools, "setfacl/getfacl not installed (apt-get install acl)");
        Path probe = Files.write(work.resolve("acl-probe"), new byte[0]);
        Tools.Result r = Tools.run(work, List.of("setfacl", "-m", "u:nobody:r", probe.toString()));
        Assumptions.assumeTrue(r.exit() == 0, "no POSIX ACL support in " + work + ": " + r.err());
        Files.delete(probe);
    }

    static void sh(String... cmd) throws Exception {
        Tools.run(work, List.of(cmd)).ok();
    }

    static void setfacl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setfacl"));
        cmd.addAll(Arrays.asList(args).subList(0, args.length - 1));
        cmd.add(tree.resolve(args[args.length - 1]).toString());
        Tools.run(work, cmd).ok();
    }

    /**
     * {@code getfacl -R --absolute-names -n .} run in {@code dir}: paths relative to it, numeric ids, owners and
     * modes included. The per-file blocks are sorted, as the directory order may differ between trees.
     */
    static String getfacl(Path dir) throws Exception {
        String out = Tools.run(dir, List.of("getfacl", "-R", "--absolute-names", "-n", ".")).ok().out();
        return String.join("\n\n", Arrays.stream(out.split("\n\n")).map(String::strip).sorted().toList());
    }

    static List<String> split(String options) {
        return options.isEmpty() ? List.of() : List.of(options.split(" "));
    }

    static Tools.Result make(boolean casync, Path dir, String archive, List<String> opts) throws Exception {
        List<String> args = new ArrayList<>(List.of("make"));
        args.addAll(opts);
        args.add(archive);
        args.add(dir.toString());
        String[] a = args.toArray(String[]::new);
        return casync ? casync(work, a) : jcasync(work, a);
    }

    static boolean contains(byte[] haystack, long recordType) {
        byte[] needle = new byte[8];
        for (int i = 0; i < 8; i++) {
            needle[i] = (byte) (recordType >>> (8 * i));
        }
        outer:
        for (int i = 0; i + 8 <= haystack.length; i++) {
            for (int j = 0; j < 8; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--with=acl", "--with=acl --with=16bit-uids", "--with=acl --with=32bit-uids",
        "--with=acl --with=32bit-uids --with=user-names", "--with=best", "--with=unix", "--without=acl",
        "--uid-range=1000", "--with=acl --with=16bit-uids --uid-range=30000"})
    void catarIsByteIdentical(String options) throws Exception {
        String tag = Integer.toHexString(options.hashCode());
        String c = make(true, tree, "c-" + tag + ".catar", split(options)).ok().out();
        String j = make(false, tree, "j-" + tag + ".catar", split(options)).ok().out();
        assertSameBytes(work.resolve("c-" + tag + ".catar"), work.resolve("j-" + tag + ".catar"));
        assertThat(j).isEqualTo(c);
        byte[] b = Files.readAllBytes(work.resolve("j-" + tag + ".catar"));
        boolean acl = !options.contains("--without=acl") && !options.equals("--with=unix");
        assertThat(contains(b, 0xbdf03df9bd010a91L)).as("ACL_DEFAULT_USER records").isEqualTo(acl);
        assertThat(contains(b, 0x23047110441f38f3L)).as("ACL_GROUP_OBJ records").isEqualTo(acl);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--with=acl --with=16bit-uids --chunk-size=16384"})
    void caidxIsByteIdentical(String options) throws Exception {
        String tag = "x" + Integer.toHexString(options.hashCode());
        List<String> c = new ArrayList<>(split(options));
        c.add("--store=" + work.resolve("cs-" + tag));
        List<String> j = new ArrayList<>(split(options));
        j.add("--store=" + work.resolve("js-" + tag));
        String co = make(true, tree, "c-" + tag + ".caidx", c).ok().out();
        String jo = make(false, tree, "j-" + tag + ".caidx", j).ok().out();
        assertSameBytes(work.resolve("c-" + tag + ".caidx"), work.resolve("j-" + tag + ".caidx"));
        assertThat(jo).isEqualTo(co);
        assertThat(chunkFiles(work.resolve("js-" + tag))).isEqualTo(chunkFiles(work.resolve("cs-" + tag)))
                .isNotEmpty();
    }

    /** Runs both tools with the same arguments; asserts the same stdout and exit status. */
    static void same(String... args) throws Exception {
        Tools.Result c = casync(work, args);
        Tools.Result j = jcasync(work, args);
        assertThat(j.out()).as(String.join(" ", args) + "\njcasync stderr: " + j.err()).isEqualTo(c.out());
        assertThat(j.exit()).as(String.join(" ", args) + " exit status; stderr " + j.err()).isEqualTo(c.exit());
    }

    /** Fifos and devices have no descriptor during extraction: their ACLs are set by path, as casync does. */
    @Test
    void specialFilesGetTheirAcls() throws Exception {
        Path src = Files.createDirectories(work.resolve("special/src"));
        Path d = Files.createDirectory(src.resolve("d"));
        sh("mkfifo", src.resolve("fifo").toString());
        sh("mkfifo", src.resolve("plain").toString());
        sh("setfacl", "-m", "u:nobody:r,g:daemon:rw", src.resolve("fifo").toString());
        sh("setfacl", "-d", "-m", "u:nobody:rwx", d.toString());
        sh("mkfifo", d.resolve("inherited").toString());
        if (root) {
            sh("mknod", src.resolve("dev").toString(), "c", "1", "3");
            sh("setfacl", "-m", "u:nobody:rw", src.resolve("dev").toString());
        }
        String archive = work.resolve("special/s.catar").toString();
        casync(work, "make", archive, src.toString()).ok();
        Path j = work.resolve("special/j");
        Path c = work.resolve("special/c");
        jcasync(work, "extract", archive, j.toString()).ok();
        casync(work, "extract", archive, c.toString()).ok();
        assertThat(getfacl(j)).isEqualTo(getfacl(src)).isEqualTo(getfacl(c)).contains("user:65534:r--");
        // An update in place leaves them alone, and restores one that was changed.
        sh("setfacl", "-b", j.resolve("fifo").toString());
        assertThat(getfacl(j)).isNotEqualTo(getfacl(src));
        jcasync(work, "extract", archive, j.toString()).ok();
        assertThat(getfacl(j)).isEqualTo(getfacl(src));
    }

    @Test
    void listMtreeAndStatLikeCasync() throws Exception {
        make(true, tree, "lm.catar", List.of()).ok();
        for (String in : List.of("lm.catar", tree.toString())) {
            same("list", in);
            same("mtree", in);
        }
        for (String p : List.of("named", "mask-only", "narrow-mask", "dflt", "dflt/inherited", "dflt-no-mask")) {
            same("stat", "lm.catar", p);
        }
        same("digest", "lm.catar");
        same("digest", tree.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--with=acl --with=16bit-uids", "--with=acl --with=32bit-uids --with=user-names"})
    void extractedAclsEqualTheSource(String options) throws Exception {
        String tag = "e" + Integer.toHexString(options.hashCode());
        String source = getfacl(tree);
        make(true, tree, "c-" + tag + ".catar", split(options)).ok();
        make(false, tree, "j-" + tag + ".catar", split(options)).ok();
        assertSameBytes(work.resolve("c-" + tag + ".catar"), work.resolve("j-" + tag + ".catar"));
        // jcasync extracts casync's archive; casync extracts casync's and jcasync's
        Path jx = work.resolve("jx-" + tag);
        jcasync(work, "extract", "c-" + tag + ".catar", jx.toString()).ok();
        Path cx = work.resolve("cx-" + tag);
        casync(work, "extract", "c-" + tag + ".catar", cx.toString()).ok();
        Path cj = work.resolve("cj-" + tag);
        casync(work, "extract", "j-" + tag + ".catar", cj.toString()).ok();
        assertThat(getfacl(jx)).isEqualTo(source);
        assertThat(getfacl(cx)).isEqualTo(source);
        assertThat(getfacl(cj)).isEqualTo(source);
        // and the extracted trees archive to the same bytes again (modes, ACL order, everything)
        make(false, jx, "jx-" + tag + ".catar", split(options)).ok();
        make(true, cx, "cx-" + tag + ".catar", split(options)).ok();
        assertSameBytes(work.resolve("cx-" + tag + ".catar"), work.resolve("jx-" + tag + ".catar"));
    }

    @Test
    void extractFromIndexAndUpdateInPlace() throws Exception {
        String source = getfacl(tree);
        Path store = work.resolve("u-store");
        make(true, tree, "u.caidx", List.of("--store=" + store)).ok();
        Path x = work.resolve("u-x");
        jcasync(work, "extract", "--store=" + store, "u.caidx", x.toString()).ok();
        assertThat(getfacl(x)).isEqualTo(source);
        // a second run changes nothing
        String again = jcasync(work, "extract", "--store=" + store, "u.caidx", x.toString()).ok().err();
        assertThat(again).contains(" 0 metadata updated", " 0 written");
        // changed, added and removed ACLs are put back; nothing else is rewritten
        sh("setfacl", "-m", "u:daemon:rwx", x.resolve("plain").toString());
        sh("setfacl", "-b", x.resolve("named").toString());
        sh("setfacl", "-k", x.resolve("dflt").toString());
        sh("setfacl", "-m", "m::rwx", x.resolve("narrow-mask").toString());
        sh("setfacl", "-d", "-m", "u:daemon:r", x.resolve("empty-dir").toString());
        assertThat(getfacl(x)).isNotEqualTo(source);
        String fix = jcasync(work, "extract", "--store=" + store, "u.caidx", x.toString()).ok().err();
        assertThat(fix).contains(" 5 metadata updated", " 0 written");
        assertThat(getfacl(x)).isEqualTo(source);
    }

    @Test
    void userNamesWithoutIds() throws Exception {
        Assumptions.assumeTrue(root, "needs root to chown the tree (casync needs names for every owner then)");
        Path t = Files.createDirectory(work.resolve("names-tree"));
        Files.write(t.resolve("f"), "f".getBytes());
        Path d = Files.createDirectory(t.resolve("d"));
        sh("setfacl", "-m", "u:nobody:rw,u:daemon:r,u:root:x,g:daemon:r,g:nogroup:rwx", t.resolve("f").toString());
        sh("setfacl", "-d", "-m", "u:nobody:rx,g:daemon:rwx", d.toString());
        Files.write(d.resolve("inherited"), "i".getBytes());
        sh("chown", "-R", "daemon:daemon", t.toString());
        String source = getfacl(t);
        List<String> opts = List.of("--with=acl", "--with=user-names");
        make(true, t, "n-c.catar", opts).ok();
        make(false, t, "n-j.catar", opts).ok();
        assertSameBytes(work.resolve("n-c.catar"), work.resolve("n-j.catar"));
        Path jx = work.resolve("n-jx");
        jcasync(work, "extract", "n-c.catar", jx.toString()).ok();
        Path cx = work.resolve("n-cx");
        casync(work, "extract", "n-j.catar", cx.toString()).ok();
        assertThat(getfacl(jx)).isEqualTo(source);
        assertThat(getfacl(cx)).isEqualTo(source);
    }

    @Test
    void idsThatCannotBeStoredFailLikeCasync() throws Exception {
        Path t = Files.createDirectory(work.resolve("wide-tree"));
        Files.write(t.resolve("f"), "f".getBytes());
        sh("setfacl", "-m", "u:70000:r", t.resolve("f").toString());
        List<List<String>> cases = new ArrayList<>();
        cases.add(List.of("--with=acl", "--with=16bit-uids")); // 70000 does not fit
        if (root) {
            // the owner can be shifted, the ACL's uid cannot
            sh("chown", "-R", "80000:80000", t.toString());
            cases.add(List.of("--with=acl", "--uid-shift=75000"));
            Tools.Result ok = make(false, t, "w-ok.catar", List.of("--with=acl", "--uid-shift=60000"));
            assertThat(ok.exit()).as(ok.err()).isZero();
        }
        for (List<String> opts : cases) {
            Tools.Result c = make(true, t, "w-c.catar", opts);
            Tools.Result j = make(false, t, "w-j.catar", opts);
            assertThat(c.exit()).as("casync " + opts).isNotZero();
            assertThat(j.exit()).as("jcasync " + opts + ": " + j.err()).isNotZero();
        }
    }
}
