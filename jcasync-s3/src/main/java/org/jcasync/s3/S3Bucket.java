package org.jcasync.s3;

import org.jcasync.store.StoreException;
import org.jcasync.store.TransportOptions;
import org.jcasync.io.StreamParser;
import org.jcasync.io.TrackedInputStream;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The objects of one bucket under a location, through the SDK: each request bounded by
 * {@link TransportOptions#maxInFlight()} requests in flight, retried per {@link TransportOptions#retries()} with a
 * doubling delay (transport errors, 5xx, 429, never a 404), counted, and failing with a one-line
 * {@link StoreException}.
 */
final class S3Bucket implements Closeable {
    /** Most keys one DeleteObjects request may name. */
    static final int DELETE_BATCH = 1000;

    private final S3Location location;
    private final TransportOptions transport;
    private final S3Client client;
    private final Semaphore inFlight;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong bytesDownloaded = new AtomicLong();

    S3Bucket(S3Location location, TransportOptions transport, Map<String, String> env) {
        this.location = location;
        this.transport = transport;
        this.client = S3Clients.create(location, transport, env);
        this.inFlight = new Semaphore(transport.maxInFlight());
    }

    /** The location, for messages. */
    S3Location location() {
        return location;
    }

    /**
     * The object's bytes, or null when there is no such object; an object (or reply) of more than {@code max} bytes
     * is refused, read no further than that.
     */
    byte[] get(String key, long max) throws IOException {
        return read(key, in -> {
            byte[] b = in.readNBytes((int) Math.min(max, Integer.MAX_VALUE - 64));
            if (in.read() >= 0) {
                throw new IOException("cannot download " + key + " from " + location + ": more than " + max
                        + " bytes");
            }
            return b;
        });
    }

    /**
     * Reads the object with {@code parser} while it arrives (nothing more is held than what the parser keeps);
     * null when there is no such object. Failures are retried as for every request, also when the reply breaks off
     * or trickles while being parsed (the parser then starts again); a failure of the parser itself is not.
     */
    <T> T read(String key, StreamParser<T> parser) throws IOException {
        return call("download", key, () -> {
            TrackedInputStream in = null;
            try (ResponseInputStream<GetObjectResponse> raw = client.getObject(
                    b -> b.bucket(location.bucket()).key(key))) {
                in = new TrackedInputStream(raw);
                T t = parser.parse(in);
                bytesDownloaded.addAndGet(in.bytes());
                return t;
            } catch (IOException e) {
                if (in != null && in.failed()) {
                    throw SdkClientException.create(e.getMessage(), e);
                }
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Bytes {@code [start, end)} of the object, or null when there is no such object. */
    byte[] getRange(String key, long start, long end) throws IOException {
        String range = "bytes=" + start + "-" + (end - 1);
        ResponseBytes<GetObjectResponse> r = call("download", key,
                () -> client.getObjectAsBytes(b -> b.bucket(location.bucket()).key(key).range(range)));
        if (r == null) {
            return null;
        }
        byte[] b = r.asByteArrayUnsafe();
        bytesDownloaded.addAndGet(b.length);
        if (b.length != end - start) {
            errors.incrementAndGet();
            throw new StoreException(null, "cannot download " + key + " from " + location + ": asked for bytes "
                    + start + "-" + (end - 1) + ", got " + b.length + " bytes", null);
        }
        return b;
    }

    /** Whether the object exists. */
    boolean exists(String key) throws IOException {
        return lastModified(key) != null;
    }

    /** The object's time (Last-Modified), or null when there is no such object. */
    Instant lastModified(String key) throws IOException {
        HeadObjectResponse r = call("look up", key, () -> client.headObject(b -> b.bucket(location.bucket()).key(key)));
        return r == null ? null : r.lastModified() != null ? r.lastModified() : Instant.EPOCH;
    }

    /**
     * Gives the object a new time (Last-Modified) without changing its bytes: S3 has no "touch", so the object is
     * copied onto itself, which S3 allows when the metadata is replaced (with the same content type).
     *
     * @return false when there is no such object
     */
    boolean touch(String key) throws IOException {
        return call("refresh", key, () -> client.copyObject(b -> b.sourceBucket(location.bucket()).sourceKey(key)
                .destinationBucket(location.bucket()).destinationKey(key)
                .metadataDirective(MetadataDirective.REPLACE).contentType("application/octet-stream"))) != null;
    }

    /** Stores {@code content} as the object {@code key} (one PUT: atomic). */
    void put(String key, byte[] content) throws IOException {
        call("upload", key, () -> client.putObject(b -> b.bucket(location.bucket()).key(key)
                .contentType("application/octet-stream"), RequestBody.fromBytes(content)));
    }

    /** Takes the objects of a listing. */
    interface ObjectSink {
        /** One object: its key and time. */
        void accept(String key, Instant lastModified) throws IOException;
    }

    /** Hands each object under {@code prefix} to {@code sink}, in key order, page by page (ListObjectsV2). */
    void list(String prefix, ObjectSink sink) throws IOException {
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response page = call("list", prefix.isEmpty() ? "the bucket" : prefix,
                    () -> client.listObjectsV2(b -> b.bucket(location.bucket()).prefix(prefix).continuationToken(t)));
            if (page == null) {
                throw new StoreException(null, "cannot list " + location + ": bucket '" + location.bucket()
                        + "' not found", null);
            }
            for (S3Object o : page.contents()) {
                sink.accept(o.key(), o.lastModified() != null ? o.lastModified() : Instant.EPOCH);
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
    }

    /** Removes the objects {@code keys} (at most {@link #DELETE_BATCH}) with one DeleteObjects request. */
    void deleteAll(List<String> keys) throws IOException {
        if (keys.isEmpty()) {
            return;
        }
        if (keys.size() > DELETE_BATCH) {
            throw new IllegalArgumentException(keys.size() + " keys, more than one request may delete");
        }
        List<ObjectIdentifier> ids = new ArrayList<>(keys.size());
        for (String k : keys) {
            ids.add(ObjectIdentifier.builder().key(k).build());
        }
        Delete delete = Delete.builder().objects(ids).quiet(true).build();
        DeleteObjectsResponse r = call("delete", keys.size() + " objects",
                () -> client.deleteObjects(b -> b.bucket(location.bucket()).delete(delete)));
        List<S3Error> failed = r == null ? List.of() : r.errors();
        if (!failed.isEmpty()) {
            errors.incrementAndGet();
            S3Error first = failed.getFirst();
            throw new StoreException(null, "cannot delete " + failed.size() + " objects from " + location + ": "
                    + first.key() + ": " + first.code() + " " + first.message(), null);
        }
    }

    /** Requests made. */
    long requests() {
        return requests.get();
    }

    /** Requests repeated. */
    long retries() {
        return retries.get();
    }

    /** Requests that failed for good. */
    long errors() {
        return errors.get();
    }

    /** Bytes of objects downloaded. */
    long bytesDownloaded() {
        return bytesDownloaded.get();
    }

    /**
     * Runs {@code request} with retries; null when the object (or, for a list, the bucket) is not there.
     *
     * @param what the verb for messages ("download")
     * @param key  what it is done to
     */
    private <T> T call(String what, String key, Supplier<T> request) throws IOException {
        long delay = transport.retryDelay().toMillis();
        for (int attempt = 0; ; attempt++) {
            RuntimeException failure;
            acquire();
            try {
                requests.incrementAndGet();
                return request.get();
            } catch (UncheckedIOException e) {
                // The reply was read but its bytes are wrong: no retry.
                errors.incrementAndGet();
                throw e.getCause();
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                inFlight.release();
            }
            S3Errors.Kind kind = S3Errors.classify(failure);
            if (kind == S3Errors.Kind.MISSING) {
                return null;
            }
            if (kind == S3Errors.Kind.FATAL || attempt >= transport.retries()) {
                errors.incrementAndGet();
                String tries = kind == S3Errors.Kind.RETRY && attempt > 0 ? " (gave up after " + attempt
                        + (attempt == 1 ? " retry)" : " retries)") : "";
                throw new StoreException(null, "cannot " + what + " " + key + " at " + location + ": "
                        + S3Errors.describe(failure) + tries, null);
            }
            retries.incrementAndGet();
            sleep(delay);
            delay *= 2;
        }
    }

    private void acquire() throws InterruptedIOException {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    private static void sleep(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
