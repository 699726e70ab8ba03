package org.jcasync.store;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The pace rules, on a clock the test moves by hand. */
class TransferWatchTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aServerSilentForTheTimeoutIsTooSlow() {
        TransferWatch w = new TransferWatch(Duration.ofSeconds(5), 0);
        w.waiting(0);
        assertThat(w.check(4 * S)).isNull();
        assertThat(w.check(5 * S)).isEqualTo("no data for 5 s");
    }

    @Test
    void aTrickleKeepsNoIdleTimerBusyButFailsTheMinimumRate() {
        TransferWatch w = new TransferWatch(Duration.ofSeconds(5), 1024);
        long t = 0;
        for (int i = 0; i < 4; i++) {
            w.waiting(t);
            t += S;
            w.received(1, t);
            assertThat(w.check(t)).isNull();
        }
        w.waiting(t);
        t += S;
        w.received(1, t);
        assertThat(w.check(t)).isEqualTo("5 bytes in 5 s, less than the minimum of 1024 bytes/s");
    }

    @Test
    void aFastEnoughServerStartsANewWindowEachTime() {
        TransferWatch w = new TransferWatch(Duration.ofSeconds(2), 1000);
        long t = 0;
        for (int i = 0; i < 100; i++) {
            w.waiting(t);
            t += S / 10;
            w.received(150, t);
            assertThat(w.check(t)).as("after %d pieces", i).isNull();
        }
    }

    @Test
    void timeTheReaderIsBusyOrThrottledDoesNotCount() {
        TransferWatch w = new TransferWatch(Duration.ofSeconds(5), 1024);
        w.waiting(0);
        w.received(100, S / 100);
        // The reader then waits for its own rate limit (or parses) for a minute: not the server's fault.
        assertThat(w.check(60 * S)).isNull();
        w.waiting(60 * S);
        assertThat(w.check(62 * S)).isNull();
        assertThat(w.check(65 * S - S / 100)).as("5 s of waiting for 100 bytes").startsWith("100 bytes in 5 s");
    }

    @Test
    void noMinimumMeansOnlyTheIdleTimeout() {
        TransferWatch w = new TransferWatch(Duration.ofSeconds(5), 0);
        long t = 0;
        for (int i = 0; i < 100; i++) {
            w.waiting(t);
            t += 4 * S;
            w.received(1, t);
            assertThat(w.check(t)).isNull();
        }
    }
}
