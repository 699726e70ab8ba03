package org.jcasync.chunk;

import org.assertj.core.api.Assumptions;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/** Reproducible inputs for tests. */
public final class TestData {
    private TestData() {
    }

    /** The reference's {@code sha256ctr-4M.bin}: SHA-256(uint64_le(i)) for i = 0..131071. */
    public static byte[] sha256ctr4M() throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] out = new byte[4 << 20];
        ByteBuffer le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 131072; i++) {
            le.clear();
            le.putLong(i);
            md.update(le.array());
            md.digest(out, i * 32, 32);
        }
        return out;
    }

    /** Flips some bits of one byte every {@code every} bytes of {@code file} (from byte {@code first}), in place. */
    public static void flipBytes(java.nio.file.Path file, long first, long every) throws java.io.IOException {
        file.toFile().setWritable(true);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            for (long at = first; at < ch.size(); at += every) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, at);
                b.put(0, (byte) (b.get(0) ^ 0x5a));
                b.rewind();
                ch.write(b, at);
            }
        }
    }

    /** Test code that gets a class loader holding the module's classes afresh. */
    public interface FreshClasses {
        /** Runs the test with {@code fresh}. */
        void run(ClassLoader fresh) throws Exception;
    }

    /**
     * Runs {@code test} with the module's classes in a fresh class loader while the system property {@code name}
     * is {@code true}, then restores the property. Switches such as {@code jcasync.noNativeSha} are read once per
     * class loader, so this is how a test sees them take effect. Exceptions of reflective calls are unwrapped.
     */
    public static void withSwitchOn(String name, FreshClasses test) throws Exception {
        withProperty(name, "true", test);
    }

    /** {@link #withSwitchOn} with the property set to {@code value}. */
    public static void withProperty(String name, String value, FreshClasses test) throws Exception {
        URL classes = Chunker.class.getProtectionDomain().getCodeSource().getLocation();
        String old = System.getProperty(name);
        System.setProperty(name, value);
        try (URLClassLoader fresh = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
            test.run(fresh);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw (Error) e.getCause();
        } finally {
            if (old == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, old);
            }
        }
    }

    /** Calls the static method {@code method()} of class {@code type} as loaded by {@code loader}, even if private. */
    public static Object callStatic(ClassLoader loader, Class<?> type, String method) throws Exception {
        Method m = loader.loadClass(type.getName()).getDeclaredMethod(method);
        m.setAccessible(true);
        return m.invoke(null);
    }

    /** The CPU flags of /proc/cpuinfo ("" where there is none), each followed by a space and the whole led by one. */
    public static String cpuFlags() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return "";
        }
        return " " + Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("flags"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("") + " ";
    }

    /**
     * Skips the test unless {@code runs}, saying why: the native library is not loaded, or this CPU lacks what
     * {@code what} needs.
     */
    public static void assumeRuns(boolean runs, String what) {
        Assumptions.assumeThat(runs).as("%s: %s", what, NativeLibrary.loaded()
                ? "this CPU (" + Kernels.cpuName() + ") lacks it" : "no native library: " + NativeLibrary.problem())
                .isTrue();
    }

    /** Random bytes from a seed. */
    public static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Lowercase hex of SHA-256. */
    public static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /**
     * Cut positions of the byte-by-byte reference rule, written straight from the reference text: the hash of the
     * last 48 bytes of the chunk (start formula for the first window, then the roll formula, which the reference
     * states to be equal), no skipping, plain unsigned modulo.
     */
    public static long[] referenceCuts(byte[] data, ChunkerParams p) {
        long[] cuts = new long[Math.min(data.length + 1, 1 << 16)];
        int n = 0;
        int s = 0;
        int h = 0;
        for (int i = 0; i < data.length; i++) {
            s++;
            boolean cut;
            if (p.fixed()) {
                cut = s == p.avg();
            } else {
                if (s < 48) {
                    cut = false;
                } else {
                    if (s == 48) {
                        h = 0;
                        for (int j = 0; j < 48; j++) {
                            h ^= Integer.rotateLeft(Chunker.TABLE[data[i - 47 + j] & 0xff], 47 - j);
                        }
                    } else {
                        h = Integer.rotateLeft(h, 1) ^ Integer.rotateLeft(Chunker.TABLE[data[i - 48] & 0xff], 48)
                                ^ Chunker.TABLE[data[i] & 0xff];
                    }
                    cut = s >= p.max() || (s >= p.min()
                            && Integer.remainderUnsigned(h, p.discriminator()) == p.discriminator() - 1);
                }
            }
            if (cut) {
                if (n == cuts.length) {
                    cuts = java.util.Arrays.copyOf(cuts, Math.min(data.length + 1, 2 * n));
                }
                cuts[n++] = i + 1;
                s = 0;
            }
        }
        if (s > 0) {
            if (n == cuts.length) {
                cuts = java.util.Arrays.copyOf(cuts, n + 1);
            }
            cuts[n++] = data.length;
        }
        return java.util.Arrays.copyOf(cuts, n);
    }
}
