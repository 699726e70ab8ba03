package org.jcasync.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.jcasync.cli.ItFiles.random;

/**
 * The tree the catar and listing tests archive: every entry type (files, empty and nested directories, symlinks
 * incl. dangling ones, fifo, socket, and as root devices and foreign owners), odd names, setuid/setgid/sticky and
 * read-only modes, and timestamps before 1901, before 1970, after 2262 and with odd nanoseconds.
 */
final class RichTree {
    private RichTree() {
    }

    /** Whether the tests run as root, and so can make devices and files of other owners. */
    static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * For the tests that compare with casync: skips the test class unless casync is installed, then builds the tree
     * in {@code work/tree} (with devices and foreign owners when running as root) and returns its path.
     */
    static Path buildForCasync(Path work, boolean extras) throws Exception {
        Tools.requireCasync();
        Path tree = work.resolve("tree");
        build(tree, asRoot(), extras);
        return tree;
    }

    /**
     * Builds the tree in the new directory {@code tree}. {@code extras} adds what only the listing tests use: a
     * tab in a name, a link target with a space and '#', setuid/sticky entries without x bits and user xattrs.
     */
    static void build(Path tree, boolean root, boolean extras) throws Exception {
        Files.createDirectory(tree);
        Files.write(tree.resolve("small"), "hello\n".getBytes());
        Files.write(tree.resolve("empty"), new byte[0]);
        Files.write(tree.resolve("random-1MiB"), random(41, 1 << 20));
        Path nested = Files.createDirectories(tree.resolve("dir/nested/deeper"));
        Files.write(nested.resolve("file"), random(42, 70_000));
        Files.createDirectories(tree.resolve("dir/empty-dir"));
        Files.createSymbolicLink(tree.resolve("link"), Path.of("small"));
        Files.createSymbolicLink(tree.resolve("dangling"),
                Path.of(extras ? "/nonexistent/tar get#" : "/nonexistent/target"));
        Files.createSymbolicLink(tree.resolve("dir/up"), Path.of("../dir"));
        List<String> odd = new ArrayList<>(List.of("with space", "#hash", "back\\slash", "ünïcödé ✓", "UPPER", "z",
                "-dash", ".hidden"));
        if (extras) {
            odd.add("tab\tname");
        }
        for (String name : odd) {
            Files.write(tree.resolve(name), name.getBytes());
        }
        sh(tree, "mkfifo", tree.resolve("fifo").toString());
        sh(tree, "python3", "-c", "import socket,sys;s=socket.socket(socket.AF_UNIX);s.bind(sys.argv[1])",
                tree.resolve("sock").toString());
        sh(tree, "chmod", "4755", Files.write(tree.resolve("setuid"), "x".getBytes()).toString());
        if (extras) {
            sh(tree, "chmod", "6644", Files.write(tree.resolve("setuid-nox"), "x".getBytes()).toString());
        }
        sh(tree, "chmod", "1777", Files.createDirectory(tree.resolve("sticky")).toString());
        if (extras) {
            sh(tree, "chmod", "1770", Files.createDirectory(tree.resolve("sticky-nox")).toString());
        }
        sh(tree, "chmod", "0444", Files.write(tree.resolve("read-only"), "ro".getBytes()).toString());
        sh(tree, "chmod", "2750", Files.createDirectory(tree.resolve("setgid-dir")).toString());
        if (extras) {
            sh(tree, "python3", "-c", "import os,sys; os.setxattr(sys.argv[1], 'user.zeta', b'1 \\x00\\xff#');"
                    + "os.setxattr(sys.argv[1], 'user.alpha', b'')", tree.resolve("small").toString());
        }
        if (root) {
            sh(tree, "mknod", tree.resolve("null").toString(), "c", "1", "3");
            sh(tree, "mknod", tree.resolve("blk").toString(), "b", "7", "200");
            sh(tree, "chown", "1234:5678", Files.write(tree.resolve("owned-1234"), "o".getBytes()).toString());
            sh(tree, "chown", "nobody:nogroup", Files.write(tree.resolve("owned-nobody"), "n".getBytes()).toString());
            sh(tree, "chown", "-h", "1234:5678", tree.resolve("dangling").toString());
            sh(tree, "chown", "daemon:daemon", tree.resolve("dir/nested").toString());
        }
        // Timestamps: before 1970 and before 1901 with nanoseconds, far future, odd nanoseconds (links too).
        sh(tree, "touch", "-h", "-d", "@-1.5", tree.resolve("link").toString());
        sh(tree, "touch", "-d", "1901-12-13 20:45:52.123456789 UTC", tree.resolve("empty").toString());
        sh(tree, "touch", "-d", "2400-01-01 00:00:00.987654321 UTC", tree.resolve("random-1MiB").toString());
        Files.setLastModifiedTime(tree.resolve("small"), FileTime.from(1600000000_123456789L, TimeUnit.NANOSECONDS));
        Files.setLastModifiedTime(tree.resolve("dir/nested"), FileTime.from(1_999_999_999L, TimeUnit.SECONDS));
        Files.setLastModifiedTime(tree.resolve("dir"), FileTime.from(1L, TimeUnit.NANOSECONDS));
    }

    private static void sh(Path dir, String... cmd) throws Exception {
        Tools.run(dir, List.of(cmd)).ok();
    }
}
