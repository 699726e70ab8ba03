package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.jcasync.internal.Downcalls.addr;

/**
 * User and group names through NSS ({@code getpwnam}, {@code getgrnam}, {@code getpwuid}, {@code getgrgid}), as
 * casync looks them up. These functions return a static buffer, so every call here holds this class's lock.
 */
public final class UserDb {
    /** Where {@code pw_uid} lies in struct passwd, and {@code gr_gid} in struct group (after two pointers). */
    private static final long ID_OFFSET = 16;

    private static final MethodHandle GETPWNAM = Downcalls.function("getpwnam");
    private static final MethodHandle GETGRNAM = Downcalls.function("getgrnam");
    private static final MethodHandle GETPWUID = Downcalls.function("getpwuid");
    private static final MethodHandle GETGRGID = Downcalls.function("getgrgid");

    private UserDb() {
    }

    /** The uid of a user name, or -1 when there is none. */
    public static synchronized long uidOf(byte[] name) {
        return id(GETPWNAM, name);
    }

    /** The gid of a group name, or -1 when there is none. */
    public static synchronized long gidOf(byte[] name) {
        return id(GETGRNAM, name);
    }

    /** The user name of {@code uid}, or null when there is none. */
    public static synchronized byte[] userName(int uid) {
        return name(GETPWUID, uid);
    }

    /** The group name of {@code gid}, or null when there is none. */
    public static synchronized byte[] groupName(int gid) {
        return name(GETGRGID, gid);
    }

    private static long id(MethodHandle h, byte[] name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = MemorySegment.ofAddress(Downcalls.invokeQuietly(h, addr(Libc.cstr(arena, name)), 0, 0));
            if (p.equals(MemorySegment.NULL)) {
                return -1;
            }
            // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; ... }, struct group likewise.
            return p.reinterpret(ID_OFFSET + 8).get(JAVA_INT, ID_OFFSET) & 0xffffffffL;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static byte[] name(MethodHandle h, int id) {
        try {
            MemorySegment p = MemorySegment.ofAddress(Downcalls.invokeQuietly(h, id, 0, 0));
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
}
