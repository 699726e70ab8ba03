package org.jcasync.s3;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3LocationTest {
    private static S3Location parse(String s) {
        return S3Location.parse(URI.create(s));
    }

    @Test
    void splitsEndpointBucketAndKey() {
        S3Location l = parse("s3+http://127.0.0.1:9000/bucket/some/prefix/");
        assertThat(l.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
        assertThat(l.bucket()).isEqualTo("bucket");
        assertThat(l.key()).isEqualTo("some/prefix");
        assertThat(l.child("abcd/x.cacnk")).isEqualTo("some/prefix/abcd/x.cacnk");
        assertThat(l.pathStyle()).isTrue();
        S3Location root = parse("s3+https://minio.example/b");
        assertThat(root.endpoint()).isEqualTo(URI.create("https://minio.example"));
        assertThat(root.key()).isEmpty();
        assertThat(root.child("abcd/x.cacnk")).isEqualTo("abcd/x.cacnk");
    }

    @Test
    void lookupStyle() {
        assertThat(parse("s3+https://s3.eu-west-1.amazonaws.com/b/p").pathStyle()).isFalse();
        assertThat(parse("s3+https://s3.eu-west-1.amazonaws.com/b/p?lookup=path").pathStyle()).isTrue();
        assertThat(parse("s3+http://host/b?lookup=dns").pathStyle()).isFalse();
        assertThat(parse("s3+http://host/b?lookup=auto").pathStyle()).isTrue();
        assertThat(parse("s3+http://host/b/x.caibx?lookup=path").objectKey()).isEqualTo("x.caibx");
    }

    @Test
    void rejectsWhatIsNotALocation() {
        assertThatThrownBy(() -> parse("s3+http://host/")).hasMessageContaining("without a bucket");
        assertThatThrownBy(() -> parse("s3+http:///b")).hasMessageContaining("without a host");
        assertThatThrownBy(() -> parse("s3+http://host/b?lookup=sideways")).hasMessageContaining("unknown lookup");
        assertThatThrownBy(() -> parse("s3+http://host/b?region=x")).hasMessageContaining("unknown parameter");
        assertThatThrownBy(() -> parse("s3+http://host/b").objectKey()).hasMessageContaining("names a bucket");
    }
}
