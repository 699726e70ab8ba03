package org.jcasync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.ItFiles.argv;
import static org.jcasync.cli.ItFiles.assertSameBytes;
import static org.jcasync.cli.Tools.casync;
import static org.jcasync.cli.Tools.jcasync;

/**
 * btrfs subvolumes: a tree on btrfs with a subvolume, a read-only one and one nested in another gives the same
 * .catar bytes, {@code list}, {@code mtree} and {@code stat} as casync for the default flags and the subvolume variants;
 * extracting either tool's archive onto btrfs makes those directories subvolumes again (read-only where they were),
 * so that casync archives the result to the same bytes; onto ext4, and into a subvolume root where the archive has a
 * plain directory, both tools fail alike unless told {@code --without=subvolume --without=subvolume-ro}.
 */
class SubvolumeIT {
    @TempDir
    Path work;

    @Test
    void makeAndExtractAsCasync() throws Exception {
        Tools.requireCasync();
        try (ItMounts btrfs = ItMounts.loop(work, "btrfs", 300, "btrfs", null, "mkfs.btrfs", "-q");
             ItMounts ext4 = ItMounts.loop(work, "ext4", 64, "ext4", null, "mkfs.ext4", "-q")) {
            Path tree = Files.createDirectory(btrfs.root().resolve("tree"));
            Files.createDirectories(tree.resolve("plain/dir"));
            Files.writeString(tree.resolve("plain/dir/f"), "plain\n");
            btrfs(work, "subvolume", "create", tree.resolve("sv").toString());
            Files.writeString(tree.resolve("sv/g"), "in a subvolume\n");
            btrfs(work, "subvolume", "create", tree.resolve("sv/nested").toString());
            Files.writeString(tree.resolve("sv/nested/n"), "nested\n");
            btrfs(work, "subvolume", "create", tree.resolve("ro").toString());
            Files.createDirectory(tree.resolve("ro/inside"));
            Files.writeString(tree.resolve("ro/inside/h"), "read-only\n");
            btrfs(work, "property", "set", tree.resolve("ro").toString(), "ro", "true");

            List<String> variants = List.of("", "--without=subvolume-ro", "--with=subvolume --without=subvolume-ro",
                    "--without=subvolume --without=subvolume-ro", "--with=subvolume-ro");
            for (int i = 0; i < variants.size(); i++) {
                List<String> opts = variants.get(i).isEmpty() ? List.of() : List.of(variants.get(i).split(" "));
                casync(work, argv("make", opts, "c" + i + ".catar", tree.toString())).ok();
                jcasync(work, argv("make", opts, "j" + i + ".catar", tree.toString())).ok();
                assertSameBytes(work.resolve("c" + i + ".catar"), work.resolve("j" + i + ".catar"));
            }
            Path c = work.resolve("c0.catar");
            Path j = work.resolve("j0.catar");
            // the subvolume bits are in the archive: without them it is different
            assertThat(Files.mismatch(c, work.resolve("c3.catar"))).isNotEqualTo(-1L);
            assertThat(Files.mismatch(work.resolve("c1.catar"), work.resolve("c3.catar"))).isNotEqualTo(-1L);
            assertThat(jcasync(work, "mtree", c.toString()).ok().out())
                    .isEqualTo(casync(work, "mtree", c.toString()).ok().out());
            assertThat(jcasync(work, "list", c.toString()).ok().out())
                    .isEqualTo(casync(work, "list", c.toString()).ok().out());
            for (Path p : List.of(tree, tree.resolve("ro"), tree.resolve("sv/nested"), tree.resolve("plain/dir"))) {
                assertThat(jcasync(work, "stat", p.toString()).ok().out()).as("stat " + p)
                        .isEqualTo(casync(work, "stat", p.toString()).ok().out());
            }

            // onto btrfs: subvolumes again, read-only where they were; archived again, the same bytes
            Path byJcasync = btrfs.root().resolve("by-jcasync");
            Path byCasync = btrfs.root().resolve("by-casync");
            jcasync(work, "extract", c.toString(), byJcasync.toString()).ok();
            casync(work, "extract", j.toString(), byCasync.toString()).ok();
            for (Path out : List.of(byJcasync, byCasync)) {
                assertThat(isSubvolume(out.resolve("sv"))).as(out + "/sv").isTrue();
                assertThat(isSubvolume(out.resolve("sv/nested"))).as(out + "/sv/nested").isTrue();
                assertThat(isSubvolume(out.resolve("ro"))).as(out + "/ro").isTrue();
                assertThat(isSubvolume(out.resolve("plain"))).as(out + "/plain").isFalse();
                assertThat(isSubvolume(out.resolve("ro/inside"))).as(out + "/ro/inside").isFalse();
                assertThat(readOnly(out.resolve("ro"))).as(out + "/ro").isTrue();
                assertThat(readOnly(out.resolve("sv"))).as(out + "/sv").isFalse();
                assertThat(Files.readString(out.resolve("ro/inside/h"))).isEqualTo("read-only\n");
                Path again = work.resolve("again-" + out.getFileName() + ".catar");
                casync(work, "make", again.toString(), out.toString()).ok();
                assertSameBytes(c, again);
            }
            // extracting again: a subvolume made writable meanwhile is read-only again
            btrfs(work, "property", "set", byJcasync.resolve("ro").toString(), "ro", "false");
            jcasync(work, "extract", c.toString(), byJcasync.toString()).ok();
            assertThat(readOnly(byJcasync.resolve("ro"))).isTrue();
            // without subvolume-ro the read-only state is left alone
            Path noRo = btrfs.root().resolve("no-ro");
            jcasync(work, "extract", "--without=subvolume-ro", "--with=subvolume", c.toString(), noRo.toString())
                    .ok();
            assertThat(isSubvolume(noRo.resolve("ro"))).isTrue();
            assertThat(readOnly(noRo.resolve("ro"))).isFalse();

            // onto ext4: both fail (no BTRFS_IOC_SUBVOL_CREATE there), also with --without=subvolume alone
            // (subvolume-ro implies it); both succeed without both
            for (List<String> opts : List.of(List.<String>of(), List.of("--without=subvolume"))) {
                assertThat(casync(work, argv("extract", opts, c.toString(), ext4.root().resolve("c").toString()))
                        .exit()).as("casync " + opts).isNotZero();
                Tools.Result r = jcasync(work, argv("extract", opts, c.toString(),
                        ext4.root().resolve("j").toString()));
                assertThat(r.exit()).as("jcasync " + opts).isNotZero();
                assertThat(r.err()).contains("BTRFS_IOC_SUBVOL_CREATE");
            }
            List<String> without = List.of("--without=subvolume", "--without=subvolume-ro");
            casync(work, argv("extract", without, c.toString(), ext4.root().resolve("c2").toString())).ok();
            jcasync(work, argv("extract", without, c.toString(), ext4.root().resolve("j2").toString())).ok();
            assertThat(ItFiles.tree(ext4.root().resolve("j2"))).isEqualTo(ItFiles.tree(ext4.root().resolve("c2")))
                    .contains("ro/inside/h", "sv/nested/n");

            // into a subvolume root where the archive has a plain directory: both fail, unless told
            Path plain = work.resolve("plain.catar");
            casync(work, "make", plain.toString(), tree.resolve("plain").toString()).ok();
            btrfs(work, "subvolume", "create", btrfs.root().resolve("target-c").toString());
            btrfs(work, "subvolume", "create", btrfs.root().resolve("target-j").toString());
            assertThat(casync(work, "extract", plain.toString(), btrfs.root().resolve("target-c").toString())
                    .exit()).isNotZero();
            Tools.Result r = jcasync(work, "extract", plain.toString(), btrfs.root().resolve("target-j").toString());
            assertThat(r.exit()).isNotZero();
            assertThat(r.err()).contains("btrfs subvolume");
            jcasync(work, argv("extract", without, plain.toString(), btrfs.root().resolve("target-j").toString()))
                    .ok();
            assertThat(Files.readString(btrfs.root().resolve("target-j/dir/f"))).isEqualTo("plain\n");
        }
    }

    private static void btrfs(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("btrfs", "-q"));
        cmd.addAll(List.of(args));
        Tools.run(dir, cmd).ok();
    }

    private static boolean isSubvolume(Path p) throws Exception {
        return Tools.run(p.getParent(), List.of("btrfs", "subvolume", "show", p.toString())).exit() == 0;
    }

    private static boolean readOnly(Path p) throws Exception {
        String out = Tools.run(p.getParent(), List.of("btrfs", "property", "get", p.toString(), "ro")).ok().out();
        return out.strip().equals("ro=true");
    }
}
