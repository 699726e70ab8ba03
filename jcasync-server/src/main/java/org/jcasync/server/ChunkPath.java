package org.jcasync.server;

import org.jcasync.chunk.ChunkId;
import org.jcasync.store.LocalStore;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The URL path of a chunk in casync's store layout: exactly {@code /<first 4 hex>/<64 hex>.cacnk}. */
public final class ChunkPath {
    private static final Pattern PATH = Pattern.compile("/([0-9a-f]{4})/([0-9a-f]{64})"
            + Pattern.quote(LocalStore.SUFFIX));

    private ChunkPath() {
    }

    /** The chunk a path names, or null when it is not exactly a chunk path (lower-case hex, matching prefix). */
    public static ChunkId parse(String rawPath) {
        Matcher m = PATH.matcher(rawPath);
        if (!m.matches() || !m.group(2).startsWith(m.group(1))) {
            return null;
        }
        return ChunkId.parse(m.group(2));
    }

    /** The path of {@code id}. */
    public static String of(ChunkId id) {
        String hex = id.toHex();
        return "/" + hex.substring(0, 4) + "/" + hex + LocalStore.SUFFIX;
    }
}
