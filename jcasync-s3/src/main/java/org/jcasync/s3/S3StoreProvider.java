package org.jcasync.s3;

import org.jcasync.io.StreamParser;
import org.jcasync.store.ChunkStore;
import org.jcasync.store.StoreOptions;
import org.jcasync.store.StoreProvider;
import org.jcasync.store.TransportOptions;
import org.jcasync.store.WritableChunkStore;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.Set;

/**
 * Chunk stores and index files in S3-compatible object storage: {@code s3+http://host[:port]/bucket[/prefix]} and
 * {@code s3+https://…}, optionally with {@code ?lookup=path|dns|auto}. A store keeps casync's layout under the
 * prefix ({@code prefix/<4hex>/<id>.cacnk}); a file location names one object ({@code bucket/path/x.caibx}).
 * The SDK is loaded only when such a location is opened, so other commands do not pay for it.
 */
public final class S3StoreProvider implements StoreProvider {
    private final Map<String, String> env;

    /** Credentials and region from the process environment (found by {@link java.util.ServiceLoader}). */
    public S3StoreProvider() {
        this(System.getenv());
    }

    /** Credentials and region from {@code env} ({@code S3_ACCESS_KEY}, {@code S3_SECRET_KEY}, ...). */
    public S3StoreProvider(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    @Override
    public Set<String> schemes() {
        return Set.of("s3+http", "s3+https");
    }

    @Override
    public ChunkStore open(URI location, StoreOptions options, TransportOptions transport) {
        return openWritable(location, options, transport);
    }

    @Override
    public WritableChunkStore openWritable(URI location, StoreOptions options, TransportOptions transport) {
        return new S3Store(new S3Bucket(S3Location.parse(location), transport, env), options);
    }

    @Override
    public org.jcasync.pack.RangeSource openRanges(URI location, TransportOptions transport) {
        return new S3RangeSource(new S3Bucket(S3Location.parse(location), transport, env));
    }

    @Override
    public <T> T readFile(URI location, TransportOptions transport, StreamParser<T> parser) throws IOException {
        S3Location where = S3Location.parse(location);
        String key = where.objectKey();
        try (S3Bucket bucket = new S3Bucket(where, transport, env)) {
            T t = bucket.read(key, parser);
            if (t == null) {
                throw new NoSuchFileException(where.text(), null, "no such object in bucket " + where.bucket());
            }
            return t;
        }
    }

    @Override
    public void writeFile(URI location, byte[] content, TransportOptions transport) throws IOException {
        S3Location where = S3Location.parse(location);
        String key = where.objectKey();
        try (S3Bucket bucket = new S3Bucket(where, transport, env)) {
            bucket.put(key, content);
        }
    }
}
