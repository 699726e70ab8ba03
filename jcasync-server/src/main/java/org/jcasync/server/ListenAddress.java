package org.jcasync.server;

/**
 * Where a server listens: {@code host:port}, {@code :port} (every interface) or {@code [v6]:port}; port 0 picks a
 * free port.
 *
 * @param host the interface's address or name; empty for every interface
 * @param port the TCP port, 0 for any free one
 */
public record ListenAddress(String host, int port) {
    /** The default: the loopback interface, port 8080. */
    public static final ListenAddress DEFAULT = new ListenAddress("127.0.0.1", 8080);

    public ListenAddress {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range (0-65535)");
        }
    }

    /** Parses {@code host:port}, {@code :port} or {@code [v6]:port}. */
    public static ListenAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("bad listen address '" + text + "': expected HOST:PORT or :PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("bad listen address '" + text + "': write IPv6 addresses as [ADDR]:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad listen address '" + text + "': port '" + text.substring(colon + 1)
                    + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("bad listen address '" + text + "': port " + port
                    + " is out of range (0-65535)");
        }
        return new ListenAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
