package org.jcasync.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * jcasync's bundled native library ({@code src/main/c}: the chunker's hot loop and the multi-buffer digests), loaded
 * once for all its users, and what this CPU runs of it. The library is a class-path resource built with the module
 * when a C compiler is at hand; it holds a loop for every x86-64 family (its vector functions carry their own target
 * attributes) and reports the CPU's instruction sets ({@code jc_cpu_features}), from which each user picks its
 * fastest path at run time. When the library is missing, cannot be loaded or the platform is not linux x86-64,
 * {@link #find} returns null and the callers stay in Java.
 *
 * <p>{@code -Djcasync.cpu=avx512|avx2|scalar|java} caps what is used (for tests and measurements): {@code avx2} leaves
 * out the AVX-512 paths, {@code scalar} every vector and SHA-NI path, {@code java} the whole library.
 */
@SuppressWarnings("restricted")
final class NativeLibrary {
    /** Where the build puts the library, relative to this class's package. */
    static final String RESOURCE = "native/linux-x86_64/libjcasync-native.so";
    /** The system property that caps the paths used. */
    static final String CPU_PROPERTY = "jcasync.cpu";

    /** {@code jc_cpu_features} bits (jcnative.h). */
    static final int CPU_AVX2 = 1;
    static final int CPU_AVX512 = 2;
    static final int CPU_AVX512VBMI = 4;
    static final int CPU_SHA = 8;

    /** What {@code -Djcasync.cpu} allows, from the least. */
    enum Level {
        JAVA, SCALAR, AVX2, AVX512
    }

    /** The code paths of the native functions, with the numbers jcnative.h gives them. */
    enum Isa {
        SCALAR(0, "scalar", Level.SCALAR),
        AVX512(1, "AVX-512", Level.AVX512),
        AVX2(2, "AVX2", Level.AVX2),
        /** The SHA extensions (SHA-1 and SHA-256 only); {@code -Djcasync.cpu=avx2} and above allow them. */
        SHANI(3, "SHA-NI", Level.AVX2);

        /** The number the C functions take. */
        final int id;
        /** The name reports use. */
        final String label;
        final Level level;

        Isa(int id, String label, Level level) {
            this.id = id;
            this.label = label;
            this.level = level;
        }
    }

    /** The value of {@code -Djcasync.cpu}, or null when it is unset or not one of the levels. */
    private static final Level CEILING = ceiling(System.getProperty(CPU_PROPERTY));
    /** The library, or why it is not loaded. */
    private record Loading(SymbolLookup library, String problem) {
    }

    private static final Loading LOADING = load();
    /** The loaded library, or null. */
    private static final SymbolLookup LIBRARY = LOADING.library();
    /** This CPU's {@code jc_cpu_features} bits, 0 without the library. */
    private static final int FEATURES = cpuFeatures();

    private NativeLibrary() {
    }

    /** True when the library is loaded. */
    static boolean loaded() {
        return LIBRARY != null;
    }

    /** Why the library is not loaded, or null when it is. */
    static String problem() {
        return LOADING.problem();
    }

    /** This CPU's {@code jc_cpu_features} bits (0 without the library). */
    static int features() {
        return FEATURES;
    }

    /** The level {@code -Djcasync.cpu} caps the paths at, or null when it is not set (or not a level). */
    static Level ceiling() {
        return CEILING;
    }

    /** Whether {@code -Djcasync.cpu} (if set) allows {@code isa}. */
    static boolean allowed(Isa isa) {
        return CEILING == null || isa.level.compareTo(CEILING) <= 0;
    }

    /** The level named by a {@code -Djcasync.cpu} value, or null for none or a name that is not one. */
    static Level ceiling(String value) {
        if (value == null) {
            return null;
        }
        for (Level l : Level.values()) {
            if (l.name().equalsIgnoreCase(value.strip())) {
                return l;
            }
        }
        return null;
    }

    /**
     * A downcall handle for the exported function {@code name}, or null when the library or the function is not
     * there.
     */
    static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (LIBRARY == null) {
            return null;
        }
        try {
            MemorySegment symbol = LIBRARY.find(name).orElse(null);
            return symbol == null ? null : Linker.nativeLinker().downcallHandle(symbol, descriptor, options);
        } catch (RuntimeException e) {
            return null;   // e.g. native access denied: stay in Java
        }
    }

    /** What a failed downcall throws: runtime exceptions and errors as they are, anything else wrapped. */
    static RuntimeException unchecked(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }

    private static int cpuFeatures() {
        MethodHandle f = find("jc_cpu_features", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        if (f == null) {
            return 0;
        }
        try {
            return (int) f.invokeExact();
        } catch (Throwable t) {
            return 0;
        }
    }

    private static Loading load() {
        if (CEILING == Level.JAVA) {
            return new Loading(null, "switched off by -D" + CPU_PROPERTY + "=java");
        }
        if (!isLinuxX8664()) {
            return new Loading(null, "built for linux x86-64 only, this is " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch"));
        }
        try {
            URL url = NativeLibrary.class.getResource(RESOURCE);
            if (url == null) {
                return new Loading(null, "not in this build (there was no C compiler)");
            }
            return new Loading(open(url), null);
        } catch (Throwable t) {
            // Optional speed-up: any failure (odd packaging, noexec temp directory, old libc) means "not here".
            return new Loading(null, "cannot be loaded: " + t);
        }
    }

    private static boolean isLinuxX8664() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /**
     * Opens the library: straight from the class directory during development and tests, else (inside a jar)
     * from a temporary copy, since dlopen needs a file. The copy is deleted at once: the mapping stays valid.
     */
    private static SymbolLookup open(URL url) throws IOException, URISyntaxException {
        if (url.getProtocol().equals("file")) {
            return SymbolLookup.libraryLookup(Path.of(url.toURI()), Arena.global());
        }
        Path tmp = Files.createTempFile("libjcasync-native", ".so");
        try {
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return SymbolLookup.libraryLookup(tmp, Arena.global());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
