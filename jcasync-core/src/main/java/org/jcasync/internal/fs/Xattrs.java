package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.jcasync.internal.Downcalls.addr;
import static org.jcasync.internal.Downcalls.int32;
import static org.jcasync.internal.Downcalls.invoke;
import static org.jcasync.internal.fs.Libc.call;
import static org.jcasync.internal.fs.Libc.cpath;
import static org.jcasync.internal.fs.Libc.cstr;
import static org.jcasync.internal.fs.Libc.tryCall;
import static org.jcasync.internal.fs.Posix.EBADF;
import static org.jcasync.internal.fs.Posix.ENODATA;
import static org.jcasync.internal.fs.Posix.EOPNOTSUPP;
import static org.jcasync.internal.fs.Posix.ERANGE;

/**
 * Extended attributes: of an open descriptor ({@code f*xattr}), of a path without following a final symlink
 * ({@code l*xattr}: a {@link #procPath} for entries that have no descriptor, or a {@link Path} the encoder walks).
 * Values and names are raw bytes; "not set" and "not supported" read as absent.
 */
public final class Xattrs {
    private static final MethodHandle FSETXATTR = Downcalls.function("fsetxattr");
    private static final MethodHandle FGETXATTR = Downcalls.function("fgetxattr");
    private static final MethodHandle FLISTXATTR = Downcalls.function("flistxattr");
    private static final MethodHandle FREMOVEXATTR = Downcalls.function("fremovexattr");
    private static final MethodHandle LSETXATTR = Downcalls.function("lsetxattr");
    private static final MethodHandle LGETXATTR = Downcalls.function("lgetxattr");
    private static final MethodHandle LLISTXATTR = Downcalls.function("llistxattr");
    private static final MethodHandle LREMOVEXATTR = Downcalls.function("lremovexattr");

    /** Value buffers start at this size and grow fourfold while the kernel says ERANGE, up to past VALUE_MAX. */
    private static final long VALUE_FIRST = 256;
    private static final long VALUE_MAX = 1 << 20;
    private static final long LIST_FIRST = 1024;
    private static final long LIST_MAX = 1 << 24;

    private Xattrs() {
    }

    /** One of the getxattr/listxattr calls: fills {@code v} of {@code space} bytes. */
    @FunctionalInterface
    private interface SizedRead {
        long read(SegmentAllocator a, MemorySegment capture, MemorySegment v, long space) throws Throwable;
    }

    /** fgetxattr(2): the value, or null when it is not set or xattrs are unsupported. */
    public static byte[] get(int fd, byte[] name, String where) throws Posix.Errno {
        return valueOrAbsent(where, (a, c, v, space) -> invoke(FGETXATTR, c, fd, addr(cstr(a, name)), addr(v), space));
    }

    /** lgetxattr(2) of a raw path: the value, or null when it is not set or xattrs are unsupported. */
    public static byte[] lget(byte[] path, byte[] name, String where) throws Posix.Errno {
        return valueOrAbsent(where, (a, c, v, space) -> invoke(LGETXATTR, c, addr(cstr(a, path)), addr(cstr(a, name)),
                addr(v), space));
    }

    /**
     * lgetxattr(2) of {@code path}: the value, or null when it is not set; failures (unsupported included) are
     * java.nio's exceptions for the errno.
     */
    public static byte[] get(Path path, byte[] name) throws IOException {
        byte[][] out = new byte[1][];
        long r = readGrowing(VALUE_FIRST, VALUE_MAX, out, (a, c, v, space) -> invoke(LGETXATTR, c,
                addr(cpath(a, path)), addr(cstr(a, name)), addr(v), space));
        if (r == -ENODATA) {
            return null;
        }
        if (r < 0) {
            throw NativePath.errnoException(path, (int) -r, "lgetxattr");
        }
        return out[0];
    }

    /** flistxattr(2): the names; empty when unsupported. */
    public static List<byte[]> list(int fd, String where) throws Posix.Errno {
        byte[][] out = new byte[1][];
        long r = readGrowing(LIST_FIRST, LIST_MAX, out, (a, c, v, space) -> invoke(FLISTXATTR, c, fd, addr(v), space));
        if (r == -EOPNOTSUPP || r == -EBADF) {
            return List.of();
        }
        if (r < 0) {
            throw Posix.error(where, "listxattr", (int) -r);
        }
        return names(out[0]);
    }

    /** llistxattr(2) of {@code path}: the names; empty when unsupported; failures as java.nio's exceptions. */
    public static List<byte[]> list(Path path) throws IOException {
        byte[][] out = new byte[1][];
        long r = readGrowing(LIST_FIRST, LIST_MAX, out, (a, c, v, space) -> invoke(LLISTXATTR, c,
                addr(cpath(a, path)), addr(v), space));
        if (r == -EOPNOTSUPP || r == -EBADF) {
            return List.of();
        }
        if (r < 0) {
            throw NativePath.errnoException(path, (int) -r, "llistxattr");
        }
        return names(out[0]);
    }

    /** fsetxattr(2). */
    public static void set(int fd, byte[] name, byte[] value, String where) throws Posix.Errno {
        call(where, "setxattr " + new String(name, NativePath.CHARSET), (a, c) -> int32(invoke(FSETXATTR, c, fd,
                addr(cstr(a, name)), addr(valueSegment(a, value)), value.length, 0)));
    }

    /** lsetxattr(2) of a raw path. */
    public static void lset(byte[] path, byte[] name, byte[] value, String where) throws Posix.Errno {
        call(where, "setxattr " + new String(name, NativePath.CHARSET), (a, c) -> int32(invoke(LSETXATTR, c,
                addr(cstr(a, path)), addr(cstr(a, name)), addr(valueSegment(a, value)), value.length, 0)));
    }

    /** fremovexattr(2); a missing attribute is fine. */
    public static void remove(int fd, byte[] name, String where) throws Posix.Errno {
        removed(where, tryCall((a, c) -> int32(invoke(FREMOVEXATTR, c, fd, addr(cstr(a, name))))));
    }

    /** lremovexattr(2) of a raw path; a missing attribute is fine. */
    public static void lremove(byte[] path, byte[] name, String where) throws Posix.Errno {
        removed(where, tryCall((a, c) -> int32(invoke(LREMOVEXATTR, c, addr(cstr(a, path)), addr(cstr(a, name))))));
    }

    /**
     * {@code /proc/self/fd/DIRFD/NAME}: the entry {@code name} of an open directory itself (a final symlink not
     * followed by the l*xattr calls), for entries that have no descriptor of their own (symlinks, devices, fifos,
     * sockets), as casync addresses them.
     */
    public static byte[] procPath(int dirFd, byte[] name) {
        byte[] prefix = ("/proc/self/fd/" + dirFd + "/").getBytes(StandardCharsets.US_ASCII);
        byte[] p = Arrays.copyOf(prefix, prefix.length + name.length);
        System.arraycopy(name, 0, p, prefix.length, name.length);
        return p;
    }

    private static MemorySegment valueSegment(SegmentAllocator a, byte[] value) {
        MemorySegment v = a.allocate(Math.max(1, value.length));
        MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
        return v;
    }

    private static void removed(String where, long r) throws Posix.Errno {
        if (r < 0 && r != -ENODATA) {
            throw Posix.error(where, "removexattr", (int) -r);
        }
    }

    /** A getxattr call's value, or null when it is not set or unsupported. */
    private static byte[] valueOrAbsent(String where, SizedRead read) throws Posix.Errno {
        byte[][] out = new byte[1][];
        long r = readGrowing(VALUE_FIRST, VALUE_MAX, out, read);
        if (r == -ENODATA || r == -EOPNOTSUPP) {
            return null;
        }
        if (r < 0) {
            throw Posix.error(where, "getxattr", (int) -r);
        }
        return out[0];
    }

    /**
     * Runs {@code read} with a buffer of {@code first} bytes, four times larger while it says ERANGE (up to past
     * {@code max}); returns its result ({@code -errno} on failure) and puts the bytes it read in {@code out[0]}.
     */
    private static long readGrowing(long first, long max, byte[][] out, SizedRead read) {
        long size = first;
        while (true) {
            final long space = size;
            long r = tryCall((a, c) -> {
                MemorySegment v = a.allocate(space);
                long n = read.read(a, c, v, space);
                if (n >= 0) {
                    out[0] = v.asSlice(0, n).toArray(JAVA_BYTE);
                }
                return n;
            });
            if (r != -ERANGE || size > max) {
                return r;
            }
            size *= 4;
        }
    }

    /** The NUL-separated names of a listxattr result. */
    private static List<byte[]> names(byte[] list) {
        List<byte[]> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < list.length; i++) {
            if (list[i] == 0) {
                if (i > start) {
                    names.add(Arrays.copyOfRange(list, start, i));
                }
                start = i + 1;
            }
        }
        return names;
    }
}
