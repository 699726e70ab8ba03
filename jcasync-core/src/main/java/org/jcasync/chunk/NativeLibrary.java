package org.jcasync.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * jcasync's bundled native library ({@code src/main/c}: the multi-buffer SHA-512/256 digest and the chunker's hot
 * loop), loaded once for all its users. The library is a class-path resource built with the module when a C
 * compiler is at hand; when it is missing, cannot be loaded or the platform is not linux x86-64, {@link #find}
 * returns null and the callers stay in Java.
 */
@SuppressWarnings("restricted")
final class NativeLibrary {
    /** Where the build puts the library, relative to this class's package. */
    static final String RESOURCE = "native/linux-x86_64/libjcasync-native.so";

    /** The loaded library, or null. */
    private static final SymbolLookup LIBRARY = load();

    private NativeLibrary() {
    }

    /** True when the library is loaded. */
    static boolean loaded() {
        return LIBRARY != null;
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

    /** Calls a native {@code int f(void)} (a CPU feature check), treating any failure as 0. */
    static int callIntFunction(MethodHandle function) {
        try {
            return (int) function.invokeExact();
        } catch (Throwable t) {
            return 0;
        }
    }

    /** What a failed downcall throws: runtime exceptions and errors as they are, anything else wrapped. */
    static RuntimeException unchecked(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }

    private static SymbolLookup load() {
        if (!isLinuxX8664()) {
            return null;
        }
        try {
            URL url = NativeLibrary.class.getResource(RESOURCE);
            return url == null ? null : open(url);
        } catch (Throwable t) {
            // Optional speed-up: any failure (odd packaging, noexec temp directory, old libc) means "not here".
            return null;
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
