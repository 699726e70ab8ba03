package org.jcasync.http;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * An http(s) URL taken apart: the address requests go to (without user info), the form shown in messages (user
 * name kept, password never), and the Basic credentials of {@code http://user:password@host/…}, if any.
 *
 * @param uri where requests go
 * @param display the URL for messages
 * @param basicAuthorization {@code Basic …} from the URL's user info, or null
 */
record HttpLocation(URI uri, String display, String basicAuthorization) {
    /** Parses {@code location}; {@code directory} adds a trailing slash to the path (a store's base URL). */
    static HttpLocation of(URI location, boolean directory) {
        String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("not an http(s) URL: " + location);
        }
        if (location.getRawAuthority() == null || location.getHost() == null) {
            throw new IllegalArgumentException("no host in " + scheme + " URL " + withoutPassword(location));
        }
        String authority = location.getRawAuthority();
        String user = null;
        String basic = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String info = location.getUserInfo();
            authority = authority.substring(at + 1);
            int colon = info.indexOf(':');
            user = location.getRawUserInfo();
            int rawColon = user.indexOf(':');
            if (rawColon >= 0) {
                user = user.substring(0, rawColon);
            }
            basic = "Basic " + Base64.getEncoder().encodeToString(
                    (colon >= 0 ? info : info + ":").getBytes(StandardCharsets.UTF_8));
        }
        String path = location.getRawPath() == null || location.getRawPath().isEmpty() ? "/" : location.getRawPath();
        if (directory && !path.endsWith("/")) {
            path += "/";
        }
        String query = !directory && location.getRawQuery() != null ? "?" + location.getRawQuery() : "";
        URI uri = URI.create(scheme + "://" + authority + path + query);
        String display = scheme + "://" + (user != null ? user + "@" : "") + authority + path + query;
        return new HttpLocation(uri, display, basic);
    }

    /** The URL with any password replaced by {@code ***}, for messages about a URL that could not be parsed. */
    static String withoutPassword(URI u) {
        String s = u.toString();
        String info = u.getRawUserInfo();
        int colon = info == null ? -1 : info.indexOf(':');
        return colon < 0 ? s : s.replace(info, info.substring(0, colon) + ":***");
    }

    /** {@code relative} (a raw, already encoded path) below this location. */
    URI resolve(String relative) {
        return uri.resolve(relative);
    }

    /** The display form of {@code relative} below this location. */
    String display(String relative) {
        return display + relative;
    }
}
