package org.jcasync.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * An {@code s3+http://host[:port]/bucket[/key]} or {@code s3+https://…} location (desync's spelling), with an
 * optional {@code ?lookup=path|dns|auto} query. For a store the key is the prefix its chunks are under; for a file
 * (an index) it is the object's key. Plain JDK types only, so parsing a location loads none of the SDK.
 *
 * @param text the location as given, for messages
 * @param endpoint {@code http(s)://host[:port]}, the server the SDK talks to
 * @param bucket the bucket name
 * @param key the key (file) or prefix (store) without leading or trailing slashes; empty for a bucket's root
 * @param pathStyle whether the bucket goes into the path ({@code host/bucket/key}) rather than the host name
 *                  ({@code bucket.host/key})
 */
public record S3Location(String text, URI endpoint, String bucket, String key, boolean pathStyle) {
    /** Parses {@code location}; throws IllegalArgumentException with a one-line reason when it is not one. */
    public static S3Location parse(URI location) {
        String text = location.toString();
        String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("s3+http") && !scheme.equals("s3+https")) {
            throw new IllegalArgumentException("not an S3 location: " + text + " (s3+http:// or s3+https://)");
        }
        String host = location.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("S3 location without a host: " + text
                    + " (s3+http(s)://host[:port]/bucket[/prefix])");
        }
        String path = location.getPath() == null ? "" : location.getPath();
        String trimmed = trimSlashes(path);
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("S3 location without a bucket: " + text
                    + " (s3+http(s)://host[:port]/bucket[/prefix])");
        }
        int slash = trimmed.indexOf('/');
        String bucket = slash < 0 ? trimmed : trimmed.substring(0, slash);
        String key = slash < 0 ? "" : trimSlashes(trimmed.substring(slash + 1));
        URI endpoint;
        try {
            endpoint = new URI(scheme.substring(3), null, host, location.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid S3 location: " + text + " (" + e.getReason() + ")", e);
        }
        return new S3Location(text, endpoint, bucket, key, pathStyle(location.getQuery(), host, text));
    }

    /** The key of {@code name} under this location's key (a store's prefix). */
    public String child(String name) {
        return key.isEmpty() ? name : key + "/" + name;
    }

    /** This location's key, required to name an object (an index file). */
    public String objectKey() {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("S3 location names a bucket, not an object: " + text
                    + " (s3+http(s)://host[:port]/bucket/path/name)");
        }
        return key;
    }

    private static boolean pathStyle(String query, String host, String text) {
        String lookup = "auto";
        if (query != null && !query.isEmpty()) {
            for (String param : query.split("&")) {
                int eq = param.indexOf('=');
                String name = eq < 0 ? param : param.substring(0, eq);
                if (!name.equals("lookup") || eq < 0) {
                    throw new IllegalArgumentException("unknown parameter '" + param + "' in S3 location " + text
                            + " (only lookup=path|dns|auto)");
                }
                lookup = param.substring(eq + 1).toLowerCase(Locale.ROOT);
            }
        }
        return switch (lookup) {
            case "path" -> true;
            case "dns" -> false;
            case "auto" -> !host.toLowerCase(Locale.ROOT).endsWith("amazonaws.com");
            default -> throw new IllegalArgumentException("unknown lookup '" + lookup + "' in S3 location " + text
                    + " (path, dns or auto)");
        };
    }

    private static String trimSlashes(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && s.charAt(a) == '/') {
            a++;
        }
        while (b > a && s.charAt(b - 1) == '/') {
            b--;
        }
        return s.substring(a, b);
    }

    @Override
    public String toString() {
        return text;
    }
}
