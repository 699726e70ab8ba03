package org.jcasync.server;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.NanoTime;

import java.io.Closeable;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One line per request, also for those Jetty refuses before a handler sees them:
 * {@code TIME CLIENT METHOD PATH STATUS BYTES MSms}, e.g.
 * {@code 2025-05-01T10:00:00.123Z 127.0.0.1 GET /1a2b/1a2b….cacnk 200 20480 3ms}.
 */
public final class RequestLogger implements RequestLog, Closeable {
    private final PrintWriter out;
    private final boolean ownsStream;

    /** Writes to {@code out}; {@code owns}: close it with the logger. */
    public RequestLogger(java.io.Writer out, boolean owns) {
        this.out = new PrintWriter(out, false);
        this.ownsStream = owns;
    }

    /** A logger writing to {@code target}: a file (appended to) or "-" for standard error. */
    public static RequestLogger open(String target) throws IOException {
        if (target.equals("-")) {
            return new RequestLogger(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), false);
        }
        OutputStream os;
        try {
            os = new FileOutputStream(target, true);
        } catch (java.io.FileNotFoundException e) {
            throw new IOException("cannot write the request log " + target + ": " + e.getMessage(), e);
        }
        return new RequestLogger(new OutputStreamWriter(os, StandardCharsets.UTF_8), true);
    }

    @Override
    public void log(Request request, Response response) {
        long ms = NanoTime.millisSince(request.getBeginNanoTime());
        line(Request.getRemoteAddr(request), request.getMethod(), request.getHttpURI().getPathQuery(),
                response.getStatus(), Response.getContentBytesWritten(response), ms);
    }

    /** Writes one line (and flushes it). */
    public void line(String client, String method, String path, int status, long bytes, long millis) {
        String l = Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + client + " " + method + " "
                + sanitize(path) + " " + status + " " + bytes + " " + millis + "ms";
        synchronized (out) {
            out.println(l);
            out.flush();
        }
    }

    /** Control characters and spaces of a path are shown escaped, so one request stays one line. */
    private static String sanitize(String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                b.append(String.format("%%%02X", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        synchronized (out) {
            out.flush();
            if (ownsStream) {
                out.close();
            }
        }
    }
}
