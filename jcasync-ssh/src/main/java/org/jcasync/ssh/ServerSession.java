package org.jcasync.ssh;

import java.io.IOException;

import static org.jcasync.ssh.CasyncProtocol.*;

/** What the pull and push servers share: the HELLO exchange, checking the client's HELLO and aborting a session. */
final class ServerSession {
    private ServerSession() {
    }

    /**
     * Sends this server's HELLO offering {@code services} and reads the client's first frame.
     *
     * @return that frame, or null when the client left without sending one
     */
    static Frame greet(FrameReader r, FrameWriter w, long services) throws IOException {
        w.hello(services);
        w.flush();
        return r.read();
    }

    /**
     * Checks the client's first frame is a HELLO whose wishes this server can meet (as casync checks), else aborts.
     *
     * @return the client's feature flags
     */
    static long checkHello(Frame hello, long services, FrameWriter w) throws IOException {
        if (hello.type() == ABORT) {
            throw new ProtocolException("the client aborted: " + hello.describeAbort());
        }
        if (hello.type() != HELLO) {
            abort(w, EBADMSG, "expected HELLO, got " + typeName(hello.type()));
            throw new ProtocolException("the client sent " + typeName(hello.type()) + " instead of HELLO");
        }
        long client = hello.featureFlags();
        long ops = PULL_CHUNKS | PULL_INDEX | PULL_ARCHIVE | PUSH_CHUNKS | PUSH_INDEX | PUSH_ARCHIVE;
        boolean pushIndexChunksOk = !has(client, PUSH_INDEX_CHUNKS) || has(client, PUSH_INDEX | PUSH_CHUNKS);
        if (!compatible(client, services) || !compatible(services, client) || ((client | services) & ops) == 0
                || !pushIndexChunksOk) {
            String why = String.format("the client wants 0x%x but this server offers 0x%x", client, services);
            abort(w, EBADE, why);
            throw new ProtocolException(why);
        }
        return client;
    }

    /** Sends ABORT, ignoring a client that is already gone. */
    static void abort(FrameWriter w, int errno, String reason) {
        try {
            w.abort(errno, reason == null ? "error" : reason);
            w.flush();
        } catch (IOException ignored) {
            // The client left.
        }
    }
}
