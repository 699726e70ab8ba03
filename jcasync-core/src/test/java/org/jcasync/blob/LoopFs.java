package org.jcasync.blob;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A file system of a given type on a loop-mounted image file, for tests that need btrfs/xfs (root only). */
final class LoopFs implements AutoCloseable {
    private final Path mount;

    private LoopFs(Path mount) {
        this.mount = mount;
    }

    /** Makes {@code mkfs} on a 300 MiB image under {@code dir} and mounts it; skips when that is impossible. */
    static LoopFs create(Path dir, String mkfs, String... mkfsArgs) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/" + mkfs))
                || Files.isExecutable(Path.of("/sbin/" + mkfs)) || Files.isExecutable(Path.of("/usr/bin/" + mkfs)),
                mkfs + " missing");
        Path img = dir.resolve("fs.img");
        try (var raf = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            raf.setLength(300L << 20);
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(mkfs));
        cmd.addAll(List.of(mkfsArgs));
        cmd.add(img.toString());
        Assumptions.assumeTrue(run(cmd) == 0, mkfs + " failed");
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Assumptions.assumeTrue(run(List.of("mount", "-o", "loop", img.toString(), mnt.toString())) == 0,
                "mount failed");
        return new LoopFs(mnt);
    }

    Path root() {
        return mount;
    }

    @Override
    public void close() throws Exception {
        if (run(List.of("umount", mount.toString())) != 0) {
            run(List.of("umount", "-l", mount.toString()));
        }
    }

    static int run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
