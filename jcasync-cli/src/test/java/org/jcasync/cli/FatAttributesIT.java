package org.jcasync.cli;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.argv;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * FAT attributes (hidden, system, archive): on a FAT file system, or a FUSE one answering the FAT ioctls as casync
 * reads them there too ({@link ItMounts#fatfuse}; the kernel may have no vfat), a tree whose files and directories
 * have such attributes gives the same .catar bytes, {@code list}, {@code mtree} and {@code stat} as casync, for the default
 * feature flags and the fat presets; extracting either tool's archive onto the same kind of file system gives the
 * source's attributes back; onto a file system without them both tools fail unless told {@code --without=fat-attrs}.
 */
class FatAttributesIT {
    private static final int ATTR_HIDDEN = 0x02;
    private static final int ATTR_SYS = 0x04;
    private static final int ATTR_ARCH = 0x20;
    /** The bits casync records. */
    private static final int STORED = ATTR_HIDDEN | ATTR_SYS | ATTR_ARCH;

    @TempDir
    Path work;

    private ItMounts mount(String kind) throws Exception {
        Tools.requireCasync();
        return kind.equals("vfat")
                ? ItMounts.loop(work, "fat", 64, "vfat", "quiet", "mkfs.vfat")
                : ItMounts.fatfuse(work, "fat");
    }

    /** The tree under test: relative path to the attributes set on it. */
    private static Map<String, Integer> makeTree(Path tree) throws Exception {
        Files.createDirectories(tree.resolve("sys/arch"));
        Files.createDirectories(tree.resolve("plain-dir"));
        Files.writeString(tree.resolve("hidden"), "h\n");
        Files.writeString(tree.resolve("all"), "all three\n");
        Files.writeString(tree.resolve("none"), "none\n");
        Files.writeString(tree.resolve("sys/arch/inner"), "inner\n");
        Map<String, Integer> attrs = new LinkedHashMap<>();
        attrs.put("hidden", ATTR_HIDDEN | ATTR_ARCH);
        attrs.put("all", ATTR_HIDDEN | ATTR_SYS | ATTR_ARCH);
        attrs.put("none", 0);
        attrs.put("sys", ATTR_SYS);
        attrs.put("sys/arch", ATTR_ARCH);
        attrs.put("sys/arch/inner", ATTR_HIDDEN);
        attrs.put("plain-dir", 0);
        for (Map.Entry<String, Integer> e : attrs.entrySet()) {
            int got = ItMounts.setFatAttributes(tree.resolve(e.getKey()), e.getValue());
            assertThat(got & STORED).as(e.getKey()).isEqualTo(e.getValue());
        }
        return attrs;
    }

    @ParameterizedTest
    @ValueSource(strings = {"vfat", "fuse"})
    void makeListAndMtreeMatchCasync(String kind) throws Exception {
        try (ItMounts fs = mount(kind)) {
            Path tree = Files.createDirectory(fs.root().resolve("tree"));
            makeTree(tree);
            List<String> variants = List.of("", "--with=fat-attrs", "--with=fat", "--without=flag-archive",
                    "--without=fat-attrs", "--with=flag-hidden --with=flag-system");
            int i = 0;
            for (String v : variants) {
                List<String> opts = v.isEmpty() ? List.of() : List.of(v.split(" "));
                Path c = work.resolve("c" + i + ".catar");
                Path j = work.resolve("j" + i + ".catar");
                casync(work, argv("make", opts, c.toString(), tree.toString())).ok();
                jcasync(work, argv("make", opts, j.toString(), tree.toString())).ok();
                assertSameBytes(c, j);
                i++;
            }
            Path c = work.resolve("c0.catar");
            String mtree = casync(work, "mtree", c.toString()).ok().out();
            assertThat(mtree).contains("all type=file", "flags=hidden,system,archive")
                    .contains("flags=nohidden,system,noarchive");
            assertThat(jcasync(work, "mtree", c.toString()).ok().out()).isEqualTo(mtree);
            assertThat(jcasync(work, "list", c.toString()).ok().out())
                    .isEqualTo(casync(work, "list", c.toString()).ok().out());
            for (String[] stat : List.of(new String[] {c.toString(), "all"}, new String[] {c.toString(), "sys"},
                    new String[] {tree.resolve("sys").toString()}, new String[] {tree.resolve("sys/arch").toString()})) {
                assertThat(jcasync(work, argv("stat", List.of(stat))).ok().out()).as("stat " + List.of(stat))
                        .isEqualTo(casync(work, argv("stat", List.of(stat))).ok().out());
            }
            // the attributes are in the archive: without them it is different
            assertThat(Files.mismatch(c, work.resolve("c4.catar"))).isNotEqualTo(-1L);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vfat", "fuse"})
    void extractRestoresAttributesAsCasync(String kind) throws Exception {
        try (ItMounts fs = mount(kind)) {
            Path tree = Files.createDirectory(fs.root().resolve("tree"));
            Map<String, Integer> attrs = makeTree(tree);
            Path c = work.resolve("c.catar");
            Path j = work.resolve("j.catar");
            casync(work, "make", c.toString(), tree.toString()).ok();
            jcasync(work, "make", j.toString(), tree.toString()).ok();
            Path byJcasync = fs.root().resolve("by-jcasync");
            Path byCasync = fs.root().resolve("by-casync");
            jcasync(work, "extract", c.toString(), byJcasync.toString()).ok();
            casync(work, "extract", j.toString(), byCasync.toString()).ok();
            for (Map.Entry<String, Integer> e : attrs.entrySet()) {
                assertThat(ItMounts.fatAttributes(byJcasync.resolve(e.getKey())) & STORED)
                        .as("jcasync extract: " + e.getKey()).isEqualTo(e.getValue());
                assertThat(ItMounts.fatAttributes(byCasync.resolve(e.getKey())) & STORED)
                        .as("casync extract: " + e.getKey()).isEqualTo(e.getValue());
            }
            // extracting again over changed attributes puts the archive's back (files kept in place)
            ItMounts.setFatAttributes(byJcasync.resolve("all"), 0);
            ItMounts.setFatAttributes(byJcasync.resolve("none"), ATTR_HIDDEN | ATTR_SYS);
            ItMounts.setFatAttributes(byJcasync.resolve("sys"), 0);
            jcasync(work, "extract", c.toString(), byJcasync.toString()).ok();
            for (String p : List.of("all", "none", "sys")) {
                assertThat(ItMounts.fatAttributes(byJcasync.resolve(p)) & STORED).as("again: " + p)
                        .isEqualTo(attrs.get(p));
            }
            // a file system without FAT attributes: both refuse, unless told to leave them out
            Path other = Files.createDirectory(work.resolve("other"));
            assertThat(casync(work, "extract", c.toString(), other.resolve("c").toString()).exit()).isNotZero();
            Tools.Result r = jcasync(work, "extract", c.toString(), other.resolve("j").toString());
            assertThat(r.exit()).isNotZero();
            assertThat(r.err()).contains("FAT attributes").contains("--without=fat-attrs");
            casync(work, "extract", "--without=fat-attrs", c.toString(), other.resolve("c2").toString()).ok();
            jcasync(work, "extract", "--without=fat-attrs", c.toString(), other.resolve("j2").toString()).ok();
            assertThat(ItFiles.tree(other.resolve("j2"))).isEqualTo(ItFiles.tree(other.resolve("c2")))
                    .contains("sys/arch/inner");
        }
    }
}
