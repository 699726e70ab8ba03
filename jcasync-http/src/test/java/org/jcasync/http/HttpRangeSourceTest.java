package org.jcasync.http;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.TestData;
import org.jcasync.pack.ChunkMap;
import org.jcasync.pack.PackFixture;
import org.jcasync.pack.PackId;
import org.jcasync.pack.PackedStore;
import org.jcasync.pack.Packer;
import org.jcasync.pack.RangeSource.Range;
import org.jcasync.store.ChunkInvalidException;
import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link HttpRangeSource} and {@link PackedStore} against a Jetty server serving real packs (made by {@link Packer}
 * over a local store) the way different servers answer Range requests: multipart/byteranges, single ranges only,
 * ranges ignored, parts merged, extra or reordered parts, truncated or altered bodies, 404, 416.
 */
@Timeout(120)
class HttpRangeSourceTest {
    private static final String BOUNDARY = "3d6b6a416f9b5";

    @TempDir
    Path dir;
    StaticWebServer server;
    PackFixture fixture;
    Packer.IndexFile v1;
    Packer.IndexFile v2;
    PackId pack1;
    PackId pack2;
    /** Every chunk of both versions, as the local store verified it. */
    final Map<ChunkId, byte[]> chunks = new HashMap<>();
    /** Bytes of pack replies the server sent. */
    final LongAdder sent = new LongAdder();
    /** Range headers of the pack requests, in order. */
    final List<String> rangeHeaders = new CopyOnWriteArrayList<>();

    @BeforeEach
    void packsAndServer() throws Exception {
        fixture = new PackFixture(dir);
        byte[] a = TestData.random(71, 1_500_000);
        byte[] b = Arrays.copyOf(a, a.length + 200_000);
        System.arraycopy(TestData.random(72, 300_000), 0, b, 600_000, 300_000);
        System.arraycopy(TestData.random(73, 200_000), 0, b, a.length, 200_000);
        v1 = fixture.make("v1", a);
        pack1 = new Packer(fixture.store()).pack(List.of(v1), false).pack().pack();
        v2 = fixture.make("v2", b);
        pack2 = new Packer(fixture.store()).pack(List.of(v2), false).pack().pack();
        for (Packer.IndexFile f : List.of(v1, v2)) {
            for (int i = 0; i < f.index().size(); i++) {
                chunks.put(f.index().id(i), fixture.store().get(f.index().id(i)));
            }
        }
        server = StaticWebServer.start(dir);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    HttpRangeSource source() throws IOException {
        return new HttpRangeSource(URI.create(server.url("s")), HttpStoreTest.FAST);
    }

    byte[] packFile(PackId p) throws IOException {
        return Files.readAllBytes(fixture.store().root().resolve(p.packPath()));
    }

    /** A few ranges spread over the pack: small and large, at both ends, with gaps between them. */
    List<Range> spread(PackId p) throws IOException {
        long n = packFile(p).length;
        return List.of(new Range(0, 100), new Range(5000, 5001), new Range(20_000, 90_000),
                new Range(n / 2, n / 2 + 4096), new Range(n - 1000, n));
    }

    /** Reads {@code ranges} of pack {@code p}; fails unless every range arrived once with the pack's bytes. */
    void readAndCheck(HttpRangeSource src, PackId p, List<Range> ranges) throws IOException {
        Map<Integer, byte[]> got = read(src, p, ranges);
        byte[] file = packFile(p);
        assertThat(got).hasSize(ranges.size());
        for (int i = 0; i < ranges.size(); i++) {
            Range r = ranges.get(i);
            assertThat(got.get(i)).as("range %s", r)
                    .isEqualTo(Arrays.copyOfRange(file, (int) r.start(), (int) r.end()));
        }
    }

    static Map<Integer, byte[]> read(HttpRangeSource src, PackId p, List<Range> ranges) throws IOException {
        Map<Integer, byte[]> got = new ConcurrentHashMap<>();
        src.read(p.packPath(), ranges, (i, data) -> assertThat(got.put(i, data)).as("range %d twice", i).isNull());
        return got;
    }

    PackedStore packed(HttpRangeSource src, HttpStore loose, Packer.IndexFile idx) throws IOException {
        ChunkMap map = ChunkMap.parse(Files.readAllBytes(idx.mapPath()), idx.index().size(), "map");
        return new PackedStore(idx.index(), map, src, loose, StoreOptions.DEFAULT);
    }

    HttpStore loose() throws IOException {
        return new HttpStore(URI.create(server.url("s")), StoreOptions.DEFAULT, HttpStoreTest.FAST);
    }

    static List<ChunkId> ids(Packer.IndexFile f) {
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < f.index().size(); i++) {
            ids.add(f.index().id(i));
        }
        return ids;
    }

    /** Announces and reads every chunk of v2 in batches, as an extract does; fails on any wrong chunk. */
    void extractV2(PackedStore p) throws IOException {
        List<ChunkId> ids = ids(v2);
        p.willNeed(ids);
        for (int i = 0; i < ids.size(); i += 16) {
            List<ChunkId> batch = ids.subList(i, Math.min(ids.size(), i + 16));
            byte[][] got = p.getAll(batch);
            for (int k = 0; k < got.length; k++) {
                assertThat(got[k]).as("chunk %s", batch.get(k)).isEqualTo(chunks.get(batch.get(k)));
            }
        }
    }

    void deleteLooseChunks() throws IOException {
        try (Stream<Path> s = Files.walk(fixture.store().root())) {
            for (Path f : s.filter(f -> f.toString().endsWith(".cacnk")).toList()) {
                Files.delete(f);
            }
        }
    }

    // ---- servers ----

    /** What a server makes of the ranges asked for (inclusive byte positions, as in the header). */
    @FunctionalInterface
    interface Replier {
        boolean reply(List<long[]> asked, byte[] file, Response response, Callback callback) throws Exception;
    }

    /** A handler for pack files: parses the Range header and lets {@code replier} answer; no header: 200. */
    StaticWebServer.Fault ranges(Replier replier) {
        return (request, response, callback, content) -> {
            if (content == null) {
                return false;
            }
            String h = request.getHeaders().get(HttpHeader.RANGE);
            rangeHeaders.add(String.valueOf(h));
            if (h == null) {
                return send(response, callback, 200, null, null, content);
            }
            return replier.reply(parseRange(h, content.length), content, response, callback);
        };
    }

    static List<long[]> parseRange(String header, long size) {
        List<long[]> out = new ArrayList<>();
        for (String s : header.substring("bytes=".length()).split(",")) {
            String[] ab = s.trim().split("-");
            out.add(new long[] {Long.parseLong(ab[0]), Math.min(size - 1, Long.parseLong(ab[1]))});
        }
        return out;
    }

    boolean send(Response response, Callback callback, int status, String type, String contentRange, byte[] body) {
        response.setStatus(status);
        if (type != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        }
        if (contentRange != null) {
            response.getHeaders().put(HttpHeader.CONTENT_RANGE, contentRange);
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        sent.add(body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    /** A part of a multipart reply: inclusive positions and its bytes. */
    record Part(long first, long last, byte[] data) {
        static Part of(byte[] file, long first, long last) {
            return new Part(first, last, Arrays.copyOfRange(file, (int) first, (int) last + 1));
        }
    }

    /** A multipart/byteranges body as nginx writes it; {@code closing} false leaves out the closing boundary. */
    static byte[] multipartBody(List<Part> parts, long size, boolean closing) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Part p : parts) {
            b.writeBytes(("\r\n--" + BOUNDARY + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                    + p.first() + "-" + p.last() + "/" + size + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            b.writeBytes(p.data());
        }
        if (closing) {
            b.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        return b.toByteArray();
    }

    boolean multipart(Response response, Callback callback, List<Part> parts, long size, boolean closing) {
        return send(response, callback, 206, "multipart/byteranges; boundary=" + BOUNDARY, null,
                multipartBody(parts, size, closing));
    }

    boolean single(Response response, Callback callback, byte[] file, long first, long last) {
        return send(response, callback, 206, "application/octet-stream",
                "bytes " + first + "-" + last + "/" + file.length,
                Arrays.copyOfRange(file, (int) first, (int) last + 1));
    }

    static List<Part> asked(List<long[]> asked, byte[] file) {
        return asked.stream().map(r -> Part.of(file, r[0], r[1])).toList();
    }

    /** (a) nginx: one range, a single 206; several, multipart/byteranges in the order asked. */
    Replier correct() {
        return (asked, file, resp, cb) -> asked.size() == 1 ? single(resp, cb, file, asked.getFirst()[0],
                asked.getFirst()[1]) : multipart(resp, cb, asked(asked, file), file.length, true);
    }

    /** (b) a server of single ranges only (like S3): the first range asked, as a single 206. */
    Replier firstRangeOnly() {
        return (asked, file, resp, cb) -> single(resp, cb, file, asked.getFirst()[0], asked.getFirst()[1]);
    }

    /** (c) a server that ignores Range: 200 with the whole file. */
    Replier ignoring() {
        return (asked, file, resp, cb) -> send(resp, cb, 200, "application/octet-stream", null, file);
    }

    /** (d) neighbours merged: each pair of ranges asked becomes one part covering both. */
    Replier pairsMerged() {
        return (asked, file, resp, cb) -> {
            List<Part> parts = new ArrayList<>();
            for (int i = 0; i < asked.size(); i += 2) {
                long[] last = asked.get(Math.min(asked.size() - 1, i + 1));
                parts.add(Part.of(file, asked.get(i)[0], last[1]));
            }
            return multipart(resp, cb, parts, file.length, true);
        };
    }

    /** (d) everything merged into one range, answered as a single 206 (as Apache does when one range is left). */
    Replier allMerged() {
        return (asked, file, resp, cb) -> single(resp, cb, file, asked.getFirst()[0], asked.getLast()[1]);
    }

    /** (e) an extra part nobody asked for (with other bytes) before the parts asked. */
    Replier extraPart() {
        return (asked, file, resp, cb) -> {
            List<Part> parts = new ArrayList<>(asked(asked, file));
            long[] gap = gap(asked, file.length);
            if (gap == null) {
                return multipart(resp, cb, parts, file.length, true);
            }
            long from = gap[0];
            long to = Math.min(gap[1], from + 99);
            byte[] junk = new byte[(int) (to - from + 1)];
            Arrays.fill(junk, (byte) 0x55);
            parts.addFirst(new Part(from, to, junk));
            return multipart(resp, cb, parts, file.length, true);
        };
    }

    /** Bytes not asked for (inclusive positions), or null when the ranges cover the whole file. */
    static long[] gap(List<long[]> asked, long size) {
        long at = 0;
        for (long[] r : asked) {
            if (r[0] > at) {
                return new long[] {at, r[0] - 1};
            }
            at = r[1] + 1;
        }
        return at < size ? new long[] {at, size - 1} : null;
    }

    /** (f) the parts asked, last first. */
    Replier reversed() {
        return (asked, file, resp, cb) -> multipart(resp, cb, asked(asked, file).reversed(), file.length, true);
    }

    /** (g) a multipart body that ends in the middle of its last part (a complete HTTP message). */
    Replier cutInPart() {
        return (asked, file, resp, cb) -> {
            byte[] body = multipartBody(asked(asked, file), file.length, false);
            return send(resp, cb, 206, "multipart/byteranges; boundary=" + BOUNDARY, null,
                    Arrays.copyOf(body, body.length - Math.min(50, (int) (asked.getLast()[1] - asked.getLast()[0]))));
        };
    }

    /** (g) a multipart body without its closing boundary. */
    Replier noClosingBoundary() {
        return (asked, file, resp, cb) -> multipart(resp, cb, asked(asked, file), file.length, false);
    }

    /** (h) valid framing, one byte changed in the middle of every part. */
    Replier altered() {
        return (asked, file, resp, cb) -> {
            List<Part> parts = new ArrayList<>();
            for (Part p : asked(asked, file)) {
                byte[] d = p.data().clone();
                d[d.length / 2] ^= 0x40;
                parts.add(new Part(p.first(), p.last(), d));
            }
            return asked.size() == 1 ? send(resp, cb, 206, "application/octet-stream", "bytes " + asked.getFirst()[0]
                    + "-" + asked.getFirst()[1] + "/" + file.length, parts.getFirst().data())
                    : multipart(resp, cb, parts, file.length, true);
        };
    }

    // ---- (a) to (f): every range right, whatever the server makes of them ----

    @Test
    void multiRangeRequestsAreAnsweredInOneRequest() throws Exception {
        server.handler(".capack", ranges(correct()));
        try (HttpRangeSource src = source()) {
            readAndCheck(src, pack1, spread(pack1));
        }
        assertThat(server.requests(".capack")).isEqualTo(1);
        assertThat(rangeHeaders).singleElement().asString().contains(",").startsWith("bytes=0-99,5000-5000,");
    }

    @Test
    void singleRangeRepliesAreUsed() throws Exception {
        server.handler(".capack", ranges(correct()));
        try (HttpRangeSource src = source()) {
            readAndCheck(src, pack1, List.of(new Range(1000, 70_000)));
        }
        assertThat(server.requests(".capack")).isEqualTo(1);
    }

    @Test
    void aServerOfSingleRangesStillDeliversEveryRange() throws Exception {
        server.handler(".capack", ranges(firstRangeOnly()));
        try (HttpRangeSource src = source()) {
            readAndCheck(src, pack1, spread(pack1));
        }
        // The rest is asked for again until everything has come.
        assertThat(server.requests(".capack")).isBetween(2, spread(pack1).size());
    }

    @Test
    void mergedPartsAreCutIntoTheRangesAsked() throws Exception {
        for (Replier r : List.of(pairsMerged(), allMerged())) {
            server.handler(".capack", ranges(r));
            try (HttpRangeSource src = source()) {
                readAndCheck(src, pack1, spread(pack1));
            }
        }
        assertThat(server.requests(".capack")).isEqualTo(2);
    }

    @Test
    void extraPartsAreIgnored() throws Exception {
        server.handler(".capack", ranges(extraPart()));
        try (HttpRangeSource src = source()) {
            readAndCheck(src, pack1, spread(pack1));
        }
        assertThat(server.requests(".capack")).isEqualTo(1);
    }

    @Test
    void partsInAnotherOrderAreMatchedByPosition() throws Exception {
        server.handler(".capack", ranges(reversed()));
        try (HttpRangeSource src = source()) {
            readAndCheck(src, pack1, spread(pack1));
        }
        assertThat(server.requests(".capack")).isEqualTo(1);
    }

    @Test
    void packedStoreExtractsEveryChunkWhateverTheServerDoesWithRanges() throws Exception {
        for (Replier r : List.of(correct(), firstRangeOnly(), ignoring(), pairsMerged(), allMerged(), extraPart(),
                reversed())) {
            server.handler(".capack", ranges(r));
            int before = server.requests(".cacnk");
            try (HttpRangeSource src = source(); PackedStore p = packed(src, loose(), v2)) {
                extractV2(p);
                assertThat(p.chunksFromPacks()).isEqualTo(v2.index().size());
            }
            assertThat(server.requests(".cacnk")).as("no loose chunk read").isEqualTo(before);
        }
    }

    // ---- (c) servers that ignore ranges ----

    @Test
    void aServerIgnoringRangesIsDownloadedFromOncePerPackEvenUnderConcurrentReads() throws Exception {
        server.handler(".capack", ranges(ignoring()));
        server.delay(200); // every request overlaps the others
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (HttpRangeSource src = source()) {
            for (PackId p : List.of(pack1, pack2)) {
                byte[] file = packFile(p);
                CyclicBarrier together = new CyclicBarrier(6);
                List<Future<?>> reads = new ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    Random rnd = new Random(t);
                    long start = rnd.nextInt(file.length / 2);
                    List<Range> rs = List.of(new Range(start, start + 1 + rnd.nextInt(10_000)),
                            new Range(file.length - 1 - rnd.nextInt(1000), file.length));
                    reads.add(pool.submit(() -> {
                        together.await(10, TimeUnit.SECONDS);
                        readAndCheck(src, p, rs);
                        return null;
                    }));
                }
                for (Future<?> f : reads) {
                    f.get(60, TimeUnit.SECONDS);
                }
                assertThat(server.requests(p.hex() + ".capack")).as("requests for pack %s", p).isEqualTo(1);
                // Later reads come from the copy too.
                readAndCheck(src, p, spread(p));
                assertThat(server.requests(p.hex() + ".capack")).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(sent.sum()).isEqualTo(packFile(pack1).length + packFile(pack2).length);
    }

    // ---- (g) truncated bodies ----

    @Test
    void truncatedMultipartRepliesAreRetriedThenAClearError() throws Exception {
        for (Replier r : List.of(cutInPart(), noClosingBoundary())) {
            server.handler(".capack", ranges(r));
            int before = server.requests(".capack");
            try (HttpRangeSource src = source()) {
                Map<Integer, byte[]> got = new ConcurrentHashMap<>();
                assertThatThrownBy(() -> src.read(pack1.packPath(), spread(pack1), got::put))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining(pack1.packPath())
                        .hasMessageContaining("attempts")
                        .message().satisfiesAnyOf(m -> assertThat(m).contains("cut short"),
                                m -> assertThat(m).contains("closing boundary"));
                assertThat(got).as("nothing delivered from a broken reply").isEmpty();
            }
            // retries=3: four attempts.
            assertThat(server.requests(".capack") - before).isEqualTo(4);
        }
    }

    @Test
    void aReplyCutOnceIsAskedForAgain() throws Exception {
        server.handler(".capack", ranges(correct()));
        server.fault(".capack", ranges(cutInPart()), StaticWebServer.truncated());
        try (HttpRangeSource src = source()) {
            readAndCheck(src, pack1, spread(pack1));
        }
        assertThat(server.requests(".capack")).isEqualTo(3);
    }

    // ---- (h) wrong bytes ----

    @Test
    void alteredPartsAreRefusedAndLooseCopiesUsed() throws Exception {
        server.handler(".capack", ranges(altered()));
        try (HttpRangeSource src = source(); PackedStore p = packed(src, loose(), v2)) {
            extractV2(p);
            assertThat(p.chunksFromPacks()).isLessThan(v2.index().size());
            assertThat(p.stats().getFirst().errors()).isPositive();
        }
        assertThat(server.requests(".cacnk")).isPositive();
    }

    @Test
    void alteredPartsWithoutLooseCopiesAreAnError() throws Exception {
        deleteLooseChunks();
        server.handler(".capack", ranges(altered()));
        try (HttpRangeSource src = source(); PackedStore p = packed(src, loose(), v2)) {
            assertThatThrownBy(() -> extractV2(p)).isInstanceOf(ChunkInvalidException.class)
                    .hasMessageContaining("pack");
        }
    }

    // ---- (i), (j) statuses ----

    @Test
    void aMissingPackIsNoSuchFileAndLooseChunksAreRead() throws Exception {
        server.handler(".capack", ranges(correct()));
        Files.delete(fixture.store().root().resolve(pack2.packPath()));
        try (HttpRangeSource src = source()) {
            assertThatThrownBy(() -> read(src, pack2, spread(pack1))).isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining(pack2.packPath()).hasMessageContaining("404");
        }
        try (HttpRangeSource src = source(); PackedStore p = packed(src, loose(), v2)) {
            extractV2(p);
            // What v2 shares with v1 still comes from v1's pack.
            assertThat(p.chunksFromPacks()).isPositive().isLessThan(v2.index().size());
        }
        assertThat(server.requests(".cacnk")).isPositive();
    }

    @Test
    void otherClientErrorsAreClearAndNotRetried() throws Exception {
        for (int status : List.of(416, 403, 400)) {
            server.handler(".capack", StaticWebServer.status(status));
            int before = server.requests(".capack");
            try (HttpRangeSource src = source()) {
                assertThatThrownBy(() -> read(src, pack1, spread(pack1))).isInstanceOf(IOException.class)
                        .isNotInstanceOf(NoSuchFileException.class)
                        .hasMessageContaining(pack1.packPath()).hasMessageContaining("HTTP " + status);
            }
            assertThat(server.requests(".capack") - before).isEqualTo(1);
        }
    }

    // ---- the multipart parser itself ----

    static byte[] bytes(HttpRangeSource.Part p) {
        return Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.length());
    }

    static List<HttpRangeSource.Part> parse(byte[] body) throws IOException {
        return HttpRangeSource.multipart(body, ("--" + BOUNDARY).getBytes(StandardCharsets.ISO_8859_1), "pack P");
    }

    @Test
    void partsArePositionedByTheirContentRangeNotByBoundariesInTheData() throws IOException {
        byte[] tricky = ("x\r\n--" + BOUNDARY + "\r\nContent-Range: bytes 0-3/9\r\n\r\nyy").getBytes(
                StandardCharsets.ISO_8859_1);
        byte[] other = {1, 2, 3};
        byte[] body = multipartBody(List.of(new Part(100, 100 + tricky.length - 1, tricky),
                new Part(7, 9, other)), 1000, true);
        byte[] withPreamble = ("This is a preamble.\r\n" + new String(body, StandardCharsets.ISO_8859_1))
                .getBytes(StandardCharsets.ISO_8859_1);
        for (byte[] b : List.of(body, withPreamble)) {
            List<HttpRangeSource.Part> parts = parse(b);
            assertThat(parts).hasSize(2);
            assertThat(parts.get(0).start()).isEqualTo(100);
            assertThat(bytes(parts.get(0))).isEqualTo(tricky);
            assertThat(parts.get(1).start()).isEqualTo(7);
            assertThat(bytes(parts.get(1))).isEqualTo(other);
        }
    }

    @Test
    void brokenMultipartBodiesAreRefused() {
        byte[] body = multipartBody(List.of(new Part(0, 9, new byte[10]), new Part(20, 29, new byte[10])), 100,
                true);
        String text = new String(body, StandardCharsets.ISO_8859_1);
        Map<String, byte[]> broken = Map.of(
                "cut short", Arrays.copyOf(body, text.indexOf("bytes 20-29") + 25),
                "ends in its headers", Arrays.copyOf(body, text.indexOf("bytes 20-29")),
                "closing boundary", multipartBody(List.of(new Part(0, 9, new byte[10])), 100, false),
                "no multipart boundary", "just some text".getBytes(StandardCharsets.ISO_8859_1),
                "no Content-Range", text.replace("Content-Range: bytes 20-29/100", "X-Other: 1")
                        .getBytes(StandardCharsets.ISO_8859_1));
        for (Map.Entry<String, byte[]> e : broken.entrySet()) {
            assertThatThrownBy(() -> parse(e.getValue())).as(e.getKey()).isInstanceOf(IOException.class)
                    .hasMessageStartingWith("pack P: ").hasMessageContaining(e.getKey());
        }
    }
}
