package org.jcasync.s3;

import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

import java.io.IOException;
import java.util.Set;

/** What an SDK failure means for a request (missing, worth another try, final) and a one-line account of it. */
final class S3Errors {
    /** What to do about a failed request. */
    enum Kind {
        /** The object is not there (404): not retried. */
        MISSING,
        /** A transport error, a timeout, 5xx, 429 or 408: tried again. */
        RETRY,
        /** Anything else (access denied, bad credentials, no such bucket): reported at once. */
        FATAL
    }

    private static final Set<String> RETRY_CODES = Set.of("SlowDown", "RequestTimeout", "InternalError",
            "ServiceUnavailable", "RequestTimeTooSkewed", "Throttling", "ThrottlingException");

    private S3Errors() {
    }

    /** How to treat {@code e}. */
    static Kind classify(RuntimeException e) {
        if (e instanceof AwsServiceException s) {
            int status = s.statusCode();
            String code = code(s);
            if (status == 404 && !"NoSuchBucket".equals(code)) {
                return Kind.MISSING;
            }
            if (status >= 500 || status == 429 || status == 408 || RETRY_CODES.contains(code)) {
                return Kind.RETRY;
            }
            return Kind.FATAL;
        }
        if (e instanceof SdkClientException && rootIo(e) != null) {
            return Kind.RETRY;
        }
        return Kind.FATAL;
    }

    /** One line: the server's error code and message, or the transport error, without request ids or traces. */
    static String describe(RuntimeException e) {
        if (e instanceof AwsServiceException s) {
            String code = code(s);
            AwsErrorDetails d = s.awsErrorDetails();
            String message = d == null ? null : d.errorMessage();
            StringBuilder b = new StringBuilder();
            b.append(code != null ? code : statusText(s.statusCode()));
            if (message != null && !message.isBlank()) {
                b.append(": ").append(message.strip());
            }
            b.append(" (HTTP ").append(s.statusCode()).append(')');
            if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)
                    || code == null && s.statusCode() == 403) {
                b.append("; check S3_ACCESS_KEY and S3_SECRET_KEY");
            }
            return oneLine(b.toString());
        }
        String m = String.valueOf(e.getMessage());
        if (m.startsWith("Unable to load credentials")) {
            return "no S3 credentials found: set S3_ACCESS_KEY and S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and"
                    + " AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)";
        }
        String io = describeIo(e);
        if (io != null) {
            return oneLine(io);
        }
        return oneLine(m);
    }

    private static String code(AwsServiceException s) {
        AwsErrorDetails d = s.awsErrorDetails();
        String c = d == null ? null : d.errorCode();
        return c == null || c.isBlank() ? null : c;
    }

    private static String statusText(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            default -> "HTTP error";
        };
    }

    /**
     * The first I/O failure behind {@code e} that says something ("connection refused" for the JDK's ConnectException
     * without a message), or null when there is none.
     */
    private static String describeIo(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof java.net.ConnectException && (t.getMessage() == null || t.getMessage().isBlank())) {
                return "connection refused";
            }
            if (t instanceof IOException && t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        IOException io = rootIo(e);
        return io == null ? null : io.getClass().getSimpleName();
    }

    /** The innermost IOException behind {@code e}, or null. */
    private static IOException rootIo(Throwable e) {
        IOException found = null;
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof IOException io) {
                found = io;
            }
        }
        return found;
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }
}
