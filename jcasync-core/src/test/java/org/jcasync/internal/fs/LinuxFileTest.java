package org.jcasync.internal.fs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

class LinuxFileTest {

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- helpers

    private static void writeAt(FileChannel ch, long pos, byte[] data) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(data);
        while (bb.hasRemaining()) {
            pos += ch.write(bb, pos);
        }
    }

    private static byte[] readAt(Path p, long pos, int len) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer bb = ByteBuffer.allocate(len);
            while (bb.hasRemaining()) {
                int n = ch.read(bb, pos + bb.position());
                if (n < 0) {
                    break;
                }
            }
            return Arrays.copyOf(bb.array(), bb.position());
        }
    }

    private static byte[] filled(int len, int value) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static List<List<Long>> asLists(List<long[]> extents) {
        List<List<Long>> out = new ArrayList<>();
        for (long[] e : extents) {
            out.add(List.of(e[0], e[1]));
        }
        return out;
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean hasCommand(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return true;
            }
        }
        return false;
    }

    private record Result(int rc, String output) {
    }

    /** Runs a command with a bounded wait, capturing stdout and stderr together. */
    private Result run(String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile(tmp, "cmd-", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return new Result(-1, "timed out: " + String.join(" ", cmd));
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        return new Result(p.exitValue(), text);
    }

    private static Path createSparse(Path p, long size) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(size);
        }
        return p;
    }

    // ---------------------------------------------------------------- sparse files

    @Test
    void dataExtentsOfSparseFile() throws IOException {
        Path p = tmp.resolve("sparse.bin");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeAt(ch, 0, filled(4096, 0x11));
            writeAt(ch, 10 * MIB, filled(4096, 0x22));
        }
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(20 * MIB);
        }

        List<long[]> ext = LinuxFile.dataExtents(p, 20 * MIB);
        assumeThat(asLists(ext))
                .as("file system of %s does not report holes", tmp)
                .isNotEqualTo(List.of(List.of(0L, 20 * MIB)));
        assertThat(asLists(ext)).containsExactly(
                List.of(0L, 4096L),
                List.of(10 * MIB, 10 * MIB + 4096));

        // Clipping to a smaller size and the trivial cases.
        assertThat(asLists(LinuxFile.dataExtents(p, 2048))).containsExactly(List.of(0L, 2048L));
        assertThat(asLists(LinuxFile.dataExtents(p, 10 * MIB + 100)))
                .containsExactly(List.of(0L, 4096L), List.of(10 * MIB, 10 * MIB + 100));
        assertThat(LinuxFile.dataExtents(p, 0)).isEmpty();

        Path holes = createSparse(tmp.resolve("holes.bin"), 8 * MIB);
        assertThat(LinuxFile.dataExtents(holes, 8 * MIB)).isEmpty();

        try (LinuxFile f = LinuxFile.open(p, false)) {
            assertThat(f.fd()).isGreaterThanOrEqualTo(0);
            assertThat(f.seekData(0)).isEqualTo(0);
            assertThat(f.seekHole(0)).isEqualTo(4096);
            assertThat(f.seekData(4096)).isEqualTo(10 * MIB);
            assertThat(f.seekHole(10 * MIB)).isEqualTo(10 * MIB + 4096);
            assertThat(f.seekData(10 * MIB + 4096)).isEqualTo(-1);
            assertThat(f.seekHole(10 * MIB + 4096)).isEqualTo(10 * MIB + 4096);
            assertThat(f.seekData(20 * MIB)).isEqualTo(-1);
            assertThat(f.seekHole(20 * MIB)).isEqualTo(-1);
            assertThat(f.seekData(30 * MIB)).isEqualTo(-1);
        }
    }

    @Test
    void punchHoleZeroesRangeAndDeallocates() throws IOException {
        Path p = tmp.resolve("punch.bin");
        byte[] data = new byte[(int) (256 * KIB)];
        new Random(42).nextBytes(data);
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                data[i] = 1;
            }
        }
        Files.write(p, data);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.force(true);
        }

        boolean punched;
        try (LinuxFile f = LinuxFile.open(p, true)) {
            punched = f.punchHole(64 * KIB, 64 * KIB);
        }
        assumeThat(punched).as("fallocate(PUNCH_HOLE) unsupported on %s", tmp).isTrue();

        assertThat(Files.size(p)).isEqualTo(data.length);
        assertThat(readAt(p, 64 * KIB, (int) (64 * KIB))).isEqualTo(new byte[(int) (64 * KIB)]);
        assertThat(readAt(p, 0, (int) (64 * KIB))).isEqualTo(Arrays.copyOfRange(data, 0, (int) (64 * KIB)));
        assertThat(readAt(p, 128 * KIB, (int) (128 * KIB)))
                .isEqualTo(Arrays.copyOfRange(data, (int) (128 * KIB), data.length));

        List<long[]> ext = LinuxFile.dataExtents(p, data.length);
        assumeThat(asLists(ext)).as("file system does not report holes")
                .isNotEqualTo(List.of(List.of(0L, (long) data.length)));
        assertThat(asLists(ext)).containsExactly(
                List.of(0L, 64 * KIB),
                List.of(128 * KIB, (long) data.length));
    }

    @Test
    void openMissingFileThrowsNoSuchFile() {
        Path missing = tmp.resolve("does-not-exist.bin");
        assertThatThrownBy(() -> LinuxFile.open(missing, false))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining(": ");
        assertThatThrownBy(() -> LinuxFile.dataExtents(missing, 10))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void closeIsIdempotentAndRegularFileIsNoBlockDevice() throws IOException {
        Path p = Files.write(tmp.resolve("plain.bin"), new byte[] {1, 2, 3});
        LinuxFile f = LinuxFile.open(p, true);
        assertThatThrownBy(f::blockDeviceSize).isInstanceOf(IOException.class).hasMessageContaining(p.toString());
        f.close();
        f.close();
        assertThat(f.fd()).isEqualTo(-1);
        assertThat(LinuxFile.isBlockDevice(p)).isFalse();
        assertThat(LinuxFile.isBlockDevice(tmp)).isFalse();
        assertThat(LinuxFile.isBlockDevice(tmp.resolve("nope"))).isFalse();
    }

    // ---------------------------------------------------------------- reflinks

    @Test
    void canReflinkOnTempDirDoesNotThrow() {
        boolean r = LinuxFile.canReflink(tmp, tmp);
        assertThat(r).isIn(true, false);
        assertThat(LinuxFile.canReflink(tmp.resolve("missing"), tmp)).isFalse();
        try (var s = Files.list(tmp)) {
            assertThat(s.filter(x -> x.getFileName().toString().startsWith(".jcasync-reflink-")).count()).isZero();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void cloneRangeOnBtrfs() throws Exception {
        cloneRangeOnLoopFs("mkfs.btrfs", "-q");
    }

    @Test
    void cloneRangeOnXfs() throws Exception {
        cloneRangeOnLoopFs("mkfs.xfs", "-q", "-m", "reflink=1");
    }

    private void cloneRangeOnLoopFs(String mkfs, String... mkfsArgs) throws Exception {
        assumeThat(isRoot()).as("needs root").isTrue();
        assumeThat(hasCommand(mkfs)).as("%s missing", mkfs).isTrue();

        Path image = createSparse(tmp.resolve("fs.img"), 300 * MIB);
        List<String> cmd = new ArrayList<>();
        cmd.add(mkfs);
        cmd.addAll(List.of(mkfsArgs));
        cmd.add(image.toString());
        Result mk = run(cmd.toArray(String[]::new));
        assertThat(mk.rc()).as("%s: %s", cmd, mk.output()).isZero();

        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        Result mount = run("mount", "-o", "loop", image.toString(), mnt.toString());
        assumeThat(mount.rc()).as("mount failed: %s", mount.output()).isZero();
        try {
            byte[] data = new byte[(int) MIB];
            new Random(7).nextBytes(data);
            Path src = Files.write(mnt.resolve("src.bin"), data);
            Path dst = Files.createFile(mnt.resolve("dst.bin"));
            try (LinuxFile s = LinuxFile.open(src, false); LinuxFile d = LinuxFile.open(dst, true)) {
                assertThat(d.cloneRangeFrom(s, 128 * KIB, 512 * KIB, 0)).isTrue();
            }
            assertThat(Files.size(dst)).isEqualTo(512 * KIB);
            assertThat(Files.readAllBytes(dst))
                    .isEqualTo(Arrays.copyOfRange(data, (int) (128 * KIB), (int) (640 * KIB)));

            // Misaligned ranges are refused with a fall-back signal, not an exception.
            try (LinuxFile s = LinuxFile.open(src, false); LinuxFile d = LinuxFile.open(dst, true)) {
                assertThat(d.cloneRangeFrom(s, 100, 4096, 0)).isFalse();
            }

            assertThat(LinuxFile.canReflink(mnt, mnt)).isTrue();
            // Across file systems (ext4 temp dir vs. loop mount) cloning must fail gracefully.
            assertThat(LinuxFile.canReflink(tmp, mnt)).isFalse();
        } finally {
            Result um = run("umount", mnt.toString());
            if (um.rc() != 0) {
                run("umount", "-l", mnt.toString());
            }
        }
    }

    // ---------------------------------------------------------------- block devices

    @Test
    void blockDeviceSizeOfLoopDevice() throws Exception {
        assumeThat(isRoot()).as("needs root").isTrue();
        assumeThat(hasCommand("losetup")).as("losetup missing").isTrue();

        Path backing = createSparse(tmp.resolve("loop.img"), 64 * MIB);
        Result setup = run("losetup", "--find", "--show", backing.toString());
        assumeThat(setup.rc()).as("losetup failed: %s", setup.output()).isZero();
        String dev = setup.output().strip();
        try {
            Path devPath = Path.of(dev);
            assertThat(LinuxFile.isBlockDevice(devPath)).isTrue();
            assertThat(LinuxFile.isBlockDevice(backing)).isFalse();
            try (LinuxFile f = LinuxFile.open(devPath, false)) {
                assertThat(f.blockDeviceSize()).isEqualTo(64 * MIB);
            }
            assertThat(asLists(LinuxFile.dataExtents(devPath, 64 * MIB))).containsExactly(List.of(0L, 64 * MIB));
        } finally {
            run("losetup", "-d", dev);
        }
    }
}
