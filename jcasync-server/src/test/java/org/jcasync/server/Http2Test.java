package org.jcasync.server;

import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What HTTP/2 changes on the servers: which clients get it (h2 by ALPN over TLS, h2c on plain http only for those
 * that ask), that the others keep HTTP/1.1, and that the limits hold for the streams of one connection. The
 * requests themselves are tested over HTTP/2 by the {@code Http2…Test} subclasses of the HTTP/1.1 tests.
 */
class Http2Test extends ChunkServerFixture {
    /** The first bytes of every HTTP/2 connection (RFC 9113, 3.4). */
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private URI start(ServerOptions options) throws IOException {
        server = new ChunkServer(store, options.writable() ? store : null, StoreOptions.DEFAULT, options).start();
        return server.uris().getFirst();
    }

    private static Http client(URI base, Protocol p, HttpClient.Version version) {
        return new Protocol(p.tls(), p.trust(), version).client(base);
    }

    @Test
    void tlsOffersH2ByAlpnAndKeepsHttp11ForTheOtherClients() throws Exception {
        TestChunks c = TestChunks.random(1, 50_000).putInto(store);
        byte[] frame = Files.readAllBytes(store.chunkPath(c.id()));
        Protocol h2 = Protocol.h2(tmp);
        StringWriter log = new StringWriter();
        URI base = start(h2.serve(ServerOptions.loopback().withRequestLog(new RequestLogger(log, false))));
        // Http checks that each reply came over the protocol its client asked for.
        for (HttpClient.Version v : HttpClient.Version.values()) {
            Http http = client(base, h2, v);
            HttpResponse<byte[]> get = http.get(c.path());
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo(frame);
            HttpResponse<byte[]> head = http.head(c.path());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(http.get(TestChunks.random(2, 10).path()).statusCode()).isEqualTo(404);
        }
        // Raw TLS clients offering (by ALPN) only http/1.1, as curl --http1.1 does, or nothing, get HTTP/1.1; one
        // offering both, as curl and libcurl do by default, gets h2.
        for (List<String> offered : List.of(List.of("http/1.1"), List.<String>of(), List.of("h2", "http/1.1"))) {
            try (SSLSocket s = (SSLSocket) TestCertificates.client(tmp, null).getSocketFactory()
                    .createSocket("127.0.0.1", base.getPort())) {
                SSLParameters p = s.getSSLParameters();
                p.setApplicationProtocols(offered.toArray(new String[0]));
                s.setSSLParameters(p);
                s.startHandshake();
                if (offered.contains("h2")) {
                    assertThat(s.getApplicationProtocol()).isEqualTo("h2");
                    continue;
                }
                assertThat(s.getApplicationProtocol()).as("%s", offered).isEqualTo(offered.isEmpty() ? ""
                        : "http/1.1");
                assertThat(exchange(s, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                        .startsWith("HTTP/1.1 200 ").contains("jcasync chunk-server");
            }
        }
        server.close();
        // Every request of both protocols is logged.
        assertThat(log.toString().lines().filter(l -> l.contains(" GET " + c.path() + " 200 " + frame.length + " ")))
                .hasSize(2);
        assertThat(log.toString().lines()).hasSize(8);
    }

    @Test
    void plainHttpOffersH2cToClientsThatAskAndHttp11ToTheOthers() throws Exception {
        TestChunks c = TestChunks.random(3, 20_000).putInto(store);
        byte[] frame = Files.readAllBytes(store.chunkPath(c.id()));
        URI base = start(ServerOptions.loopback());
        // Prior knowledge: a connection that opens with the preface is HTTP/2; the server answers with its SETTINGS.
        try (Socket s = new Socket("127.0.0.1", base.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(PREFACE);
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] header = new byte[9];
            in.readFully(header);
            assertThat(header[3]).as("type of the server's first frame (4: SETTINGS)").isEqualTo((byte) 4);
        }
        // Upgrade: h2c, as the JDK's client asks on plain http when told to use HTTP/2.
        Http h2c = client(base, Protocol.HTTP_1_1, HttpClient.Version.HTTP_2);
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> r = h2c.get(c.path());
            assertThat(r.body()).isEqualTo(frame);
        }
        // An HTTP/1.1 client sees HTTP/1.1, also in a raw exchange as curl sends it.
        assertThat(new Http(base).get(c.path()).body()).isEqualTo(frame);
        try (Socket s = new Socket("127.0.0.1", base.getPort())) {
            assertThat(exchange(s, "HEAD " + c.path() + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 200 ");
        }
    }

    /** Writes {@code request} and reads the reply until the server closes the connection. */
    private static String exchange(Socket s, String request) throws IOException {
        s.setSoTimeout(10_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void theLimitsHoldForTheStreamsOfOneConnection() throws Exception {
        List<TestChunks> chunks = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            chunks.add(TestChunks.random(100 + i, 5_000).putInto(store));
        }
        CountingStore slow = new CountingStore(store, 50);
        Protocol h2 = Protocol.h2(tmp);
        // One connection, two requests at work at once: the 40 streams of one HTTP/2 connection take turns.
        server = new ChunkServer(slow, null, StoreOptions.DEFAULT, h2.serve(ServerOptions.loopback()
                .withLimits(ServerLimits.DEFAULT.withMaxRequests(2).withMaxConnections(1)))).start();
        Http http = h2.client(server.uris().getFirst());
        // The first request opens the connection (requests sent before it is up would each open their own).
        assertThat(http.get("/").statusCode()).isEqualTo(200);
        long t0 = System.nanoTime();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<byte[]>>> all = new ArrayList<>();
            for (TestChunks c : chunks) {
                all.add(clients.submit(() -> http.get(c.path())));
            }
            for (int i = 0; i < chunks.size(); i++) {
                assertThat(all.get(i).get().statusCode()).isEqualTo(200);
                assertThat(all.get(i).get().body()).isEqualTo(Files.readAllBytes(store.chunkPath(chunks.get(i).id())));
            }
        }
        assertThat(slow.fetches()).isEqualTo(40);
        assertThat(slow.mostAtOnce()).isEqualTo(2);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(20 * 50_000_000L);
    }

    @Test
    void aRefusedUploadOrABrokenReplyEndsItsStreamNotTheConnection() throws Exception {
        Protocol h2 = Protocol.h2(tmp);
        URI base = start(h2.serve(ServerOptions.loopback().withWritable(true).withAuthorization("k")));
        Http http = h2.client(base);
        // A refused upload is answered from its header, before its body is read; then what the client still sends
        // is read and dropped (up to 1 MiB, for a few seconds), so that a client that sends its whole body before
        // it reads the reply gets the reply.
        TestChunks c = TestChunks.random(4, 1_500_000);
        assertThat(c.frame().length).isBetween(500_000, 1 << 20);
        assertThat(http.put(c.path(), c.frame()).statusCode()).isEqualTo(401);
        // Also a body of unknown length (HTTP/2 has no chunked encoding: no Content-Length, DATA frames until the end).
        HttpResponse<byte[]> unknownLength = http.send(http.request(c.path()).PUT(HttpRequest.BodyPublishers
                .ofInputStream(() -> new ByteArrayInputStream(c.frame()))), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(unknownLength.statusCode()).isEqualTo(401);
        // Past that, the server resets the stream (over HTTP/1.1 it closes the connection): the JDK's client then
        // reports a failed request on either protocol; the connection's other streams go on.
        TestChunks big = TestChunks.random(5, 6_000_000);
        assertThatThrownBy(() -> http.put(big.path(), big.frame())).isInstanceOf(IOException.class)
                .hasMessageContaining("RST_STREAM");
        http.authorization = "k";
        assertThat(http.put(big.path(), big.frame()).statusCode()).isEqualTo(201);
        assertThat(http.put(c.path(), c.frame()).statusCode()).isEqualTo(201);
        // A batch reply cut off by an upstream failure (a chunk file that cannot be read) is a broken stream; the
        // next request on the connection works.
        Files.delete(store.chunkPath(big.id()));
        Files.createDirectories(store.chunkPath(big.id()));
        HttpResponse<InputStream> broken = http.send(http.request(ChunkServer.BATCH).POST(HttpRequest.BodyPublishers
                .ofByteArray(BatchMessages.request(List.of(c.id(), big.id())))),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(broken.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> broken.body().readAllBytes()).isInstanceOf(IOException.class);
        assertThat(http.get(c.path()).body()).isEqualTo(Files.readAllBytes(store.chunkPath(c.id())));
    }
}
