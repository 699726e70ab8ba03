package org.jcasync.ssh;

import java.net.URI;
import java.util.Locale;

/**
 * Where an {@code ssh://} or {@code sftp://} location points: {@code [user@]host[:port]/path}.
 *
 * @param user the login name, or null for ssh's default
 * @param host the host name or address (never starting with '-', so ssh cannot take it for an option)
 * @param port the port, or -1 for ssh's default
 * @param path the remote path: absolute, or relative to the login's home directory when the URL's path starts
 *             with {@code /~/}
 */
public record SshTarget(String user, String host, int port, String path) {
    public SshTarget {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("no host given");
        }
        if (host.startsWith("-") || user != null && user.startsWith("-")) {
            throw new IllegalArgumentException("host or user name '" + host + "' starts with '-'");
        }
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("no remote path given");
        }
    }

    /** Parses {@code scheme://[user@]host[:port]/path}. */
    public static SshTarget parse(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException(uri + ": no host given (" + scheme + "://[user@]host[:port]/path)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(uri + ": " + scheme + " locations take no query or fragment");
        }
        String user = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            user = decode(authority.substring(0, at));
            authority = authority.substring(at + 1);
        }
        int port = -1;
        String host = authority;
        int colon = authority.lastIndexOf(':');
        if (colon >= 0 && authority.indexOf(']') < colon) {
            host = authority.substring(0, colon);
            try {
                port = Integer.parseInt(authority.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(uri + ": bad port '" + authority.substring(colon + 1) + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(uri + ": port " + port + " out of range");
            }
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String path = uri.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            throw new IllegalArgumentException(uri + ": no remote path given (" + scheme
                    + "://[user@]host[:port]/path)");
        }
        if (path.startsWith("/~/")) {
            path = path.substring(3);
        }
        try {
            return new SshTarget(user, host, port, path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(uri + ": " + e.getMessage(), e);
        }
    }

    private static String decode(String s) {
        return URI.create("x:" + s).getSchemeSpecificPart();
    }

    /** The ssh destination: {@code user@host} or {@code host}. */
    public String destination() {
        return user == null ? host : user + "@" + host;
    }

    /** The same host with another path. */
    public SshTarget withPath(String p) {
        return new SshTarget(user, host, port, p);
    }
}
