package org.jcasync.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SingleFlightTest {
    @Test
    void waitersShareTheLoadAndItsFailure() throws Exception {
        SingleFlight<String, String> sf = new SingleFlight<>();
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> all = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(ex.submit(() -> sf.get("k", () -> {
                    loads.incrementAndGet();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    return "v";
                })));
            }
            while (sf.inProgress() == 0) {
                Thread.sleep(5);
            }
            Thread.sleep(200);
            release.countDown();
            for (Future<String> f : all) {
                assertThat(f.get()).isEqualTo("v");
            }
        }
        assertThat(loads.get()).isEqualTo(1);
        assertThat(sf.inProgress()).isZero();
        assertThatThrownBy(() -> sf.get("k", () -> {
            throw new IOException("upstream down");
        })).isInstanceOf(IOException.class).hasMessage("upstream down");
        assertThat(sf.get("k", () -> "again")).isEqualTo("again");
    }
}
