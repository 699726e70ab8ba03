package org.jcasync.s3;

import org.jcasync.store.TransportOptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;

import java.util.Map;

/**
 * Builds the SDK's S3 client for a location: credentials from {@code S3_ACCESS_KEY}/{@code S3_SECRET_KEY}/
 * {@code S3_SESSION_TOKEN} (desync's names), else the SDK's default chain ({@code AWS_ACCESS_KEY_ID}…, the
 * {@code ~/.aws} profile of {@code AWS_PROFILE}); region from {@code S3_REGION} or {@code AWS_REGION}, else
 * us-east-1; the location's server as endpoint; the JDK HTTP client; no retries of the SDK's own (the caller
 * retries, and counts them).
 */
final class S3Clients {
    private S3Clients() {
    }

    /** A client for {@code location}, configured from {@code env}. */
    static S3Client create(S3Location location, TransportOptions transport, Map<String, String> env) {
        return S3Client.builder()
                .httpClient(new JdkSdkHttpClient(transport))
                .endpointOverride(location.endpoint())
                .forcePathStyle(location.pathStyle())
                .region(Region.of(region(env)))
                .credentialsProvider(credentials(env))
                // Servers other than AWS (MinIO, Ceph, R2, s3proxy...) do not all know the newer checksum headers:
                // send checksums only where an operation requires one, as MD5 (DeleteObjects).
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .addPlugin(LegacyMd5Plugin.create())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    private static String region(Map<String, String> env) {
        for (String name : new String[] {"S3_REGION", "AWS_REGION"}) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return "us-east-1";
    }

    private static AwsCredentialsProvider credentials(Map<String, String> env) {
        String access = env.get("S3_ACCESS_KEY");
        String secret = env.get("S3_SECRET_KEY");
        String token = env.get("S3_SESSION_TOKEN");
        if (access != null && !access.isEmpty() && secret != null && !secret.isEmpty()) {
            return StaticCredentialsProvider.create(token != null && !token.isEmpty()
                    ? AwsSessionCredentials.create(access, secret, token)
                    : AwsBasicCredentials.create(access, secret));
        }
        return DefaultCredentialsProvider.builder().build();
    }
}
