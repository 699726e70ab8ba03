package org.jcasync.cli;

import java.nio.file.Path;

/** casync's rules for turning locator strings into local paths and for the default store. */
final class Locations {
    private Locations() {
    }

    /** A local path for {@code locator}; {@code file://} URLs are converted; other URLs are refused here. */
    static Path local(String locator) {
        Path p = org.jcasync.store.StoreRegistry.localPath(locator);
        if (p == null) {
            throw new UserException("a local path is needed here, not the URL " + locator);
        }
        return p;
    }

    /**
     * casync's default store: {@code --store}, else {@code $CASYNC_STORE}, else {@code default.castr} beside the
     * index, else {@code ./default.castr}.
     */
    static String defaultStore(String store, String indexLocator) {
        if (store != null) {
            return store;
        }
        String env = System.getenv("CASYNC_STORE");
        if (env != null && !env.isEmpty()) {
            return env;
        }
        if (indexLocator != null && !indexLocator.equals("-")) {
            int slash = indexLocator.lastIndexOf('/');
            return slash < 0 ? "default.castr" : indexLocator.substring(0, slash + 1) + "default.castr";
        }
        return "default.castr";
    }

    /** True when {@code name} ends with {@code suffix} (ignoring URL query/fragment). */
    static boolean hasSuffix(String name, String suffix) {
        String n = name;
        int q = n.indexOf('?');
        if (q >= 0 && n.contains("://")) {
            n = n.substring(0, q);
        }
        return n.endsWith(suffix);
    }
}
