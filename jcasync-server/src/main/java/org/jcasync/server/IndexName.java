package org.jcasync.server;

import org.jcasync.pack.ChunkMap;

/**
 * The index file a request names: the last segment of its path, a plain {@code .caibx} or {@code .caidx} name, or
 * the chunk map beside one ({@code .caibx.camap}, {@code .caidx.camap}).
 */
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
        String index = isChunkMap(name) ? name.substring(0, name.length() - ChunkMap.SUFFIX.length()) : name;
        if (!index.endsWith(".caibx") && !index.endsWith(".caidx")) {
            throw new HttpStatusException(400, "bad index name '" + name
                    + "': only .caibx and .caidx files and their .camap chunk maps are served");
        }
        return name;
    }

    /** Whether {@code name} names a chunk map rather than an index. */
    public static boolean isChunkMap(String name) {
        return name.endsWith(ChunkMap.SUFFIX);
    }
}
