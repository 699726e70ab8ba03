package org.jcasync.location;

import org.jcasync.store.StoreRegistry;

import java.nio.file.Path;

/** casync's rules for turning locator strings into local paths and for the default store. */
public final class Locations {
    /** The store casync uses when none is given, beside the index. */
    public static final String DEFAULT_STORE = "default.castr";

    private Locations() {
    }

    /**
     * A local path for {@code locator}; {@code file://} URLs are converted.
     *
     * @throws IllegalArgumentException for other URLs
     */
    public static Path local(String locator) {
        Path p = StoreRegistry.localPath(locator);
        if (p == null) {
            throw new IllegalArgumentException("a local path is needed here, not the URL " + locator);
        }
        return p;
    }

    /**
     * casync's default store: {@code store} (the {@code --store} given), else {@code $CASYNC_STORE}, else
     * {@code default.castr} beside the index, else {@code ./default.castr}.
     */
    public static String defaultStore(String store, String indexLocator) {
        if (store != null) {
            return store;
        }
        String env = System.getenv("CASYNC_STORE");
        if (env != null && !env.isEmpty()) {
            return env;
        }
        if (indexLocator != null && !indexLocator.equals("-")) {
            int slash = indexLocator.lastIndexOf('/');
            return slash < 0 ? DEFAULT_STORE : indexLocator.substring(0, slash + 1) + DEFAULT_STORE;
        }
        return DEFAULT_STORE;
    }

    /** True when {@code name} ends with {@code suffix} (ignoring a URL's query). */
    public static boolean hasSuffix(String name, String suffix) {
        String n = name;
        int q = n.indexOf('?');
        if (q >= 0 && n.contains("://")) {
            n = n.substring(0, q);
        }
        return n.endsWith(suffix);
    }

    /** Whether {@code locator} is stdin/stdout ("-") or not given (null). */
    public static boolean isStdio(String locator) {
        return locator == null || locator.equals("-");
    }
}
