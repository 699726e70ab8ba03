package org.jcasync.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * jcasync's own native library ({@code src/main/c}: the multi-buffer digest and the chunker's inner loop), a
 * class-path resource built with the module when a C compiler is at hand. Loaded once, on first use, for all its
 * users; null when it is missing or cannot be loaded (another OS or CPU family, a build without a compiler), and
 * its users fall back to Java.
 */
final class NativeLibrary {
    /** Where the build puts the library, relative to this class's package. */
    static final String RESOURCE = "native/linux-x86_64/libjcasync-sha.so";

    private NativeLibrary() {
    }

    private static final class Holder {
        static final SymbolLookup LOOKUP = load();
    }

    /** The library's symbols, or null when it is not available here. */
    static SymbolLookup lookup() {
        return Holder.LOOKUP;
    }

    private static SymbolLookup load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return null;
        }
        try {
            URL url = NativeLibrary.class.getResource(RESOURCE);
            return url == null ? null : open(url);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // Optional speed-up: any failure (odd packaging, noexec temp directory, old libc) means "not here".
            return null;
        }
    }

    /**
     * Opens the library: straight from the class directory during development and tests, else (inside a jar)
     * from a temporary copy, since dlopen needs a file. The copy is deleted at once: the mapping stays valid.
     */
    private static SymbolLookup open(URL url) throws IOException, URISyntaxException {
        if (url.getProtocol().equals("file")) {
            return SymbolLookup.libraryLookup(Path.of(url.toURI()), Arena.global());
        }
        Path tmp = Files.createTempFile("libjcasync-sha", ".so");
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
