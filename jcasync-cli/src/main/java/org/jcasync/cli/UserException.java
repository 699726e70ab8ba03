package org.jcasync.cli;

/** A refusal with a message meant for the user as it is (wrong arguments, unsupported combinations). */
final class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserException(String message) {
        super(message);
    }
}
