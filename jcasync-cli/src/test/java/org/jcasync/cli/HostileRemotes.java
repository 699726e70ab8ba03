package org.jcasync.cli;

import org.jcasync.ssh.CasyncProtocol;
import org.jcasync.ssh.Frame;
import org.jcasync.ssh.FrameReader;
import org.jcasync.ssh.FrameWriter;
import org.jcasync.store.HostileHttpServer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hostile servers of index files for every remote scheme, all serving the same endless (or trickling) content: over
 * HTTP ({@link HostileHttpServer}, also as an S3 endpoint), casync's remote protocol and SFTP (small servers on a TCP
 * port, reached through a {@code $CASYNC_SSH_PATH} script that connects its standard input and output to the port).
 * Each counts the file bytes it managed to send.
 */
final class HostileRemotes {
    private HostileRemotes() {
    }

    /** A file's bytes at any offset (it may never end). */
    interface Content {
        /** {@code len} bytes at {@code offset}. */
        byte[] at(long offset, int len);
    }

    /** {@code header} (a real index's first 64 bytes), then random bytes for ever. */
    static Content garbageAfter(byte[] header) {
        return (offset, len) -> {
            byte[] b = new byte[len];
            new SplittableRandom(offset).nextBytes(b);
            for (int i = 0; i < len && offset + i < header.length; i++) {
                b[i] = header[(int) (offset + i)];
            }
            return b;
        };
    }

    /** {@code header}, then valid chunk table items (64 KiB chunks, strictly increasing ends) for ever. */
    static Content endlessItems(byte[] header) {
        return (offset, len) -> {
            byte[] b = new byte[len];
            for (int i = 0; i < len; i++) {
                long o = offset + i;
                if (o < header.length) {
                    b[i] = header[(int) o];
                    continue;
                }
                long item = (o - header.length) / 40;
                int within = (int) ((o - header.length) % 40);
                if (within < 8) {
                    b[i] = (byte) (((item + 1) << 16) >>> (8 * within));
                } else {
                    b[i] = (byte) (item * 31 + within);
                }
            }
            return b;
        };
    }

    /** Sends {@code content} in pieces of 64 KiB up to {@code cap} bytes. */
    static HostileHttpServer.Body body(Content content, long cap) {
        return out -> {
            for (long o = 0; o < cap; o += 1 << 16) {
                out.write(content.at(o, 1 << 16));
            }
        };
    }

    /** Sends the first {@code length} bytes of {@code content} one byte every {@code delayMillis}. */
    static HostileHttpServer.Body trickle(Content content, int length, long delayMillis) {
        return HostileHttpServer.trickle(content.at(0, length), delayMillis);
    }

    /**
     * A TCP server on 127.0.0.1 handling each connection on its own thread, and the script that reaches it; it sends
     * the content in pieces of {@code piece} bytes, {@code delayMillis} apart, up to {@code cap} bytes.
     */
    abstract static class TcpServer implements AutoCloseable {
        final ServerSocket socket;
        final AtomicLong sent = new AtomicLong();
        final Content content;
        final long cap;
        final int piece;
        final long delayMillis;

        TcpServer(Content content, long cap, int piece, long delayMillis) throws IOException {
            this.content = content;
            this.cap = cap;
            this.piece = piece;
            this.delayMillis = delayMillis;
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        s.setSendBufferSize(64 << 10);
                        Thread.ofPlatform().daemon().start(() -> {
                            try (s) {
                                serve(s.getInputStream(), s.getOutputStream());
                            } catch (IOException | InterruptedException e) {
                                // The client went away.
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        abstract void serve(InputStream in, OutputStream out) throws IOException, InterruptedException;

        /** File bytes sent so far. */
        long sent() {
            return sent.get();
        }

        /** A {@code $CASYNC_SSH_PATH} program (in {@code dir}) whose standard input and output are this server. */
        Path sshProgram(Path dir) throws IOException {
            Path p = dir.resolve("ssh-to-" + socket.getLocalPort());
            Files.writeString(p, "#!/bin/bash\nexec 3<>/dev/tcp/127.0.0.1/" + socket.getLocalPort() + "\n"
                    + "cat <&3 &\ncat >&3\n");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            return p;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** casync's {@code pull} side for an index: HELLO, then INDEX frames of the content (up to a cap), INDEX_EOF. */
    static final class CasyncPull extends TcpServer {
        CasyncPull(Content content, long cap, int piece, long delayMillis) throws IOException {
            super(content, cap, piece, delayMillis);
        }

        @Override
        void serve(InputStream in, OutputStream out) throws IOException, InterruptedException {
            FrameReader r = new FrameReader(in, "client");
            FrameWriter w = new FrameWriter(out);
            Frame hello = r.read();
            if (hello == null || hello.type() != CasyncProtocol.HELLO) {
                return;
            }
            w.hello(CasyncProtocol.READABLE_INDEX);
            w.flush();
            for (long o = 0; o < cap; o += piece) {
                byte[] b = content.at(o, piece);
                w.file(CasyncProtocol.INDEX, b, 0, b.length);
                w.flush();
                sent.addAndGet(b.length);
                if (delayMillis > 0) {
                    Thread.sleep(delayMillis);
                }
            }
            w.empty(CasyncProtocol.INDEX_EOF);
            w.flush();
        }
    }

    /**
     * An SFTP server with one file of that content: whatever is opened is it, its size is not told, every READ gets
     * up to {@code piece} bytes of it (after {@code delayMillis}) until {@code cap}, then EOF.
     */
    static final class Sftp extends TcpServer {
        Sftp(Content content, long cap, int piece, long delayMillis) throws IOException {
            super(content, cap, piece, delayMillis);
        }

        @Override
        void serve(InputStream raw, OutputStream rawOut) throws IOException, InterruptedException {
            DataInputStream in = new DataInputStream(raw);
            DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(rawOut));
            while (true) {
                int len = in.readInt();
                int type = in.readUnsignedByte();
                byte[] body = new byte[len - 1];
                in.readFully(body);
                ByteBuffer b = ByteBuffer.wrap(body);
                if (type == 1) {
                    reply(out, 2, null, ByteBuffer.allocate(4).putInt(3).array());
                    continue;
                }
                int id = b.getInt();
                switch (type) {
                    case 3 -> reply(out, 102, id, string("h"));
                    case 8 -> reply(out, 105, id, new byte[4]);
                    case 5 -> {
                        skipString(b);
                        long offset = b.getLong();
                        int want = b.getInt();
                        if (offset >= cap) {
                            reply(out, 101, id, status(1));
                        } else {
                            if (delayMillis > 0) {
                                Thread.sleep(delayMillis);
                            }
                            byte[] d = content.at(offset, Math.min(want, piece));
                            reply(out, 103, id, string(d));
                            sent.addAndGet(d.length);
                        }
                    }
                    case 4 -> reply(out, 101, id, status(0));
                    default -> reply(out, 101, id, status(8));
                }
            }
        }

        private static void reply(DataOutputStream out, int type, Integer id, byte[] payload) throws IOException {
            out.writeInt(1 + (id == null ? 0 : 4) + payload.length);
            out.writeByte(type);
            if (id != null) {
                out.writeInt(id);
            }
            out.write(payload);
            out.flush();
        }

        private static byte[] string(String s) {
            return string(s.getBytes(StandardCharsets.UTF_8));
        }

        private static byte[] string(byte[] d) {
            return ByteBuffer.allocate(4 + d.length).putInt(d.length).put(d).array();
        }

        private static void skipString(ByteBuffer b) {
            int n = b.getInt();
            b.position(b.position() + n);
        }

        private static byte[] status(int code) {
            return ByteBuffer.allocate(12).order(ByteOrder.BIG_ENDIAN).putInt(code).putInt(0).putInt(0).array();
        }
    }
}
