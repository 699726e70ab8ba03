package org.jcasync.io;

import java.io.IOException;
import java.io.InputStream;

/** Small pieces that input streams share. */
public final class Streams {
    private Streams() {
    }

    /**
     * {@link InputStream#read()} by way of {@code in}'s {@code read(byte[], int, int)}, for streams that do their
     * work (digesting, timing, buffering) only there.
     */
    public static int readByte(InputStream in) throws IOException {
        byte[] one = new byte[1];
        return in.read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }
}
