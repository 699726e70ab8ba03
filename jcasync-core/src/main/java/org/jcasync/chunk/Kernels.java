package org.jcasync.chunk;

import org.jcasync.chunk.NativeLibrary.Isa;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Which implementation of each hot kernel this process runs, on what CPU: the chunker's loop, the batch digests and
 * the digests of single messages. Each is chosen once, at start, from what the CPU offers (the bundled native
 * library has AVX-512, AVX2, SHA-NI and scalar code for every x86-64 family; Java code everywhere else), capped by
 * {@code -Djcasync.cpu=avx512|avx2|scalar|java} and switched off one by one by {@code -Djcasync.noNativeChunker},
 * {@code -Djcasync.noNativeSha} and {@code -Djcasync.noOpenSsl}. {@code jcasync --version -v} prints
 * {@link #report()}.
 */
public final class Kernels {
    private static final String[] SWITCHES = {"jcasync.noNativeChunker", "jcasync.noNativeSha", "jcasync.noOpenSsl"};

    private Kernels() {
    }

    /** The CPU's name as the OS gives it ({@code model name} of /proc/cpuinfo), else the architecture's. */
    public static String cpuName() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    /** One line per fact: the CPU, the native library, the overrides and each kernel's implementation. */
    public static List<String> report() {
        List<String> out = new ArrayList<>();
        out.add("CPU: " + cpuName() + " (" + instructionSets() + ")");
        out.add("native library: " + (NativeLibrary.loaded() ? "loaded" : "none, " + NativeLibrary.problem()));
        String overrides = overrides();
        if (!overrides.isEmpty()) {
            out.add("overrides: " + overrides);
        }
        Isa loop = NativeChunker.path();
        out.add("chunker: " + (loop == null ? "Java loop (" + jit() + ")"
                : NativeChunker.label(loop) + " loop (native)") + others(NativeChunker.PATHS, loop, NativeChunker::runs, NativeChunker::label));
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            Isa path = NativeMultiBuffer.path(alg);
            out.add(alg.casyncName() + ": batches " + (path == null ? "one message at a time"
                    : path.label + ", " + NativeMultiBuffer.lanes(path) + " messages at a time (native)")
                    + others(NativeMultiBuffer.paths(alg), path, p -> NativeMultiBuffer.runs(alg, p), p -> p.label)
                    + "; single messages " + singleDigest());
        }
        return out;
    }

    /** What this CPU offers of the instruction sets jcasync has code for. */
    private static String instructionSets() {
        if (!NativeLibrary.loaded()) {
            return "instruction sets not checked without the native library";
        }
        int f = NativeLibrary.features();
        List<String> has = new ArrayList<>();
        List<String> lacks = new ArrayList<>();
        (has(f, NativeLibrary.CPU_AVX2) ? has : lacks).add("avx2");
        (has(f, NativeLibrary.CPU_AVX512) ? has : lacks).add("avx512f+bw");
        (has(f, NativeLibrary.CPU_AVX512VBMI) ? has : lacks).add("avx512vbmi");
        (has(f, NativeLibrary.CPU_SHA) ? has : lacks).add("sha-ni");
        return (has.isEmpty() ? "" : "has " + String.join(" ", has)) + (has.isEmpty() || lacks.isEmpty() ? "" : "; ")
                + (lacks.isEmpty() ? "" : "lacks " + String.join(" ", lacks));
    }

    private static boolean has(int features, int bit) {
        return (features & bit) != 0;
    }

    private interface Runs {
        boolean runs(Isa path);
    }

    /** The other native paths of a kernel: those this CPU runs as well, and those it cannot (with the library). */
    private static String others(List<Isa> paths, Isa active, Runs runs, Function<Isa, String> label) {
        if (!NativeLibrary.loaded()) {
            return "";
        }
        List<String> also = new ArrayList<>();
        List<String> cannot = new ArrayList<>();
        for (Isa p : paths) {
            if (p != active) {
                (runs.runs(p) ? also : cannot).add(label.apply(p));
            }
        }
        return (also.isEmpty() ? "" : "; also available " + String.join(", ", also))
                + (cannot.isEmpty() ? "" : "; not on this CPU " + String.join(", ", cannot));
    }

    private static String singleDigest() {
        return OpenSslHasher.available() ? "OpenSSL (" + OpenSslHasher.libraryName() + ")" : "JDK";
    }

    /** The system properties that chose or capped the kernels, as given. */
    private static String overrides() {
        List<String> set = new ArrayList<>();
        String cpu = System.getProperty(NativeLibrary.CPU_PROPERTY);
        if (cpu != null) {
            set.add("-D" + NativeLibrary.CPU_PROPERTY + "=" + cpu + (NativeLibrary.ceiling(cpu) != null ? ""
                    : " (ignored: not java, scalar, avx2 or avx512)"));
        }
        for (String s : SWITCHES) {
            if (Boolean.getBoolean(s)) {
                set.add("-D" + s + "=true");
            }
        }
        return String.join(" ", set);
    }

    /** Which JIT compiler runs Java code: the Java chunker loop is several times faster with C2. */
    private static String jit() {
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:TieredStopAtLevel=") && !arg.endsWith("=4")) {
                return "JIT: C1 only";
            }
        }
        return "JIT: C2";
    }
}
