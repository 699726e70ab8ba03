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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte ranges of files (packs) under an http(s) store, in multi-range requests ({@code Range: bytes=a-b,c-d,…},
 * answered with {@code multipart/byteranges} by nginx, Apache, most CDNs), single-range replies (the ranges a reply
 * leaves out are asked for again), and servers that ignore ranges: the first request to a server goes alone; if it
 * comes back whole (200), the file is kept in a temporary file and every later range of it is read from there, and
 * each other file is downloaded whole once, however many readers want it at the same time.
 */
final class HttpRangeSource implements RangeSource {
    /** Ranges per request: keeps the Range header under the 8 KiB that servers accept for a header line. */
    private static final int MAX_RANGES = 250;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?", Pattern.CASE_INSENSITIVE);

    private final HttpLocation base;
    private final HttpTransport transport;
    /** Whether the server answers Range requests: null until a reply told. */
    private volatile Boolean answersRanges;
    /** The request in flight while {@link #answersRanges} is unknown (the others wait for it); guarded by this. */
    private CompletableFuture<Void> probe;
    /** Whole files downloaded from a server that ignores ranges (or being downloaded), by path. */
    private final Map<String, CompletableFuture<Path>> wholeFiles = new ConcurrentHashMap<>();

    HttpRangeSource(URI location, TransportOptions options) throws IOException {
        this.base = HttpLocation.of(location, true);
        this.transport = new HttpTransport(base.uri().getScheme(), base.basicAuthorization() != null
                ? base.basicAuthorization() : options.authorization(), options,
                new EnvironmentProxySelector(System.getenv()));
    }

    /** A part of a reply: bytes {@code [start, start + length)} of the file, at {@code data[offset…]}. */
    record Part(long start, byte[] data, int offset, int length) {
    }

    /** A reply: its parts, or ({@code whole}) the whole file as one part, from a server that ignored Range. */
    private record Answer(boolean whole, List<Part> parts) {
    }

    @Override
    public void read(String path, List<Range> ranges, Sink sink) throws IOException {
        boolean prober = takeTurn();
        try {
            Path whole = wholeCopy(path);
            if (whole != null) {
                fromFile(whole, ranges, sink, "pack " + base.display(path));
            } else {
                requestRanges(path, ranges, sink);
            }
        } finally {
            if (prober) {
                probeDone();
            }
        }
    }

    /**
     * While nobody knows whether the server answers ranges, one request goes alone (the probe) and the others wait
     * for it, so a server that sends whole files is not asked for the same file many times at once. Returns
     * whether this caller sends the probe; a probe that fails without telling hands the turn to the next caller.
     */
    private boolean takeTurn() throws IOException {
        while (true) {
            CompletableFuture<Void> p;
            synchronized (this) {
                if (answersRanges != null) {
                    return false;
                }
                if (probe == null) {
                    probe = new CompletableFuture<>();
                    return true;
                }
                p = probe;
            }
            HttpTransport.await(p);
        }
    }

    private synchronized void probeDone() {
        probe.complete(null);
        probe = null;
    }

    /**
     * The local copy of the file at {@code path} when there is one, downloading it first when the server is known
     * to ignore ranges (once: concurrent readers share the download); null when ranges are to be asked for.
     */
    private Path wholeCopy(String path) throws IOException {
        CompletableFuture<Path> f = wholeFiles.get(path);
        if (f == null && Boolean.FALSE.equals(answersRanges)) {
            CompletableFuture<Path> mine = new CompletableFuture<>();
            f = wholeFiles.putIfAbsent(path, mine);
            if (f == null) {
                f = mine;
                try {
                    mine.complete(keep(send(path, null).parts().getFirst().data()));
                } catch (IOException | RuntimeException e) {
                    wholeFiles.remove(path, mine); // a later read tries again
                    mine.completeExceptionally(e);
                }
            }
        }
        return f == null ? null : HttpTransport.await(f);
    }

    /**
     * Asks for {@code ranges} in (multi-)range requests and hands each to the sink from whichever part covers it.
     * Ranges a reply left out (a server of single ranges answers only the first) are asked for again, as long as
     * every reply brings at least one; a whole-file reply is kept for the later reads of that file.
     */
    private void requestRanges(String path, List<Range> ranges, Sink sink) throws IOException {
        String what = "pack " + base.display(path);
        List<Integer> left = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            left.add(i);
        }
        while (!left.isEmpty()) {
            StringBuilder header = new StringBuilder("bytes=");
            for (int i : left) {
                Range r = ranges.get(i);
                header.append(header.length() == 6 ? "" : ",").append(r.start()).append('-').append(r.end() - 1);
            }
            Answer a = send(path, header.toString());
            if (a.whole()) {
                answersRanges = false;
                CompletableFuture<Path> copy = CompletableFuture.completedFuture(keep(a.parts().getFirst().data()));
                if (wholeFiles.putIfAbsent(path, copy) != null) {
                    Files.deleteIfExists(copy.join());
                }
            } else {
                answersRanges = true;
            }
            List<Integer> missing = deliver(a.parts(), ranges, left, sink);
            if (!missing.isEmpty() && (a.whole() || missing.size() == left.size())) {
                Range r = ranges.get(missing.getFirst());
                throw new IOException(what + ": " + (a.whole() ? "the file (" + a.parts().getFirst().length()
                        + " bytes) ends before byte " + r.end()
                        : "the reply holds none of the ranges asked for (" + r + ")"));
            }
            left = missing;
        }
    }

    /** One GET of {@code path} with the Range header {@code range} (none: the whole file). */
    private Answer send(String path, String range) throws IOException {
        String what = "pack " + base.display(path);
        // Multipart headers take ~100 bytes a part; a server that ignores ranges sends the whole file.
        long maxBody = Integer.MAX_VALUE - 16;
        return HttpTransport.await(transport.send(new HttpTransport.Request("GET", base.uri().resolve(path), null,
                null, maxBody, null, what, range), new HttpTransport.Reply<Answer>() {
                    @Override
                    public Answer ok(byte[] body) {
                        throw new IllegalStateException("status needed");
                    }

                    @Override
                    public Answer ok(int status, HttpHeaders headers, byte[] body) throws IOException {
                        if (range == null && status != 200) {
                            throw new IOException(what + ": HTTP " + status + " to a request for the whole file");
                        }
                        return parse(status, headers, body, what);
                    }

                    @Override
                    public Answer missing() throws IOException {
                        throw new NoSuchFileException(base.display(path), null, "pack not found (HTTP 404)");
                    }
                }));
    }

    /** Writes a whole file to a temporary file (deleted on close). */
    private static Path keep(byte[] file) throws IOException {
        Path tmp = Files.createTempFile("jcasync-pack", ".capack");
        tmp.toFile().deleteOnExit();
        Files.write(tmp, file);
        return tmp;
    }

    /** The parts of a reply: 206 single range, 206 multipart/byteranges, or 200 (the whole file). */
    private static Answer parse(int status, HttpHeaders headers, byte[] body, String what) throws IOException {
        if (status == 200) {
            return new Answer(true, List.of(new Part(0, body, 0, body.length)));
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
            return new Answer(false, List.of(new Part(start, body, 0, body.length)));
        }
        Matcher b = BOUNDARY.matcher(type);
        if (!b.find()) {
            throw new IOException(what + ": multipart reply without a boundary");
        }
        return new Answer(false, multipart(body, ("--" + b.group(1)).getBytes(StandardCharsets.ISO_8859_1), what));
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

    /**
     * Hands each range numbered in {@code which} to the sink from whichever part covers it (servers may merge,
     * reorder or add parts); returns the numbers of the ranges no part covers.
     */
    private static List<Integer> deliver(List<Part> parts, List<Range> ranges, List<Integer> which, Sink sink)
            throws IOException {
        List<Integer> missing = new ArrayList<>();
        next:
        for (int i : which) {
            Range r = ranges.get(i);
            for (Part p : parts) {
                if (r.start() >= p.start() && r.end() <= p.start() + p.length()) {
                    int from = p.offset() + (int) (r.start() - p.start());
                    sink.accept(i, Arrays.copyOfRange(p.data(), from, from + r.length()));
                    continue next;
                }
            }
            missing.add(i);
        }
        return missing;
    }

    private static void fromFile(Path file, List<Range> ranges, Sink sink, String what) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int i = 0; i < ranges.size(); i++) {
                Range r = ranges.get(i);
                if (r.end() > ch.size()) {
                    throw new IOException(what + ": the file (" + ch.size() + " bytes) ends before byte " + r.end());
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

    /** Replies that came over {@code version} (for tests). */
    long replies(java.net.http.HttpClient.Version version) {
        return transport.replies(version);
    }

    @Override
    public void close() throws IOException {
        transport.close();
        for (CompletableFuture<Path> f : wholeFiles.values()) {
            Path p = f.getNow(null);
            if (p != null) {
                Files.deleteIfExists(p);
            }
        }
    }
}
