package org.jcasync.ssh;

import org.jcasync.store.TransportOptions;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The SFTP session of a store: started on first use, started again when the connection fails, with each failed
 * operation repeated up to {@link TransportOptions#retries()} times. Answers from the server (no such file,
 * permission denied) and bytes a parser refused ({@link SftpClient.ParseFailure}, thrown as the parser's own
 * exception) are not retried.
 */
public final class SftpSessions implements AutoCloseable {
    /** One operation on a session. */
    @FunctionalInterface
    public interface Op<T> {
        /** Runs on {@code c}. */
        T run(SftpClient c) throws IOException;
    }

    private final Supplier<List<String>> command;
    private final String location;
    private final TransportOptions transport;
    private final AtomicLong retries = new AtomicLong();
    private SftpClient client;
    private boolean closed;

    /** Sessions started with {@code command}. */
    public SftpSessions(Supplier<List<String>> command, String location, TransportOptions transport) {
        this.command = command;
        this.location = location;
        this.transport = transport;
    }

    private synchronized SftpClient client() throws IOException {
        if (closed) {
            throw new IOException(location + ": store closed");
        }
        if (client == null) {
            client = SftpClient.start(command.get(), location, transport.timeout());
        }
        return client;
    }

    private synchronized void drop(SftpClient c) {
        if (client == c && c != null) {
            client = null;
            c.close();
        }
    }

    /** Runs {@code op}, on a new session after a transport failure. */
    public <T> T call(Op<T> op) throws IOException {
        for (int attempt = 0; ; attempt++) {
            SftpClient c = null;
            try {
                c = client();
                return op.run(c);
            } catch (NoSuchFileException | SftpException e) {
                throw e;
            } catch (SftpClient.ParseFailure e) {
                throw e.parserException();
            } catch (IOException e) {
                drop(c);
                if (attempt >= transport.retries()) {
                    throw e;
                }
                retries.incrementAndGet();
                try {
                    Thread.sleep(transport.retryDelay().toMillis() << Math.min(attempt, 10));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
        }
    }

    /** Operations repeated so far. */
    public long retries() {
        return retries.get();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
