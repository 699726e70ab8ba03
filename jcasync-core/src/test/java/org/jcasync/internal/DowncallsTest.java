package org.jcasync.internal;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static org.assertj.core.api.Assertions.assertThat;

class DowncallsTest {
    @Test
    void intResultsAreSignExtendedAndErrnoIsCaptured() throws Throwable {
        MethodHandle close = Downcalls.function("close");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment capture = a.allocate(Downcalls.CAPTURE_LAYOUT);
            long r = Downcalls.int32(Downcalls.invoke(close, capture, -1));
            assertThat(r).isEqualTo(-1);
            assertThat(Downcalls.errno(capture)).isEqualTo(9); // EBADF
        }
    }

    @Test
    void pointersAndSizesPassAsWords() throws Throwable {
        MethodHandle strlen = Downcalls.function("strlen");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocateFrom("jcasync");
            assertThat(Downcalls.invokeQuietly(strlen, Downcalls.addr(s), 0, 0)).isEqualTo(7);
        }
        // A long argument keeps its upper half: labs(-2^40) = 2^40.
        assertThat(Downcalls.invokeQuietly(Downcalls.function("labs"), -(1L << 40), 0, 0)).isEqualTo(1L << 40);
    }

    @Test
    void javaArraysArePassedInPlace() throws Throwable {
        // write(2) and read(2) of slices of Java arrays through a pipe: (word, buffer, word, word).
        byte[] b = "abcxdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        MethodHandle pipe = Downcalls.function("pipe");
        MethodHandle write = Downcalls.arrayFunction("write");
        MethodHandle read = Downcalls.arrayFunction("read");
        MethodHandle close = Downcalls.function("close");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(8);
            assertThat(Downcalls.int32(Downcalls.invokeQuietly(pipe, Downcalls.addr(fds), 0, 0))).isZero();
            int rd = fds.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
            int wr = fds.get(java.lang.foreign.ValueLayout.JAVA_INT, 4);
            assertThat(Downcalls.invokeArray(write, null, wr, MemorySegment.ofArray(b).asSlice(2), 4, 0))
                    .isEqualTo(4);
            byte[] got = new byte[10];
            assertThat(Downcalls.invokeArray(read, null, rd, MemorySegment.ofArray(got).asSlice(1), 9, 0))
                    .isEqualTo(4);
            assertThat(new String(got, 1, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("cxde");
            Downcalls.invokeQuietly(close, rd, 0, 0);
            Downcalls.invokeQuietly(close, wr, 0, 0);
        }
    }

    @Test
    void strerrorNamesTheError() {
        assertThat(Downcalls.strerror(2)).containsIgnoringCase("no such file");
    }
}
