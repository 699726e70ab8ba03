package org.jcasync.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** Words for I/O failures in one-line messages. */
public final class Failures {
    private Failures() {
    }

    /**
     * Why {@code e} happened, without the file name it may carry ("No space left on device", "permission denied"),
     * for messages that name the file themselves.
     */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
