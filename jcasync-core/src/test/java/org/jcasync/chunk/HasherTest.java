package org.jcasync.chunk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class HasherTest {
    private static final String SHA512_256_EMPTY = "c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a";
    private static final String SHA512_256_FOOBAR = "d014c752bc2be868e16330f47e0c316a5967bcbc9c286a457761d7055b9214ce";
    private static final String SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String SHA256_FOOBAR = "c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2";

    private static final HexFormat HEX = HexFormat.of();

    /** Every way of getting a hasher: the public factory, the JDK path and (when libcrypto loads) OpenSSL. */
    static Stream<Arguments> hashers() {
        List<Arguments> out = new ArrayList<>();
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            out.add(Arguments.of(alg, "newHasher", (Supplier<Hasher>) alg::newHasher));
            out.add(Arguments.of(alg, "jdk", (Supplier<Hasher>) () -> new JdkHasher(alg.newDigest())));
            out.add(Arguments.of(alg, "openssl", (Supplier<Hasher>) () -> {
                assumeThat(OpenSslHasher.available()).as("libcrypto available").isTrue();
                return new OpenSslHasher(alg);
            }));
        }
        return out.stream();
    }

    private static String kat(DigestAlgorithm alg, String msg) {
        return switch (alg) {
            case SHA512_256 -> msg.isEmpty() ? SHA512_256_EMPTY : SHA512_256_FOOBAR;
            case SHA256 -> msg.isEmpty() ? SHA256_EMPTY : SHA256_FOOBAR;
        };
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("hashers")
    void knownAnswers(DigestAlgorithm alg, String kind, Supplier<Hasher> factory) {
        Hasher h = factory.get();
        for (String msg : new String[] {"", "foobar"}) {
            byte[] m = msg.getBytes(StandardCharsets.US_ASCII);
            assertThat(HEX.formatHex(h.digest(m, 0, m.length))).as("%s(%s)", alg, msg).isEqualTo(kat(alg, msg));
            h.update(m, 0, m.length);
            assertThat(h.id().toHex()).as("id() %s(%s)", alg, msg).isEqualTo(kat(alg, msg));
        }
        // digest() with no update at all is the empty-message digest.
        assertThat(HEX.formatHex(factory.get().digest())).isEqualTo(kat(alg, ""));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("hashers")
    void incrementalUpdatesAtOddOffsetsEqualOneShot(DigestAlgorithm alg, String kind, Supplier<Hasher> factory)
            throws Exception {
        byte[] data = TestData.random(42, 300_001);
        byte[] expected = MessageDigest.getInstance(alg == DigestAlgorithm.SHA256 ? "SHA-256" : "SHA-512/256")
                .digest(java.util.Arrays.copyOfRange(data, 3, data.length - 5));
        Hasher h = factory.get();
        // Feed data[3, len-5) in pieces of odd sizes at odd array offsets, including zero-length updates.
        int pos = 3;
        int[] steps = {0, 1, 7, 0, 63, 127, 129, 1, 4095, 65537, 3};
        int k = 0;
        int end = data.length - 5;
        while (pos < end) {
            int n = Math.min(steps[k++ % steps.length], end - pos);
            h.update(data, pos, n);
            pos += n;
        }
        assertThat(h.digest()).isEqualTo(expected);
        // "foobar" from the middle of a larger array.
        byte[] framed = "xxfoobaryyy".getBytes(StandardCharsets.US_ASCII);
        h.update(framed, 2, 3);
        h.update(framed, 5, 3);
        assertThat(HEX.formatHex(h.digest())).isEqualTo(kat(alg, "foobar"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("hashers")
    void reusableAfterDigest(DigestAlgorithm alg, String kind, Supplier<Hasher> factory) {
        Hasher h = factory.get();
        byte[] foo = "foobar".getBytes(StandardCharsets.US_ASCII);
        byte[] junk = TestData.random(1, 1000);
        h.update(junk, 0, junk.length);
        byte[] first = h.digest();
        assertThat(HEX.formatHex(first)).isNotEqualTo(kat(alg, ""));
        // After digest() the hasher starts over: no state from the junk survives.
        assertThat(HEX.formatHex(h.digest(foo, 0, foo.length))).isEqualTo(kat(alg, "foobar"));
        assertThat(HEX.formatHex(h.digest())).isEqualTo(kat(alg, ""));
        h.update(junk, 0, junk.length);
        assertThat(h.digest()).isEqualTo(first);
        for (int i = 0; i < 1000; i++) {
            assertThat(h.digest(foo, 0, foo.length)).hasSize(32);
        }
        assertThat(HEX.formatHex(h.digest(foo, 0, foo.length))).isEqualTo(kat(alg, "foobar"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("hashers")
    void largeInputMatchesJdk(DigestAlgorithm alg, String kind, Supplier<Hasher> factory) {
        byte[] data = TestData.random(9, (1 << 20) + 13);
        byte[] expected = alg.newDigest().digest(data);
        assertThat(factory.get().digest(data, 0, data.length)).isEqualTo(expected);
    }

    @Test
    void digestAlgorithmHelpers() {
        byte[] foo = "foobar".getBytes(StandardCharsets.US_ASCII);
        assertThat(DigestAlgorithm.SHA512_256.digest(foo, 0, 6).toHex()).isEqualTo(SHA512_256_FOOBAR);
        assertThat(DigestAlgorithm.SHA256.digest(foo, 0, 6).toHex()).isEqualTo(SHA256_FOOBAR);
        assertThat(DigestAlgorithm.fromFeatureFlags(0xb000000000000000L)).isEqualTo(DigestAlgorithm.SHA512_256);
        assertThat(DigestAlgorithm.fromFeatureFlags(0x9000000000000000L)).isEqualTo(DigestAlgorithm.SHA256);
        assertThat(DigestAlgorithm.parse("default")).isEqualTo(DigestAlgorithm.SHA512_256);
        assertThat(DigestAlgorithm.parse("SHA256")).isEqualTo(DigestAlgorithm.SHA256);
    }

    @Test
    void openSslAndJdkAgreeOnManySizes() {
        assumeThat(OpenSslHasher.available()).isTrue();
        byte[] data = TestData.random(5, 20_000);
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            Hasher a = new OpenSslHasher(alg);
            Hasher b = new JdkHasher(alg.newDigest());
            for (int len = 0; len < data.length; len += len < 300 ? 1 : 997) {
                int off = len % 17;
                int n = Math.min(len, data.length - off);
                assertThat(a.digest(data, off, n)).as("%s len %d", alg, n).isEqualTo(b.digest(data, off, n));
            }
        }
    }
}
