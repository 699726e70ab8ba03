package org.jcasync.ssh;

import org.jcasync.io.BlockInputStream;
import org.jcasync.io.StreamParser;
import org.jcasync.io.TrackedInputStream;
import org.jcasync.io.WatchedInputStream;
import org.jcasync.store.TransferWatch;
import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

import static org.jcasync.ssh.CasyncProtocol.*;

/**
 * Fetches an index file through {@code casync pull - - INDEX -}: HELLO, then INDEX frames up to INDEX_EOF, handed to
 * a parser as they arrive (so memory follows what the parser keeps, not what the server sends). The server's pace is
 * watched ({@link TransferWatch}: the timeout and the minimum rate); a session that breaks off or stalls is started
 * again, up to the transport's retries.
 */
public final class RemoteFilePull {
    private RemoteFilePull() {
    }

    /** The index at the far end of {@code command}, as {@code parser} reads it; {@code location} names it. */
    public static <T> T index(java.util.function.Supplier<List<String>> command, String location,
                              TransportOptions transport, StreamParser<T> parser) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return once(command.get(), location, transport, parser);
            } catch (TransportFailure e) {
                if (attempt >= transport.retries()) {
                    throw new IOException(e.getMessage() + (attempt > 0 ? " (after " + (attempt + 1) + " attempts)"
                            : ""), e.getCause());
                }
                try {
                    Thread.sleep(transport.retryDelay().toMillis() << Math.min(attempt, 10));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
        }
    }

    /** A session that failed in a way worth another one (broke off, stalled, trickled). */
    private static final class TransportFailure extends IOException {
        private static final long serialVersionUID = 1L;

        TransportFailure(String message, IOException cause) {
            super(message, cause);
        }
    }

    private static <T> T once(List<String> command, String location, TransportOptions transport,
                              StreamParser<T> parser) throws IOException {
        try (RemoteProcess p = RemoteProcess.start(command);
             WatchedInputStream watched = new WatchedInputStream(p.in(), TransferWatch.of(transport), p::kill)) {
            FrameWriter w = new FrameWriter(p.out());
            FrameReader r = new FrameReader(watched, location);
            try {
                w.hello(PULL_INDEX);
                w.flush();
            } catch (IOException e) {
                throw failed(location, p, e);
            }
            Frame f;
            try {
                f = r.read();
            } catch (TransferWatch.TooSlowException e) {
                throw new TransportFailure(location + ": " + e.getMessage(), e);
            }
            if (f == null) {
                throw failed(location, p, null);
            }
            if (f.type() == ABORT) {
                throw new IOException(location + ": the server aborted: " + f.describeAbort());
            }
            if (f.type() != HELLO || !has(f.featureFlags(), READABLE_INDEX)) {
                throw new ProtocolException(location + ": the remote side does not serve this index");
            }
            TrackedInputStream in = new TrackedInputStream(new IndexFrames(r, location, p));
            T result;
            try {
                result = parser.parse(in);
            } catch (IOException e) {
                if (e instanceof TransportFailure || !in.failed() || e instanceof ProtocolException
                        || e instanceof NoSuchFileException) {
                    throw e;
                }
                throw new TransportFailure(location + ": " + e.getMessage(), e);
            }
            try {
                w.empty(GOODBYE);
                w.close();
            } catch (IOException ignored) {
                // The server may leave as soon as it sent the index.
            }
            return result;
        }
    }

    /** The bodies of INDEX frames as one stream, ending at INDEX_EOF. */
    private static final class IndexFrames extends BlockInputStream {
        private final FrameReader reader;
        private final String location;
        private final RemoteProcess process;

        IndexFrames(FrameReader reader, String location, RemoteProcess process) {
            this.reader = reader;
            this.location = location;
            this.process = process;
        }

        @Override
        protected byte[] nextBlock() throws IOException {
            Frame f = reader.read();
            if (f == null) {
                throw failed(location, process, null);
            }
            if (f.type() == INDEX) {
                return f.body();
            }
            if (f.type() == INDEX_EOF) {
                return null;
            }
            if (f.type() == ABORT) {
                throw new ProtocolException(location + ": the server aborted: " + f.describeAbort());
            }
            throw new ProtocolException(location + ": unexpected " + typeName(f.type())
                    + " frame while reading the index");
        }
    }

    private static IOException failed(String location, RemoteProcess p, IOException cause) {
        String why = p.failure();
        if (why.contains("No such file or directory")) {
            return new NoSuchFileException(location, null, "no such file (" + why + ")");
        }
        return new TransportFailure(location + ": " + why, cause);
    }
}
