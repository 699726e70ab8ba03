package org.jcasync.server;

import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A thousand clients, each on its own connection, all connected at once: every one of their requests is answered
 * with the exact stored frame, and a newcomer's health check is answered while they are all still connected.
 */
class ChunkServerLoadTest {
    private static final int CLIENTS = 1000;
    private static final int REQUESTS_PER_CLIENT = 3;

    @TempDir
    Path tmp;

    @Test
    void aThousandConcurrentClientsAreAllAnswered() throws Exception {
        LocalStore store = new LocalStore(tmp.resolve("store.castr"), StoreOptions.DEFAULT);
        Files.createDirectories(store.root());
        List<TestChunks> chunks = new ArrayList<>();
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            TestChunks c = TestChunks.random(500 + i, 8_000 + i * 3000).putInto(store);
            chunks.add(c);
            frames.add(Files.readAllBytes(store.chunkPath(c.id())));
        }
        try (ChunkServer server = new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback())
                .start()) {
            URI uri = server.uris().getFirst();
            InetSocketAddress address = new InetSocketAddress(uri.getHost(), uri.getPort());
            CountDownLatch connected = new CountDownLatch(CLIENTS);
            CountDownLatch answered = new CountDownLatch(CLIENTS);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger good = new AtomicInteger();
            List<Future<?>> clients = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int k = 0; k < CLIENTS; k++) {
                    int client = k;
                    clients.add(pool.submit(() -> {
                        try (Socket s = new Socket()) {
                            s.setSoTimeout(60_000);
                            s.connect(address, 60_000);
                            connected.countDown();
                            // Every client holds its connection open before any of them asks for something.
                            connected.await(60, TimeUnit.SECONDS);
                            InputStream in = s.getInputStream();
                            OutputStream out = s.getOutputStream();
                            for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                                int n = (client * REQUESTS_PER_CLIENT + i) % chunks.size();
                                out.write(("GET " + chunks.get(n).path() + " HTTP/1.1\r\nHost: " + uri.getHost()
                                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                if (Arrays.equals(readReply(in), frames.get(n))) {
                                    good.incrementAndGet();
                                }
                            }
                            answered.countDown();
                            release.await(60, TimeUnit.SECONDS);
                        }
                        return null;
                    }));
                }
                try {
                    assertThat(connected.await(60, TimeUnit.SECONDS)).as("all clients connected").isTrue();
                    assertThat(answered.await(120, TimeUnit.SECONDS)).as("all clients answered").isTrue();
                    // A newcomer is answered while the thousand connections are still open.
                    Http newcomer = new Http(uri);
                    assertThat(newcomer.get("/").statusCode()).isEqualTo(200);
                    assertThat(newcomer.get(chunks.getFirst().path()).body()).isEqualTo(frames.getFirst());
                } finally {
                    release.countDown();
                }
                for (Future<?> f : clients) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            assertThat(good.get()).isEqualTo(CLIENTS * REQUESTS_PER_CLIENT);
        }
    }

    /** The body of one HTTP/1.1 reply with a Content-Length, or null when the status is not 200. */
    private static byte[] readReply(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the reply's header");
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
        long length = -1;
        for (String line : lines) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        if (length < 0) {
            throw new IOException("reply without Content-Length: " + lines[0]);
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new IOException("connection closed in the reply's body");
        }
        return lines[0].startsWith("HTTP/1.1 200 ") ? body : null;
    }
}
