package org.jcasync.server;

import org.jcasync.io.RegularFile;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A file sent whole (200) or in the byte ranges a {@code Range} header asks for: one range as 206 with
 * {@code Content-Range}, several as 206 {@code multipart/byteranges} (each part with its {@code Content-Type} and
 * {@code Content-Range}), none satisfiable as 416 with {@code Content-Range: bytes *}{@code /SIZE}. The body is read
 * from the file with positional reads while it is sent, through one small buffer, whatever the file's size. Only a
 * regular file reached without a symlink below the served directory is sent ({@link RegularFile}).
 */
public final class FileReply {
    private static final int BUFFER = 64 << 10;

    private FileReply() {
    }

    /**
     * The reply to a GET or HEAD of the file {@code relative} to {@code dir}.
     *
     * @param range the request's {@code Range} header, or null
     * @param what names the file in a 404 message
     * @throws HttpStatusException 404 when the file does not exist, 500 when it is not a regular file or a symlink is
     *     on the way, 416 for ranges that cannot be satisfied
     */
    public static Reply of(Path dir, String relative, String range, String contentType, String what)
            throws IOException {
        long size;
        try (RegularFile f = RegularFile.openBelow(dir, relative)) {
            size = f.size();
        } catch (NoSuchFileException e) {
            throw new HttpStatusException(404, what + " not found");
        } catch (RegularFile.NotRegularException e) {
            throw new HttpStatusException(500, what + " is not served: it " + e.getReason());
        }
        Source file = () -> RegularFile.openBelow(dir, relative);
        List<ByteRanges.Range> ranges;
        try {
            ranges = ByteRanges.parse(range, size);
        } catch (HttpStatusException e) {
            return Reply.text(416, e.getMessage()).withHeader("Content-Range", "bytes */" + size)
                    .withHeader("Accept-Ranges", "bytes");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept-Ranges", "bytes");
        if (ranges == null) {
            return Reply.streamed(200, contentType, size, headers, out -> copy(file, List.of(
                    new ByteRanges.Range(0, size - 1)), size, out, null, null));
        }
        if (ranges.size() == 1) {
            ByteRanges.Range r = ranges.getFirst();
            headers.put("Content-Range", contentRange(r, size));
            return Reply.streamed(206, contentType, r.length(), headers, out -> copy(file, ranges, size, out, null,
                    null));
        }
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        String boundary = "jcasync-" + HexFormat.of().formatHex(random);
        List<byte[]> partHeaders = new ArrayList<>(ranges.size());
        long length = 0;
        for (ByteRanges.Range r : ranges) {
            byte[] h = ("\r\n--" + boundary + "\r\nContent-Type: " + contentType + "\r\nContent-Range: "
                    + contentRange(r, size) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            partHeaders.add(h);
            length += h.length + r.length();
        }
        byte[] end = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        length += end.length;
        return Reply.streamed(206, "multipart/byteranges; boundary=" + boundary, length, headers,
                out -> copy(file, ranges, size, out, partHeaders, end));
    }

    private static String contentRange(ByteRanges.Range r, long size) {
        return "bytes " + r.first() + "-" + r.last() + "/" + size;
    }

    /** Opens the file again when the reply is written (a HEAD reply never is). */
    @FunctionalInterface
    private interface Source {
        RegularFile open() throws IOException;
    }

    /** Writes the ranges of the file, each after its part header when there are any, then {@code end}. */
    private static void copy(Source file, List<ByteRanges.Range> ranges, long size, OutputStream out,
                             List<byte[]> partHeaders, byte[] end) throws IOException {
        try (RegularFile f = file.open()) {
            if (f.size() < size) {
                throw new EOFException("the file shrank to " + f.size() + " bytes while it was sent");
            }
            byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(1, size))];
            for (int i = 0; i < ranges.size(); i++) {
                if (partHeaders != null) {
                    out.write(partHeaders.get(i));
                }
                ByteRanges.Range r = ranges.get(i);
                for (long at = r.first(); at <= r.last(); ) {
                    int n = f.read(buf, 0, (int) Math.min(buf.length, r.last() + 1 - at), at);
                    if (n <= 0) {
                        throw new EOFException("the file ends before byte " + r.last());
                    }
                    out.write(buf, 0, n);
                    at += n;
                }
            }
            if (end != null) {
                out.write(end);
            }
        }
    }
}
