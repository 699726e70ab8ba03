package org.jcasync.ssh;

import java.io.IOException;

/** An SFTP request failed with a status from the server. */
public class SftpException extends IOException {
    private static final long serialVersionUID = 1L;
    /** SSH_FX_NO_SUCH_FILE. */
    public static final int NO_SUCH_FILE = 2;
    /** SSH_FX_PERMISSION_DENIED. */
    public static final int PERMISSION_DENIED = 3;
    /** SSH_FX_FAILURE. */
    public static final int FAILURE = 4;

    private final int status;

    /** Status {@code status} with the server's {@code message} for {@code what}. */
    public SftpException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The SSH_FX_* status code. */
    public int status() {
        return status;
    }
}
