package org.jcasync.internal.fs;

import org.jcasync.internal.Downcalls;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * How a {@link Path} meets libc in this package: the charset its name is encoded in for a system call, and the
 * java.nio exception for an errno a call on it returned.
 */
final class NativePath {
    private static final int EPERM = 1;
    private static final int ENOENT = 2;
    private static final int EACCES = 13;

    /** The charset Java uses for file names (sun.jnu.encoding), UTF-8 where it is not set or not known. */
    static final Charset CHARSET;

    static {
        Charset cs;
        try {
            String name = System.getProperty("sun.jnu.encoding");
            cs = name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
        } catch (RuntimeException e) {
            cs = StandardCharsets.UTF_8;
        }
        CHARSET = cs;
    }

    private NativePath() {
    }

    /**
     * The exception for {@code errno} from {@code op} on {@code path}: {@link NoSuchFileException} for ENOENT,
     * {@link AccessDeniedException} for EACCES and EPERM, else {@link FileSystemException}; the reason is
     * "{@code op}: strerror", or strerror alone where {@code op} is null.
     */
    static IOException errnoException(Path path, int errno, String op) {
        String reason = op == null ? Downcalls.strerror(errno) : op + ": " + Downcalls.strerror(errno);
        String file = path.toString();
        return switch (errno) {
            case ENOENT -> new NoSuchFileException(file, null, reason);
            case EACCES, EPERM -> new AccessDeniedException(file, null, reason);
            default -> new FileSystemException(file, null, reason);
        };
    }
}
