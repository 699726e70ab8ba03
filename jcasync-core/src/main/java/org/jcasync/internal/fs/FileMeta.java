package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * File metadata java.nio does not give: extended attributes ({@code llistxattr}, {@code lgetxattr}), chattr flags
 * ({@code FS_IOC_GETFLAGS}), project quota ids ({@code FS_IOC_FSGETXATTR}), the file system type
 * ({@code fstatfs}) and user/group names ({@code getpwuid}, {@code getgrgid}, i.e. through NSS). Linux x86_64 and
 * aarch64 only.
 */
@SuppressWarnings("restricted")
public final class FileMeta {
    /** open(2) flags. */
    public static final int O_RDONLY = 0;
    private static final int O_NOCTTY = 0400;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int O_DIRECTORY_X86 = 0200000;
    private static final int O_NOFOLLOW_X86 = 0400000;
    private static final int O_DIRECTORY_ARM = 040000;
    private static final int O_NOFOLLOW_ARM = 0100000;
    private static final boolean ARM = System.getProperty("os.arch", "").equals("aarch64");

    private static final long FS_IOC_GETFLAGS = 0x80086601L;
    private static final long FS_IOC_FSGETXATTR = 0x801c581fL;

    private static final int EINTR = 4;
    private static final int EBADF = 9;
    private static final int EINVAL = 22;
    private static final int ENOTTY = 25;
    private static final int ERANGE = 34;
    private static final int ENOSYS = 38;
    private static final int ENODATA = 61;
    private static final int EOPNOTSUPP = 95;

    // One downcall shape for every function (Downcalls explains why).
    private static final MethodHandle OPEN = Downcalls.function("open");
    private static final MethodHandle CLOSE = Downcalls.function("close");
    private static final MethodHandle IOCTL = Downcalls.function("ioctl");
    private static final MethodHandle FSTATFS = Downcalls.function("fstatfs");
    private static final MethodHandle LLISTXATTR = Downcalls.function("llistxattr");
    private static final MethodHandle LGETXATTR = Downcalls.function("lgetxattr");
    private static final MethodHandle GETPWUID = Downcalls.function("getpwuid");
    private static final MethodHandle GETGRGID = Downcalls.function("getgrgid");
    private static final MethodHandle STATX = Downcalls.function("statx");

    private FileMeta() {
    }

    /** The charset Java uses for file names (sun.jnu.encoding). */
    public static Charset pathCharset() {
        return NativePath.CHARSET;
    }

    /**
     * Opens {@code path} read-only without following a final symlink ({@code O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NOFOLLOW},
     * plus {@code O_DIRECTORY} for directories), as casync opens the regular files and directories it archives.
     */
    public static int open(Path path, boolean directory) throws IOException {
        int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | (ARM ? O_NOFOLLOW_ARM : O_NOFOLLOW_X86);
        if (directory) {
            flags |= ARM ? O_DIRECTORY_ARM : O_DIRECTORY_X86;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment cpath = cpath(arena, path);
            while (true) {
                int r = (int) Downcalls.invoke(OPEN, capture, cpath.address(), flags, 0);
                if (r >= 0) {
                    return r;
                }
                int err = Downcalls.errno(capture);
                if (err != EINTR) {
                    throw NativePath.errnoException(path, err, "open");
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes a descriptor from {@link #open}. */
    public static void close(int fd) {
        try {
            int r = (int) Downcalls.invokeQuietly(CLOSE, fd, 0, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static boolean unsupported(int err) {
        return err == ENOTTY || err == ENOSYS || err == EBADF || err == EOPNOTSUPP || err == EINVAL;
    }

    /** chattr flags ({@code FS_IOC_GETFLAGS}); 0 where the file system does not support them (as casync). */
    public static int chattrFlags(int fd, Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment buf = arena.allocate(8);
            int r = (int) Downcalls.invoke(IOCTL, capture, fd, FS_IOC_GETFLAGS, buf.address());
            if (r < 0) {
                int err = Downcalls.errno(capture);
                if (unsupported(err)) {
                    return 0;
                }
                throw NativePath.errnoException(path, err, "FS_IOC_GETFLAGS");
            }
            return buf.get(JAVA_INT, 0);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The project quota id ({@code FS_IOC_FSGETXATTR}); 0 where not supported (as casync). */
    public static int projectId(int fd, Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment buf = arena.allocate(28);
            int r = (int) Downcalls.invoke(IOCTL, capture, fd, FS_IOC_FSGETXATTR, buf.address());
            if (r < 0) {
                int err = Downcalls.errno(capture);
                if (unsupported(err)) {
                    return 0;
                }
                throw NativePath.errnoException(path, err, "FS_IOC_FSGETXATTR");
            }
            return buf.get(JAVA_INT, 12);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The file system magic ({@code statfs.f_type}) of an open file. */
    public static long fsMagic(int fd, Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment buf = arena.allocate(256, 8);
            int r = (int) Downcalls.invoke(FSTATFS, capture, fd, buf.address());
            if (r < 0) {
                throw NativePath.errnoException(path, Downcalls.errno(capture), "fstatfs");
            }
            return buf.get(JAVA_LONG, 0);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The names of the extended attributes of {@code path} (not following a final symlink); empty if unsupported. */
    public static List<byte[]> listXattrs(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment cpath = cpath(arena, path);
            long space = 256;
            while (true) {
                MemorySegment buf = arena.allocate(space);
                long r = Downcalls.invoke(LLISTXATTR, capture, cpath.address(), buf.address(), space);
                if (r >= 0) {
                    List<byte[]> names = new ArrayList<>();
                    int start = 0;
                    for (int i = 0; i < r; i++) {
                        if (buf.get(JAVA_BYTE, i) == 0) {
                            if (i > start) {
                                names.add(buf.asSlice(start, i - start).toArray(JAVA_BYTE));
                            }
                            start = i + 1;
                        }
                    }
                    return names;
                }
                int err = Downcalls.errno(capture);
                if (err == EOPNOTSUPP || err == EBADF) {
                    return List.of();
                }
                if (err != ERANGE) {
                    throw NativePath.errnoException(path, err, "llistxattr");
                }
                space *= 2;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The value of one extended attribute, or null if it does not exist (any more). */
    public static byte[] getXattr(Path path, byte[] name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment cpath = cpath(arena, path);
            MemorySegment cname = arena.allocate(name.length + 1L);
            MemorySegment.copy(name, 0, cname, JAVA_BYTE, 0, name.length);
            long space = 256;
            while (true) {
                MemorySegment buf = arena.allocate(space);
                long r = Downcalls.invoke(LGETXATTR, capture, cpath.address(), cname.address(), buf.address(), space);
                if (r >= 0) {
                    return buf.asSlice(0, r).toArray(JAVA_BYTE);
                }
                int err = Downcalls.errno(capture);
                if (err == ENODATA) {
                    return null;
                }
                if (err != ERANGE) {
                    throw NativePath.errnoException(path, err, "lgetxattr");
                }
                space *= 2;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The modification time of {@code path} (not following a final symlink) as {@code {seconds, nanoseconds}},
     * exactly as the kernel reports it (java.nio keeps only microseconds beyond the year 2262).
     */
    public static long[] mtime(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment buf = arena.allocate(256, 8);
            int r = (int) Downcalls.invoke(STATX, capture, -100 /* AT_FDCWD */, cpath(arena, path).address(),
                    0x100 /* AT_SYMLINK_NOFOLLOW */, 0x40 /* STATX_MTIME */, buf.address());
            if (r < 0) {
                throw NativePath.errnoException(path, Downcalls.errno(capture), "statx");
            }
            return new long[] {buf.get(JAVA_LONG, 112), buf.get(JAVA_INT, 120) & 0xffffffffL};
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The user name of {@code uid} through NSS, or null when there is none. Not thread-safe (getpwuid). */
    public static synchronized byte[] userName(int uid) {
        return nssName(GETPWUID, uid);
    }

    /** The group name of {@code gid} through NSS, or null when there is none. Not thread-safe (getgrgid). */
    public static synchronized byte[] groupName(int gid) {
        return nssName(GETGRGID, gid);
    }

    private static byte[] nssName(MethodHandle h, int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Downcalls.CAPTURE_LAYOUT);
            MemorySegment p = MemorySegment.ofAddress(Downcalls.invoke(h, capture, id));
            if (p.equals(MemorySegment.NULL)) {
                return null;
            }
            // struct passwd and struct group both start with "char *name".
            MemorySegment name = p.reinterpret(ADDRESS.byteSize()).get(ADDRESS, 0).reinterpret(4096);
            int len = 0;
            while (name.get(JAVA_BYTE, len) != 0) {
                len++;
            }
            return name.asSlice(0, len).toArray(JAVA_BYTE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MemorySegment cpath(Arena arena, Path path) {
        byte[] b = path.toString().getBytes(NativePath.CHARSET);
        MemorySegment s = arena.allocate(b.length + 1L);
        MemorySegment.copy(b, 0, s, JAVA_BYTE, 0, b.length);
        return s;
    }
}
