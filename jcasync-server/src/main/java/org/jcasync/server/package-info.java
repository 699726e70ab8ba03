/**
 * HTTP servers for chunk stores and index files, speaking the protocol casync's and desync's HTTP clients use:
 * {@link org.jcasync.server.ChunkServer} serves {@code /<4hex>/<id>.cacnk}, {@link org.jcasync.server.IndexServer}
 * serves {@code /<name>.caibx|.caidx}. Each runs on its own Jetty 12 server ({@code JettyServer}),
 * which owns what they share: listen addresses, HTTP/1.1 and HTTP/2 (h2 by ALPN over TLS, h2c), TLS, the
 * {@code Authorization} check, the request log and the limits that keep memory bounded.
 */
package org.jcasync.server;
