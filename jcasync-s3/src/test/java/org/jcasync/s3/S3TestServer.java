package org.jcasync.s3;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real S3-compatible server in this JVM (s3proxy over an in-memory blob store), bound to 127.0.0.1 on a free
 * port, with a fixed access key and secret; and an SDK client of its own to set up and inspect buckets.
 */
public final class S3TestServer implements AutoCloseable {
    /** The access key the server accepts. */
    public static final String ACCESS_KEY = "jcasync-test-access";
    /** The secret the server accepts. */
    public static final String SECRET_KEY = "jcasync-test-secret-0123456789";

    private final S3Proxy proxy;
    private final S3Client client;
    private final java.nio.file.Path dir;

    private S3TestServer(S3Proxy proxy, S3Client client, java.nio.file.Path dir) {
        this.proxy = proxy;
        this.client = client;
        this.dir = dir;
    }

    /** Starts a server keeping its objects in memory. */
    public static S3TestServer start() throws Exception {
        return start(null);
    }

    /**
     * Starts a server keeping its objects as files under {@code dir} ({@code dir/bucket/key}), whose times are the
     * objects' Last-Modified: tests can make objects old ({@link #age}).
     */
    public static S3TestServer startOnDisk(java.nio.file.Path dir) throws Exception {
        return start(dir);
    }

    private static S3TestServer start(java.nio.file.Path dir) throws Exception {
        Properties p = new Properties();
        p.setProperty("jclouds.identity", ACCESS_KEY);
        p.setProperty("jclouds.credential", SECRET_KEY);
        if (dir != null) {
            p.setProperty("jclouds.filesystem.basedir", dir.toString());
        }
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(BlobStores.create(dir != null ? "filesystem" : "transient", p))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        for (int i = 0; i < 200 && !proxy.getState().equals("STARTED"); i++) {
            Thread.sleep(25);
        }
        S3Client client = S3Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                        SECRET_KEY)))
                .httpClient(new JdkSdkHttpClient(org.jcasync.store.TransportOptions.DEFAULT))
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
                .addPlugin(software.amazon.awssdk.services.s3.LegacyMd5Plugin.create())
                .build();
        return new S3TestServer(proxy, client, dir);
    }

    /** The port it listens on. */
    public int port() {
        return proxy.getPort();
    }

    /** {@code s3+http://127.0.0.1:PORT/path}. */
    public String url(String path) {
        return "s3+http://127.0.0.1:" + port() + "/" + path;
    }

    /** Environment with the server's credentials, as the CLI reads them. */
    public static Map<String, String> env() {
        return Map.of("S3_ACCESS_KEY", ACCESS_KEY, "S3_SECRET_KEY", SECRET_KEY);
    }

    /** Creates {@code bucket}. */
    public void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket));
    }

    /** The keys of every object in {@code bucket} under {@code prefix}, sorted. */
    public List<String> keys(String bucket, String prefix) {
        return client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).sorted().toList();
    }

    /** The bytes of an object. */
    public byte[] object(String bucket, String key) {
        return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }

    /** Downloads every object under {@code prefix} (a "directory", ending in '/') to the same layout in {@code dir}. */
    public void download(String bucket, String prefix, java.nio.file.Path dir) throws java.io.IOException {
        for (String key : keys(bucket, prefix)) {
            java.nio.file.Path target = dir.resolve(key.substring(prefix.length()));
            java.nio.file.Files.createDirectories(target.getParent());
            java.nio.file.Files.write(target, object(bucket, key));
        }
    }

    /** Sets the Last-Modified of an object of a server started on disk to {@code ago} before now. */
    public void age(String bucket, String key, java.time.Duration ago) throws java.io.IOException {
        java.nio.file.Files.setLastModifiedTime(dir.resolve(bucket).resolve(key),
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(ago)));
    }

    /** The Last-Modified of an object. */
    public java.time.Instant lastModified(String bucket, String key) {
        return client.headObject(b -> b.bucket(bucket).key(key)).lastModified();
    }

    /** Stores raw bytes as an object. */
    public void putObject(String bucket, String key, byte[] content) {
        client.putObject(b -> b.bucket(bucket).key(key),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(content));
    }

    @Override
    public void close() {
        client.close();
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("s3proxy did not stop", e);
        }
    }
}
