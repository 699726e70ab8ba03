package org.jcasync.http;

import org.jcasync.pack.RangeSource;
import org.jcasync.store.StoreStats;
import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte ranges of files (packs) under an http(s) store, in multi-range requests ({@code Range: bytes=a-b,c-d,…},
 * answered with {@code multipart/byteranges} by nginx, Apache, most CDNs), single-range replies, and servers that
 * ignore ranges: the first request to a server goes alone; if it comes back whole (200), the file is kept in a
 * temporary file and every later range of it is read from there, so nothing is downloaded twice.
 */
final class HttpRangeSource implements RangeSource {
    /** Ranges per request: keeps the Range header under the 8 KiB that servers accept for a header line. */
    private static final int MAX_RANGES = 250;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?", Pattern.CASE_INSENSITIVE);

    private final HttpLocation base;
    private final HttpTransport transport;
    /** Completed by the first reply: whether the server answers ranges. */
    private final CompletableFuture<Boolean> rangesWork = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean probing = new java.util.concurrent.atomic.AtomicBoolean();
    private final Map<String, Path> wholeFiles = new ConcurrentHashMap<>();

    HttpRangeSource(URI location, TransportOptions options) throws IOException {
        this.base = HttpLocation.of(location, true);
        this.transport = new HttpTransport(base.uri().getScheme(), base.basicAuthorization() != null
                ? base.basicAuthorization() : options.authorization(), options,
                new EnvironmentProxySelector(System.getenv()));
    }

    /** A part of a reply: bytes {@code [start, start + data.length)} of the file. */
    private record Part(long start, byte[] data, int offset, int length) {
    }

    @Override
    public void read(String path, List<Range> ranges, Sink sink) throws IOException {
        Path whole = wholeFiles.get(path);
        if (whole != null) {
            fromFile(whole, ranges, sink);
            return;
        }
        if (!rangesWork.isDone() && !probing.compareAndSet(false, true)) {
            HttpTransport.await(rangesWork); // the first request tells whether the server answers ranges
            whole = wholeFiles.get(path);
            if (whole != null) {
                fromFile(whole, ranges, sink);
                return;
            }
        }
        URI uri = base.uri().resolve(path);
        String what = "pack " + base.display(path);
        StringBuilder header = new StringBuilder("bytes=");
        long want = 0;
        for (int i = 0; i < ranges.size(); i++) {
            Range r = ranges.get(i);
            header.append(i == 0 ? "" : ",").append(r.start()).append('-').append(r.end() - 1);
            want += r.length();
        }
        // Multipart headers take ~100 bytes a part; a server that ignores ranges sends the whole file.
        long maxBody = Integer.MAX_VALUE - 16;
        List<Part> parts;
        try {
            parts = HttpTransport.await(transport.send(new HttpTransport.Request("GET", uri, null, null, maxBody,
                    null, what, header.toString()), new HttpTransport.Reply<List<Part>>() {
                        @Override
                        public List<Part> ok(byte[] body) {
                            throw new IllegalStateException("status needed");
                        }

                        @Override
                        public List<Part> ok(int status, HttpHeaders headers, byte[] body) throws IOException {
                            return parse(status, headers, body, what);
                        }

                        @Override
                        public List<Part> missing() throws IOException {
                            throw new NoSuchFileException(base.display(path), null, "pack not found (HTTP 404)");
                        }
                    }));
        } catch (IOException | RuntimeException e) {
            rangesWork.complete(true); // unknown: let the others try for themselves
            throw e;
        }
        boolean wholeFile = parts.size() == 1 && parts.getFirst().start() == 0 && parts.getFirst().length() > 0
                && parts.getFirst().data().length == parts.getFirst().length() && parts.getFirst().offset() == 0
                && wholeReply(parts);
        if (wholeFile) {
            Path tmp = Files.createTempFile("jcasync-pack", ".capack");
            tmp.toFile().deleteOnExit();
            Files.write(tmp, parts.getFirst().data());
            wholeFiles.put(path, tmp);
        }
        rangesWork.complete(!wholeFile);
        deliver(parts, ranges, sink, what);
    }

    /** Parts of a 200 reply are marked by a negative offset trick: see {@link #parse}. */
    private final java.util.Set<List<Part>> whole = java.util.Collections.newSetFromMap(
            new java.util.IdentityHashMap<>());

    private boolean wholeReply(List<Part> parts) {
        synchronized (whole) {
            return whole.remove(parts);
        }
    }

    /** The parts of a reply: 206 single range, 206 multipart/byteranges, or 200 (the whole file). */
    private List<Part> parse(int status, HttpHeaders headers, byte[] body, String what) throws IOException {
        if (status == 200) {
            List<Part> l = new ArrayList<>(List.of(new Part(0, body, 0, body.length)));
            synchronized (whole) {
                whole.add(l);
            }
            return l;
        }
        if (status != 206) {
            throw new IOException(what + ": HTTP " + status + " to a range request");
        }
        String type = headers.firstValue("content-type").orElse("");
        if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/byteranges")) {
            Matcher m = CONTENT_RANGE.matcher(headers.firstValue("content-range").orElse(""));
            if (!m.find()) {
                throw new HttpTransport.RetryableException(what + ": 206 reply without a Content-Range",
                        n -> new IOException(what + ": 206 reply without a Content-Range"));
            }
            long start = Long.parseLong(m.group(1));
            long end = Long.parseLong(m.group(2));
            if (end - start + 1 != body.length) {
                throw truncated(what, "the range " + start + "-" + end + " came with " + body.length + " bytes");
            }
            return List.of(new Part(start, body, 0, body.length));
        }
        Matcher b = BOUNDARY.matcher(type);
        if (!b.find()) {
            throw new IOException(what + ": multipart reply without a boundary");
        }
        return multipart(body, ("--" + b.group(1)).getBytes(StandardCharsets.ISO_8859_1), what);
    }

    /** Splits a multipart/byteranges body into its parts (each checked against its Content-Range). */
    static List<Part> multipart(byte[] body, byte[] delimiter, String what) throws IOException {
        List<Part> parts = new ArrayList<>();
        int at = indexOf(body, delimiter, 0);
        if (at < 0) {
            throw truncated(what, "no multipart boundary in the reply");
        }
        while (true) {
            at += delimiter.length;
            if (at + 2 <= body.length && body[at] == '-' && body[at + 1] == '-') {
                return parts; // the closing delimiter
            }
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), at);
            if (headersEnd < 0) {
                throw truncated(what, "a multipart part ends in its headers");
            }
            String headers = new String(body, at, headersEnd - at, StandardCharsets.ISO_8859_1);
            Matcher m = CONTENT_RANGE.matcher(headers);
            if (!m.find()) {
                throw new IOException(what + ": a multipart part has no Content-Range");
            }
            long start = Long.parseLong(m.group(1));
            long end = Long.parseLong(m.group(2));
            int dataStart = headersEnd + 4;
            long len = end - start + 1;
            if (len <= 0 || dataStart + len > body.length) {
                throw truncated(what, "the part " + start + "-" + end + " is cut short");
            }
            parts.add(new Part(start, body, dataStart, (int) len));
            at = indexOf(body, delimiter, dataStart + (int) len);
            if (at < 0) {
                throw truncated(what, "the multipart reply ends without its closing boundary");
            }
        }
    }

    private static IOException truncated(String what, String why) {
        return new HttpTransport.RetryableException(what + ": " + why,
                n -> new IOException(what + ": " + why + " (after " + n + " attempts)"));
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Hands each asked-for range to the sink from whichever part covers it (servers may merge or reorder). */
    private static void deliver(List<Part> parts, List<Range> ranges, Sink sink, String what) throws IOException {
        for (int i = 0; i < ranges.size(); i++) {
            Range r = ranges.get(i);
            for (Part p : parts) {
                if (r.start() >= p.start() && r.end() <= p.start() + p.length()) {
                    int from = p.offset() + (int) (r.start() - p.start());
                    sink.accept(i, java.util.Arrays.copyOfRange(p.data(), from, from + r.length()));
                    break;
                }
            }
        }
    }

    private static void fromFile(Path file, List<Range> ranges, Sink sink) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int i = 0; i < ranges.size(); i++) {
                Range r = ranges.get(i);
                if (r.end() > ch.size()) {
                    continue;
                }
                ByteBuffer b = ByteBuffer.allocate(r.length());
                while (b.hasRemaining() && ch.read(b, r.start() + b.position()) > 0) {
                    // reads until full
                }
                sink.accept(i, b.array());
            }
        }
    }

    @Override
    public int maxRangesPerRequest() {
        return MAX_RANGES;
    }

    @Override
    public int mergeGap() {
        return 8192;
    }

    @Override
    public String location() {
        return base.display();
    }

    @Override
    public List<StoreStats> stats() {
        return List.of(new StoreStats(base.display() + " (packs)", 0, transport.downloaded(), transport.requests(),
                transport.retries(), transport.errors()));
    }

    @Override
    public void close() throws IOException {
        transport.close();
        for (Path p : wholeFiles.values()) {
            Files.deleteIfExists(p);
        }
    }
}
