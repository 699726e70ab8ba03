package org.jcasync.server;

import org.jcasync.store.StoreOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET/HEAD /packs/<id>.capack|.capidx} on the chunk-server: whole files, single and multiple ranges. */
class PackServingTest extends ChunkServerFixture {
    static final String HEX = "ab".repeat(32);
    static final String PACK = "/packs/" + HEX + ".capack";

    Http http;
    byte[] pack;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(store.root().resolve("packs"));
        pack = new byte[300_000];
        new Random(5).nextBytes(pack);
        Files.write(store.root().resolve("packs").resolve(HEX + ".capack"), pack);
        Files.write(store.root().resolve("packs").resolve(HEX + ".capidx"), Arrays.copyOf(pack, 1000));
        Protocol p = protocol();
        server = new ChunkServer(store, null, StoreOptions.DEFAULT, store.root(), false, p.serve(ServerOptions.loopback()))
                .start();
        http = p.client(server.uris().getFirst());
    }

    private HttpResponse<byte[]> get(String path, String range) throws Exception {
        return http.send(http.request(path).header("Range", range), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void wholeFilesAndHead() throws Exception {
        HttpResponse<byte[]> r = http.get(PACK);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(pack);
        assertThat(r.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(pack.length);
        assertThat(http.get("/packs/" + HEX + ".capidx").body()).isEqualTo(Arrays.copyOf(pack, 1000));
        HttpResponse<byte[]> h = http.head(PACK);
        assertThat(h.statusCode()).isEqualTo(200);
        assertThat(h.body()).isEmpty();
        assertThat(h.headers().firstValueAsLong("Content-Length")).hasValue(pack.length);
        assertThat(h.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        assertThat(Http.text(http.get("/"))).isEqualTo("jcasync chunk-server\nbatch\npacks\n");
    }

    @Test
    void singleRange() throws Exception {
        HttpResponse<byte[]> r = get(PACK, "bytes=1000-1999");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 1000-1999/300000");
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(pack, 1000, 2000));
        HttpResponse<byte[]> suffix = get(PACK, "bytes=-100");
        assertThat(suffix.headers().firstValue("Content-Range")).hasValue("bytes 299900-299999/300000");
        assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(pack, 299_900, 300_000));
        HttpResponse<byte[]> open = get(PACK, "bytes=299000-");
        assertThat(open.body()).isEqualTo(Arrays.copyOfRange(pack, 299_000, 300_000));
        // An end past the file is clamped.
        HttpResponse<byte[]> clamped = get(PACK, "bytes=299990-400000");
        assertThat(clamped.statusCode()).isEqualTo(206);
        assertThat(clamped.body()).isEqualTo(Arrays.copyOfRange(pack, 299_990, 300_000));
        // HEAD with a range: the headers without the body.
        HttpResponse<byte[]> head = http.send(http.request(PACK).header("Range", "bytes=0-9")
                .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(head.statusCode()).isEqualTo(206);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(10);
        assertThat(head.body()).isEmpty();
    }

    /** One part of a multipart/byteranges reply. */
    record Part(String contentType, String contentRange, byte[] data) {
    }

    /** Parses a multipart/byteranges body by its boundary (strictly: CRLFs, headers, then exactly the range). */
    static List<Part> parts(HttpResponse<byte[]> r) {
        String type = r.headers().firstValue("Content-Type").orElseThrow();
        Matcher b = Pattern.compile("multipart/byteranges; boundary=(\\S+)").matcher(type);
        assertThat(b.matches()).as(type).isTrue();
        byte[] body = r.body();
        String latin = new String(body, StandardCharsets.ISO_8859_1);
        String delimiter = "\r\n--" + b.group(1);
        List<Part> out = new ArrayList<>();
        int at = latin.indexOf(delimiter);
        assertThat(at).isZero();
        while (true) {
            at += delimiter.length();
            if (latin.startsWith("--\r\n", at)) {
                assertThat(at + 4).isEqualTo(body.length);
                return out;
            }
            int headersEnd = latin.indexOf("\r\n\r\n", at);
            String headers = latin.substring(at + 2, headersEnd);
            String ct = null;
            String cr = null;
            for (String line : headers.split("\r\n")) {
                if (line.startsWith("Content-Type: ")) {
                    ct = line.substring(14);
                } else if (line.startsWith("Content-Range: ")) {
                    cr = line.substring(15);
                }
            }
            Matcher m = Pattern.compile("bytes (\\d+)-(\\d+)/\\d+").matcher(cr);
            assertThat(m.matches()).isTrue();
            int len = (int) (Long.parseLong(m.group(2)) - Long.parseLong(m.group(1)) + 1);
            int data = headersEnd + 4;
            out.add(new Part(ct, cr, Arrays.copyOfRange(body, data, data + len)));
            at = data + len;
            assertThat(latin.startsWith(delimiter, at)).isTrue();
        }
    }

    @Test
    void multipleRangesAreAMultipartReply() throws Exception {
        HttpResponse<byte[]> r = get(PACK, "bytes=0-99, 5000-5099,299999-");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(r.body().length);
        List<Part> p = parts(r);
        assertThat(p).hasSize(3);
        assertThat(p).allMatch(x -> x.contentType().equals("application/octet-stream"));
        assertThat(p.get(0).contentRange()).isEqualTo("bytes 0-99/300000");
        assertThat(p.get(0).data()).isEqualTo(Arrays.copyOfRange(pack, 0, 100));
        assertThat(p.get(1).contentRange()).isEqualTo("bytes 5000-5099/300000");
        assertThat(p.get(1).data()).isEqualTo(Arrays.copyOfRange(pack, 5000, 5100));
        assertThat(p.get(2).data()).isEqualTo(Arrays.copyOfRange(pack, 299_999, 300_000));
        // Many ranges: every part arrives whole and in order.
        StringBuilder many = new StringBuilder("bytes=");
        for (int i = 0; i < 500; i++) {
            many.append(i == 0 ? "" : ",").append(i * 500).append('-').append(i * 500 + 99 + i % 7);
        }
        List<Part> all = parts(get(PACK, many.toString()));
        assertThat(all).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(all.get(i).data()).isEqualTo(Arrays.copyOfRange(pack, i * 500, i * 500 + 100 + i % 7));
        }
    }

    @Test
    void unsatisfiableTooManyAndOverlappingRangesAre416() throws Exception {
        for (String bad : List.of("bytes=300000-", "bytes=400000-500000", "bytes=-0", "bytes=0-99,50-149")) {
            HttpResponse<byte[]> r = get(PACK, bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(416);
            assertThat(r.headers().firstValue("Content-Range")).as(bad).hasValue("bytes */300000");
        }
        // (Short ranges: the whole header has to fit Jetty's 8 KiB limit for request headers.)
        HttpResponse<byte[]> r = get(PACK, "bytes=" + String.join(",", java.util.Collections.nCopies(1001, "-1")));
        assertThat(r.statusCode()).isEqualTo(416);
        assertThat(Http.text(r)).contains("more than 1000 ranges");
        // A header that is not a valid range set is ignored: the whole file.
        for (String ignored : List.of("bytes=abc", "lines=1-2", "bytes=5-1")) {
            HttpResponse<byte[]> w = get(PACK, ignored);
            assertThat(w.statusCode()).as(ignored).isEqualTo(200);
            assertThat(w.body()).isEqualTo(pack);
        }
    }

    @Test
    void missingPacksAre404AndBadPathsAre400() throws Exception {
        HttpResponse<byte[]> missing = http.get("/packs/" + "cd".repeat(32) + ".capack");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Http.text(missing)).contains("not found");
        assertThat(http.head("/packs/" + "cd".repeat(32) + ".capidx").statusCode()).isEqualTo(404);
        for (String bad : List.of("/packs/" + HEX.toUpperCase() + ".capack", "/packs/" + HEX + ".cacnk",
                "/packs/" + HEX.substring(1) + ".capack", "/packs/../" + HEX + ".capack", "/packs/",
                "/packs/x/" + HEX + ".capack", "/packs/" + HEX + ".capack.tmp")) {
            HttpResponse<byte[]> r = http.get(bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
        }
        HttpResponse<byte[]> put = http.put(PACK, new byte[10]);
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void aServerWithoutALocalStoreServesNoPacks() throws Exception {
        try (ChunkServer plain = new ChunkServer(store, null, StoreOptions.DEFAULT, ServerOptions.loopback())
                .start()) {
            Http h = new Http(plain.uris().getFirst());
            HttpResponse<byte[]> r = h.get(PACK);
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(Http.text(r)).contains("serves no packs");
            assertThat(Http.text(h.get("/"))).isEqualTo("jcasync chunk-server\nbatch\n");
        }
    }
}
