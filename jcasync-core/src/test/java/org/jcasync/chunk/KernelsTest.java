package org.jcasync.chunk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The choice of code paths at run time: {@code -Djcasync.cpu} caps it the same way for every kernel, the results stay
 * the same on every path, and {@link Kernels#report()} says what was chosen.
 */
class KernelsTest {
    /**
     * The paths this machine should pick under a cap, from /proc/cpuinfo and whether the library was built: chunker,
     * SHA-512/256 batches, SHA-256 batches ("null" for Java or one message at a time).
     */
    private static List<String> expectedPaths(String cap) throws Exception {
        String flags = TestData.cpuFlags();
        boolean lib = NativeLibrary.class.getResource(NativeLibrary.RESOURCE) != null && !cap.equals("java");
        boolean vbmi = flags.contains(" avx512f ") && flags.contains(" avx512bw ") && flags.contains(" avx512vbmi ");
        boolean avx512 = flags.contains(" avx512f ") && flags.contains(" avx512bw ");
        boolean avx2 = flags.contains(" avx2 ");
        boolean sha = flags.contains(" sha_ni ");
        boolean upTo512 = !cap.equals("avx2") && !cap.equals("scalar");
        boolean upTo2 = !cap.equals("scalar");
        String chunker = !lib ? "null" : vbmi && upTo512 ? "AVX512" : avx2 && upTo2 ? "AVX2" : "SCALAR";
        String sha512 = !lib ? "null" : avx512 && upTo512 ? "AVX512" : avx2 && upTo2 ? "AVX2" : "null";
        String sha256 = lib && sha && upTo2 ? "SHANI" : "null";
        return List.of(chunker, sha512, sha256);
    }

    /**
     * Under each cap (and an unknown value, which caps nothing), every kernel takes the fastest path allowed, and
     * chunks and digests come out the same as the reference rule and the JDK's digests. The property is read once per
     * class loader, so each runs the classes in a fresh one.
     */
    @ParameterizedTest
    @ValueSource(strings = {"avx512", "avx2", "scalar", "java", "AVX2", "bogus"})
    void theCpuPropertyCapsEveryKernel(String cap) throws Exception {
        byte[] data = TestData.random(21, 400_000);
        long[] cuts = TestData.referenceCuts(data, ChunkerParams.parse("4K"));
        long[] offs = {0, 1, 1000, 70_000, 5, 300_000};
        long[] lens = {65_536, 65_536, 65_536, 30_000, 100_000, 65_536};
        byte[][] digests = new byte[2][32 * offs.length];
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            for (int i = 0; i < offs.length; i++) {
                System.arraycopy(alg.newDigest().digest(Arrays.copyOfRange(data, (int) offs[i],
                        (int) (offs[i] + lens[i]))), 0, digests[alg.ordinal()], 32 * i, 32);
            }
        }
        TestData.withProperty(NativeLibrary.CPU_PROPERTY, cap, fresh -> {
            Class<?> algorithm = fresh.loadClass(DigestAlgorithm.class.getName());
            Class<?> multi = fresh.loadClass(NativeMultiBuffer.class.getName());
            Method path = multi.getDeclaredMethod("path", algorithm);
            path.setAccessible(true);
            List<String> got = new ArrayList<>();
            got.add(String.valueOf(TestData.callStatic(fresh, NativeChunker.class, "path")));
            got.add(String.valueOf(path.invoke(null, algorithm.getField("SHA512_256").get(null))));
            got.add(String.valueOf(path.invoke(null, algorithm.getField("SHA256").get(null))));
            assertThat(got).as("chunker, SHA-512/256, SHA-256 under -Djcasync.cpu=%s", cap)
                    .isEqualTo(expectedPaths(cap.toLowerCase(Locale.ROOT)));

            Class<?> params = fresh.loadClass(ChunkerParams.class.getName());
            Object chunker = fresh.loadClass(Chunker.class.getName()).getConstructor(params)
                    .newInstance(params.getMethod("parse", String.class).invoke(null, "4K"));
            Method next = chunker.getClass().getMethod("next", byte[].class, int.class, int.class);
            List<Long> chunks = new ArrayList<>();
            for (int pos = 0, k; (k = (int) next.invoke(chunker, data, pos, data.length)) >= 0; pos = k) {
                chunks.add((long) k);
            }
            chunks.add((long) data.length);
            assertThat(chunks.stream().mapToLong(Long::longValue).toArray()).isEqualTo(cuts);
            Method many = algorithm.getMethod("digestMany", byte[].class, long[].class, long[].class, int.class,
                    byte[].class);
            for (Object alg : algorithm.getEnumConstants()) {
                byte[] out = new byte[32 * offs.length];
                many.invoke(alg, data, offs, lens, offs.length, out);
                assertThat(out).as("%s", alg).isEqualTo(digests[((Enum<?>) alg).ordinal()]);
            }
        });
    }

    /** The report names the CPU, the library and each kernel's path, as chosen in this process. */
    @Test
    void theReportNamesTheCpuAndEveryKernel() {
        List<String> report = Kernels.report();
        assertThat(report.get(0)).startsWith("CPU: " + Kernels.cpuName());
        assertThat(report).anyMatch(l -> l.startsWith("native library: "));
        NativeLibrary.Isa loop = NativeChunker.path();
        assertThat(report).anyMatch(l -> l.startsWith("chunker: " + (loop == null ? "Java loop"
                : NativeChunker.label(loop))));
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            NativeLibrary.Isa path = NativeMultiBuffer.path(alg);
            assertThat(report).anyMatch(l -> l.startsWith(alg.casyncName() + ": batches "
                    + (path == null ? "one message at a time" : path.label)));
        }
    }

    /** Without the library, the report says why and that everything runs in Java or one message at a time. */
    @Test
    void theReportSaysWhyThereIsNoNativeCode() throws Exception {
        TestData.withProperty(NativeLibrary.CPU_PROPERTY, "java", fresh -> {
            @SuppressWarnings("unchecked")
            List<String> report = (List<String>) TestData.callStatic(fresh, Kernels.class, "report");
            assertThat(report).contains("native library: none, switched off by -Djcasync.cpu=java",
                    "overrides: -Djcasync.cpu=java");
            assertThat(report).anyMatch(l -> l.startsWith("chunker: Java loop (JIT: C"));
            assertThat(report).anyMatch(l -> l.startsWith("sha512-256: batches one message at a time"));
            assertThat(report).anyMatch(l -> l.startsWith("sha256: batches one message at a time"));
        });
    }
}
