package org.jcasync.ssh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

import static org.jcasync.ssh.CasyncProtocol.*;

/** Fetches an index file through {@code casync pull - - INDEX -}: HELLO, then INDEX frames up to INDEX_EOF. */
public final class RemoteFilePull {
    /** Largest file accepted. */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 64;

    private RemoteFilePull() {
    }

    /** The index at the far end of {@code command}; {@code location} names it in messages. */
    public static byte[] index(List<String> command, String location) throws IOException {
        try (RemoteProcess p = RemoteProcess.start(command)) {
            FrameWriter w = new FrameWriter(p.out());
            FrameReader r = new FrameReader(p.in(), location);
            try {
                w.hello(PULL_INDEX);
                w.flush();
            } catch (IOException e) {
                throw failed(location, p);
            }
            Frame f = r.read();
            if (f == null) {
                throw failed(location, p);
            }
            if (f.type() == ABORT) {
                throw new IOException(location + ": the server aborted: " + f.describeAbort());
            }
            if (f.type() != HELLO || !has(f.featureFlags(), READABLE_INDEX)) {
                throw new ProtocolException(location + ": the remote side does not serve this index");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                f = r.read();
                if (f == null) {
                    throw failed(location, p);
                }
                if (f.type() == INDEX) {
                    if (out.size() + (long) f.body().length > MAX_BYTES) {
                        throw new ProtocolException(location + ": index larger than 2 GiB");
                    }
                    out.write(f.body());
                } else if (f.type() == INDEX_EOF) {
                    break;
                } else if (f.type() == ABORT) {
                    throw new IOException(location + ": the server aborted: " + f.describeAbort());
                } else {
                    throw new ProtocolException(location + ": unexpected " + typeName(f.type())
                            + " frame while reading the index");
                }
            }
            try {
                w.empty(GOODBYE);
                w.close();
            } catch (IOException ignored) {
                // The server may leave as soon as it sent the index.
            }
            return out.toByteArray();
        }
    }

    private static IOException failed(String location, RemoteProcess p) {
        String why = p.failure();
        if (why.contains("No such file or directory")) {
            return new NoSuchFileException(location, null, "no such file (" + why + ")");
        }
        return new IOException(location + ": " + why);
    }
}
