package org.jcasync.cli;

import org.jcasync.store.HostileHttpServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jcasync.cli.BadInputIT.assertCleanFailure;
import static org.jcasync.cli.ItFiles.random;
import static org.jcasync.cli.Tools.jcasync;

/**
 * Hostile servers of index files, for every remote scheme (http, s3+http, ssh, sftp): a reply that goes on for ever
 * (garbage after a valid header, or a chunk table without end) must end in one line naming the index and exit
 * status 1, after the client read no more than its bound: up to the first bad item, or as many items as an eighth of
 * its 64 MiB heap holds. Each server would send 256 MiB; a client that buffers the reply before parsing it reads all
 * of that. Then servers that trickle (a byte every 200 ms) an index or chunks must fail
 * the request as too slow (minimum rate, --timeout=2) instead of keeping the client waiting.
 */
class RemoteIndexLimitsIT {
    /** What each hostile server would send in all. */
    private static final long CAP = 256L << 20;
    /** More than a client reads once it has stopped: its bound plus socket and pipe buffers. */
    private static final long READ_BOUND = 32L << 20;

    @TempDir
    static Path shared;
    static byte[] header;
    static byte[] index;

    @BeforeAll
    static void realIndex() throws Exception {
        Files.write(shared.resolve("in.bin"), random(301, 1 << 20));
        jcasync(shared, "make", "--store=s.castr", "a.caibx", "in.bin").ok();
        index = Files.readAllBytes(shared.resolve("a.caibx"));
        header = Arrays.copyOf(index, 64);
        Files.write(shared.resolve("small.bin"), random(304, 100_000));
        jcasync(shared, "make", "--store=s.castr", "small.caibx", "small.bin").ok();
    }

    private enum Kind { GARBAGE, ENDLESS_TABLE }

    private static HostileRemotes.Content content(Kind k) {
        return k == Kind.GARBAGE ? HostileRemotes.garbageAfter(header) : HostileRemotes.endlessItems(header);
    }

    /** Extracts {@code url} with a 64 MiB heap (for the endless table) and checks the failure. */
    private static void assertRefused(Path dir, Kind kind, String url, Map<String, String> env,
                                      java.util.function.LongSupplier bytesSent) throws Exception {
        Tools.Result r = Tools.jcasyncWithHeap(dir, "64m", env, "extract", "--store=" + shared.resolve("s.castr"),
                url, dir.resolve("out.bin").toString());
        assertCleanFailure(r, dir, "out.bin", url);
        assertThat(r.err()).contains(kind == Kind.GARBAGE ? "larger than the maximum chunk size"
                : "more than this Java heap holds");
        assertThat(bytesSent.getAsLong()).as("bytes the server sent before the client stopped reading")
                .isLessThan(READ_BOUND);
    }

    private static Map<String, String> sshEnv(Path program) {
        Map<String, String> env = new HashMap<>();
        env.put("CASYNC_SSH_PATH", program.toString());
        return env;
    }

    private static Map<String, String> s3Env() {
        Map<String, String> env = new HashMap<>(org.jcasync.s3.S3TestServer.env());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        return env;
    }

    @Test
    void http(@TempDir Path dir) throws Exception {
        for (Kind k : Kind.values()) {
            try (HostileHttpServer s = HostileHttpServer.start(p -> p.endsWith(".caibx")
                    ? HostileRemotes.body(content(k), CAP) : null)) {
                assertRefused(dir, k, s.url() + "x.caibx", Map.of(), s::bodyBytesSent);
            }
        }
    }

    @Test
    void s3(@TempDir Path dir) throws Exception {
        for (Kind k : Kind.values()) {
            try (HostileHttpServer s = HostileHttpServer.start(p -> p.endsWith(".caibx")
                    ? HostileRemotes.body(content(k), CAP) : null)) {
                String url = "s3+http://127.0.0.1:" + s.url().getPort() + "/bucket/x.caibx";
                assertRefused(dir, k, url, s3Env(), s::bodyBytesSent);
            }
        }
    }

    @Test
    void sshCasyncProtocol(@TempDir Path dir) throws Exception {
        for (Kind k : Kind.values()) {
            try (HostileRemotes.CasyncPull s = new HostileRemotes.CasyncPull(content(k), CAP, 1 << 16, 0)) {
                assertRefused(dir, k, "ssh://host/srv/x.caibx", sshEnv(s.sshProgram(dir)), s::sent);
            }
        }
    }

    @Test
    void sftp(@TempDir Path dir) throws Exception {
        for (Kind k : Kind.values()) {
            try (HostileRemotes.Sftp s = new HostileRemotes.Sftp(content(k), CAP, 32 << 10, 0)) {
                assertRefused(dir, k, "sftp://host/srv/x.caibx", sshEnv(s.sshProgram(dir)), s::sent);
            }
        }
    }

    @Test
    void aValidIndexFollowedByMoreBytesIsCutOffAtTheFirstExtraByte(@TempDir Path dir) throws Exception {
        byte[] more = random(302, 1 << 16);
        try (HostileHttpServer s = HostileHttpServer.start(p -> p.endsWith(".caibx")
                ? HostileHttpServer.endless(index, more, CAP) : null)) {
            Tools.Result r = jcasync(dir, "extract", "--store=" + shared.resolve("s.castr"), s.url() + "x.caibx",
                    dir.resolve("out.bin").toString());
            assertCleanFailure(r, dir, "out.bin", "x.caibx", "trailing bytes after the index tail");
            assertThat(s.bodyBytesSent()).isLessThan(READ_BOUND);
        }
    }

    // ---- trickling servers: --timeout=2 and the default minimum rate of 1 KiB/s ----

    private static Tools.Result extractSlowly(Path dir, Map<String, String> env, String store, String url)
            throws Exception {
        return Tools.jcasync(dir, env, "extract", "--timeout=2", "--retries=1", "--store=" + store, url,
                dir.resolve("out.bin").toString());
    }

    @Test
    void httpIndexTrickle(@TempDir Path dir) throws Exception {
        try (HostileHttpServer s = HostileHttpServer.start(p -> p.endsWith(".caibx")
                ? HostileHttpServer.trickle(index, 200) : null)) {
            Tools.Result r = extractSlowly(dir, Map.of(), shared.resolve("s.castr").toString(), s.url() + "x.caibx");
            assertCleanFailure(r, dir, "out.bin", "x.caibx", "too slow", "less than the minimum of 1024 bytes/s",
                    "after 2 attempts");
            assertThat(s.bodyBytesSent()).as("bytes trickled").isLessThan(index.length);
        }
    }

    @Test
    void httpChunkTrickle(@TempDir Path dir) throws Exception {
        byte[] chunk = random(303, 100_000);
        try (HostileHttpServer s = HostileHttpServer.start(p -> p.endsWith(".cacnk")
                ? HostileHttpServer.trickle(chunk, 200) : null)) {
            Tools.Result r = extractSlowly(dir, Map.of(), s.url().toString(),
                    shared.resolve("small.caibx").toString());
            assertCleanFailure(r, dir, "out.bin", "too slow", "less than the minimum of 1024 bytes/s");
        }
    }

    @Test
    void s3IndexTrickle(@TempDir Path dir) throws Exception {
        try (HostileHttpServer s = HostileHttpServer.start(p -> p.endsWith(".caibx")
                ? HostileHttpServer.trickle(index, 200) : null)) {
            String url = "s3+http://127.0.0.1:" + s.url().getPort() + "/bucket/x.caibx";
            Tools.Result r = extractSlowly(dir, s3Env(), shared.resolve("s.castr").toString(), url);
            assertCleanFailure(r, dir, "out.bin", "x.caibx", "too slow");
        }
    }

    @Test
    void sshIndexTrickle(@TempDir Path dir) throws Exception {
        try (HostileRemotes.CasyncPull s = new HostileRemotes.CasyncPull((o, n) -> Arrays.copyOfRange(index,
                (int) o, (int) o + n), index.length, 1, 200)) {
            Tools.Result r = extractSlowly(dir, sshEnv(s.sshProgram(dir)), shared.resolve("s.castr").toString(),
                    "ssh://host/srv/x.caibx");
            assertCleanFailure(r, dir, "out.bin", "ssh://host/srv/x.caibx", "too slow");
        }
    }

    @Test
    void sftpIndexTrickle(@TempDir Path dir) throws Exception {
        try (HostileRemotes.Sftp s = new HostileRemotes.Sftp((o, n) -> Arrays.copyOfRange(index, (int) o,
                (int) o + n), index.length, 1, 200)) {
            Tools.Result r = extractSlowly(dir, sshEnv(s.sshProgram(dir)), shared.resolve("s.castr").toString(),
                    "sftp://host/srv/x.caibx");
            assertCleanFailure(r, dir, "out.bin", "sftp://host/srv/x.caibx", "too slow");
        }
    }
}
