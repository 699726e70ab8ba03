package org.jcasync.server;

import org.jcasync.store.LocalStore;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
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
            CountDownLatch connected = new CountDownLatch(CLIENTS);
            CountDownLatch answered = new CountDownLatch(CLIENTS);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger good = new AtomicInteger();
            List<Future<?>> clients = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int k = 0; k < CLIENTS; k++) {
                    int client = k;
                    clients.add(pool.submit(() -> {
                        try (RawConnection c = new RawConnection(uri, 60_000)) {
                            connected.countDown();
                            // Every client holds its connection open before any of them asks for something.
                            connected.await(60, TimeUnit.SECONDS);
                            for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                                int n = (client * REQUESTS_PER_CLIENT + i) % chunks.size();
                                RawConnection.Reply r = c.send(RawConnection.request("GET", chunks.get(n).path(), ""))
                                        .readReply();
                                if (r.status() == 200 && Arrays.equals(r.body(), frames.get(n))) {
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
}
