package org.jcasync.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * File systems for the end-to-end tests, as root: loop-mounted images (btrfs, ext4, vfat) and fatfuse (a FUSE file
 * system with the FAT attribute ioctls, {@code src/test/resources/fatfuse.c}, built with cc and libfuse3). Each
 * mount skips the test (JUnit assumption) when it cannot be made: not root, a tool or kernel file system missing.
 */
final class ItMounts implements AutoCloseable {
    private final Path mount;
    private final Process daemon;

    private ItMounts(Path mount, Process daemon) {
        this.mount = mount;
        this.daemon = daemon;
    }

    /** Where the file system is mounted. */
    Path root() {
        return mount;
    }

    /** Skips the test unless running as root. */
    static void requireRoot() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
    }

    /**
     * Makes {@code mkfs} on a {@code mib} MiB image {@code dir/name.img} and mounts it (type {@code type}, options
     * {@code options} or null) at {@code dir/name}.
     */
    static ItMounts loop(Path dir, String name, int mib, String type, String options, String mkfs,
                         String... mkfsArgs) throws Exception {
        requireRoot();
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/" + mkfs))
                || Files.isExecutable(Path.of("/sbin/" + mkfs)) || Files.isExecutable(Path.of("/usr/bin/" + mkfs)),
                mkfs + " missing");
        Path img = dir.resolve(name + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(img.toFile(), "rw")) {
            raf.setLength((long) mib << 20);
        }
        List<String> cmd = new ArrayList<>(List.of(mkfs));
        cmd.addAll(List.of(mkfsArgs));
        cmd.add(img.toString());
        Tools.Result made = Tools.run(dir, cmd);
        Assumptions.assumeTrue(made.exit() == 0, mkfs + " failed: " + made.err());
        Path mnt = Files.createDirectory(dir.resolve(name));
        List<String> mountCmd = new ArrayList<>(List.of("mount", "-t", type, "-o",
                "loop" + (options == null ? "" : "," + options), img.toString(), mnt.toString()));
        Tools.Result r = Tools.run(dir, mountCmd);
        Assumptions.assumeTrue(r.exit() == 0, "cannot mount " + type + " (not in this kernel?): " + r.err());
        return new ItMounts(mnt, null);
    }

    /** fatfuse over the new directory {@code dir/name.backing}, mounted at {@code dir/name}. */
    static ItMounts fatfuse(Path dir, String name) throws Exception {
        requireRoot();
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
        Path backing = Files.createDirectory(dir.resolve(name + ".backing"));
        Path mnt = Files.createDirectory(dir.resolve(name));
        Process p = new ProcessBuilder(fatfuseBinary().toString(), backing.toString(), mnt.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        ItMounts m = new ItMounts(mnt, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!mounted(mnt)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                m.close();
                Assumptions.abort("fatfuse did not mount: " + Files.readString(dir.resolve(name + ".log")));
            }
            Thread.sleep(20);
        }
        return m;
    }

    private static boolean mounted(Path mnt) throws IOException {
        String want = " " + mnt.toAbsolutePath() + " ";
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            if (line.contains(want)) {
                return true;
            }
        }
        return false;
    }

    private static Path fatfuse;

    /** The fatfuse binary, built once per test JVM; skips without cc or the libfuse3 headers. */
    static synchronized Path fatfuseBinary() throws Exception {
        if (fatfuse != null) {
            return fatfuse;
        }
        Path dir = Files.createTempDirectory("fatfuse");
        Path src = dir.resolve("fatfuse.c");
        try (InputStream in = ItMounts.class.getResourceAsStream("/fatfuse.c")) {
            Files.copy(in, src);
        }
        Tools.Result flags = Tools.run(dir, List.of("pkg-config", "--cflags", "--libs", "fuse3"));
        Assumptions.assumeTrue(flags.exit() == 0, "libfuse3-dev (pkg-config fuse3) missing: " + flags.err());
        List<String> cc = new ArrayList<>(List.of("cc", "-O2", "-o", dir.resolve("fatfuse").toString(),
                src.toString()));
        cc.addAll(List.of(flags.out().strip().split("\\s+")));
        Tools.Result built = Tools.run(dir, cc);
        Assumptions.assumeTrue(built.exit() == 0, "cannot build fatfuse: " + built.err());
        fatfuse = dir.resolve("fatfuse");
        return fatfuse;
    }

    /** The FAT attributes of {@code p} ({@code FAT_IOCTL_GET_ATTRIBUTES}, through the fatfuse binary). */
    static int fatAttributes(Path p) throws Exception {
        return attr(List.of(fatfuseBinary().toString(), "attr", p.toString()));
    }

    /** Sets the FAT attributes of {@code p} ({@code FAT_IOCTL_SET_ATTRIBUTES}) and returns them read back. */
    static int setFatAttributes(Path p, int value) throws Exception {
        return attr(List.of(fatfuseBinary().toString(), "attr", p.toString(), "0x" + Integer.toHexString(value)));
    }

    private static int attr(List<String> cmd) throws Exception {
        Tools.Result r = Tools.run(Path.of("."), cmd).ok();
        return Integer.decode(r.out().strip());
    }

    @Override
    public void close() throws IOException {
        try {
            if (Tools.run(mount.getParent(), List.of("umount", mount.toString())).exit() != 0) {
                Tools.run(mount.getParent(), List.of("umount", "-l", mount.toString()));
            }
            if (daemon != null && !daemon.waitFor(10, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unmounting " + mount, e);
        }
    }
}
