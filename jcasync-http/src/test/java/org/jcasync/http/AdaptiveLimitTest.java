package org.jcasync.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdaptiveLimitTest {
    /** Takes every permit available now. */
    private static List<AdaptiveLimit.Permit> takeAll(AdaptiveLimit l) {
        List<AdaptiveLimit.Permit> ps = new ArrayList<>();
        while (true) {
            CompletableFuture<AdaptiveLimit.Permit> f = l.acquire();
            if (!f.isDone()) {
                f.cancel(false);
                return ps;
            }
            ps.add(f.join());
        }
    }

    @Test
    void startsAtEightAndQueuesTheRest() {
        AdaptiveLimit l = new AdaptiveLimit(64);
        List<CompletableFuture<AdaptiveLimit.Permit>> fs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fs.add(l.acquire());
        }
        assertThat(fs.stream().filter(CompletableFuture::isDone).count()).isEqualTo(8);
        assertThat(l.inFlight()).isEqualTo(8);
        assertThat(l.waiting()).isEqualTo(12);
        // Releasing one lets a waiting request start (and, saturated, grows the limit).
        fs.getFirst().join().succeeded();
        assertThat(l.limit()).isEqualTo(9);
        assertThat(fs.stream().filter(CompletableFuture::isDone).count()).isEqualTo(10);
    }

    @Test
    void growsUnderSuccessUpToTheMaximum() {
        AdaptiveLimit l = new AdaptiveLimit(32);
        List<CompletableFuture<AdaptiveLimit.Permit>> queue = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            queue.add(l.acquire());
        }
        int most = 0;
        for (CompletableFuture<AdaptiveLimit.Permit> f : queue) {
            most = Math.max(most, l.inFlight());
            assertThat(f).isDone();
            f.join().succeeded();
        }
        assertThat(l.limit()).isEqualTo(32);
        assertThat(most).isEqualTo(32);
        assertThat(l.inFlight()).isZero();
    }

    @Test
    void halvesOnErrorsOncePerWindowAndThenGrowsAdditively() {
        AdaptiveLimit l = new AdaptiveLimit(16, 64);
        List<AdaptiveLimit.Permit> ps = takeAll(l);
        assertThat(ps).hasSize(16);
        // Several requests of the same window fail: one halving.
        ps.get(0).dropped();
        ps.get(1).dropped();
        ps.get(2).dropped();
        assertThat(l.limit()).isEqualTo(8);
        // A request started after the halving and failing halves again.
        for (int i = 3; i < 16; i++) {
            ps.get(i).succeeded();
        }
        List<AdaptiveLimit.Permit> next = takeAll(l);
        next.getFirst().dropped();
        assertThat(l.limit()).isEqualTo(4);
        for (int i = 1; i < next.size(); i++) {
            next.get(i).succeeded();
        }
        // After a decrease, growth is about one per window of successes, not one per success.
        for (int round = 0; round < 4; round++) {
            for (AdaptiveLimit.Permit p : takeAll(l)) {
                p.succeeded();
            }
        }
        assertThat(l.limit()).isBetween(4, 9);
    }

    @Test
    void neverBelowOne() {
        AdaptiveLimit l = new AdaptiveLimit(1, 4);
        for (int i = 0; i < 5; i++) {
            l.acquire().join().dropped();
        }
        assertThat(l.limit()).isEqualTo(1);
        assertThat(l.acquire()).isDone();
    }

    @Test
    void aCancelledWaiterGetsNoPermit() {
        AdaptiveLimit l = new AdaptiveLimit(1, 1);
        AdaptiveLimit.Permit p = l.acquire().join();
        CompletableFuture<AdaptiveLimit.Permit> gone = l.acquire();
        CompletableFuture<AdaptiveLimit.Permit> next = l.acquire();
        gone.cancel(false);
        p.succeeded();
        assertThat(next).isDone();
        assertThat(l.inFlight()).isEqualTo(1);
    }

    @Test
    void aPermitIsReleasedOnce() {
        AdaptiveLimit l = new AdaptiveLimit(4);
        AdaptiveLimit.Permit p = l.acquire().join();
        p.succeeded();
        assertThatThrownBy(p::dropped).isInstanceOf(IllegalStateException.class);
    }
}
