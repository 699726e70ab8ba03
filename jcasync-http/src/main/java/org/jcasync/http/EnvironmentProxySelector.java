package org.jcasync.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Proxies as curl and Go take them from the environment: {@code http_proxy} / {@code HTTP_PROXY} for http URLs,
 * {@code https_proxy} / {@code HTTPS_PROXY} for https (tunnelled with CONNECT), except for hosts listed in
 * {@code no_proxy} / {@code NO_PROXY} (comma- or space-separated: {@code *}, a host name, which also covers its
 * sub-domains, {@code .domain}, an IP address, each optionally with {@code :port}). As in Go, requests to
 * {@code localhost} and loopback addresses never go through a proxy. Lower-case names win over upper-case ones.
 */
public final class EnvironmentProxySelector extends ProxySelector {
    private static final List<Proxy> DIRECT = List.of(Proxy.NO_PROXY);

    private final InetSocketAddress httpProxy;
    private final InetSocketAddress httpsProxy;
    private final List<String> noProxy;

    /** A selector for the variables in {@code env} (e.g. {@link System#getenv()}). */
    public EnvironmentProxySelector(Map<String, String> env) {
        this.httpProxy = address(first(env, "http_proxy", "HTTP_PROXY"));
        this.httpsProxy = address(first(env, "https_proxy", "HTTPS_PROXY"));
        List<String> np = new ArrayList<>();
        String v = first(env, "no_proxy", "NO_PROXY");
        if (v != null) {
            for (String s : v.split("[,\\s]+")) {
                if (!s.isEmpty()) {
                    np.add(s.toLowerCase(Locale.ROOT));
                }
            }
        }
        this.noProxy = List.copyOf(np);
    }

    private static String first(Map<String, String> env, String a, String b) {
        String v = env.get(a);
        if (v == null || v.isBlank()) {
            v = env.get(b);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** host:port of a proxy given as {@code [http://]host[:port][/]}; the port defaults to 80 (443 for https://). */
    private static InetSocketAddress address(String value) {
        if (value == null) {
            return null;
        }
        String v = value.contains("://") ? value : "http://" + value;
        URI u;
        try {
            u = URI.create(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use proxy '" + value + "': not a URL", e);
        }
        if (u.getHost() == null) {
            throw new IllegalArgumentException("cannot use proxy '" + value + "': no host");
        }
        int port = u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
        return InetSocketAddress.createUnresolved(u.getHost(), port);
    }

    @Override
    public List<Proxy> select(URI uri) {
        InetSocketAddress proxy = "https".equalsIgnoreCase(uri.getScheme()) ? httpsProxy : httpProxy;
        if (proxy == null || uri.getHost() == null || bypass(uri)) {
            return DIRECT;
        }
        return List.of(new Proxy(Proxy.Type.HTTP, proxy));
    }

    private boolean bypass(URI uri) {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.equals("localhost") || host.endsWith(".localhost") || host.startsWith("127.") || host.equals("::1")) {
            return true;
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        for (String entry : noProxy) {
            if (entry.equals("*")) {
                return true;
            }
            String name = entry;
            int colon = entry.lastIndexOf(':');
            if (colon > 0 && entry.indexOf(':') == colon && !entry.endsWith("]")) {
                if (!entry.substring(colon + 1).equals(Integer.toString(port))) {
                    continue;
                }
                name = entry.substring(0, colon);
            }
            if (name.startsWith("[") && name.endsWith("]")) {
                name = name.substring(1, name.length() - 1);
            }
            String domain = name.startsWith(".") ? name.substring(1) : name;
            if (host.equals(domain) || host.endsWith("." + domain)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // Nothing to learn: the request fails and is retried like any transport error.
    }
}
