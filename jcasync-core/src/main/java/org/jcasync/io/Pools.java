package org.jcasync.io;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Worker pools of daemon threads, so a failure never leaves the JVM waiting on workers. */
public final class Pools {
    private Pools() {
    }

    /** A fixed pool of {@code n} daemon threads named {@code jcasync-worker-N}. */
    public static ExecutorService workers(int n) {
        AtomicInteger k = new AtomicInteger();
        return Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "jcasync-worker-" + k.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
