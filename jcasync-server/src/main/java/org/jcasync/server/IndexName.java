package org.jcasync.server;

/** The index file a request names: the last segment of its path, a plain {@code .caibx} or {@code .caidx} name. */
public final class IndexName {
    private IndexName() {
    }

    /**
     * The file name a decoded request path names.
     *
     * @throws HttpStatusException 400 when it is not a plain index file name
     */
    public static String of(String decodedPath) throws HttpStatusException {
        if (decodedPath == null) {
            throw new HttpStatusException(400, "bad path");
        }
        String name = decodedPath.substring(decodedPath.lastIndexOf('/') + 1);
        if (name.isEmpty() || name.startsWith(".") || name.contains("..") || name.indexOf('\\') >= 0
                || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new HttpStatusException(400, "bad index name '" + name + "'");
        }
        if (!name.endsWith(".caibx") && !name.endsWith(".caidx")) {
            throw new HttpStatusException(400, "bad index name '" + name + "': only .caibx and .caidx files are served");
        }
        return name;
    }
}
