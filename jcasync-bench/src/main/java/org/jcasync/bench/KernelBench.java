package org.jcasync.bench;

import org.jcasync.chunk.Chunker;
import org.jcasync.chunk.ChunkerParams;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.Hasher;
import org.jcasync.chunk.Kernels;
import org.jcasync.store.Compression;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.security.MessageDigest;
import java.util.Random;

/**
 * Throughput of the kernels on 8 MiB of half random, half text-like data (ops/s x 8 MiB = bytes/s). The plain
 * benchmarks run the paths this CPU gets by default; the ones named after a path force it with
 * {@code -Djcasync.cpu} (on a CPU without it they measure the best path below, as the fork's first line says).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class KernelBench {
    private static final int BATCH = 128;
    private final byte[] data = new byte[8 << 20];
    private Chunker chunker;
    private Hasher openssl;
    private Hasher openssl256;
    private MessageDigest jdk;
    /** The buffer as a batch of 128 chunk-sized messages of 64 KiB, and their digests. */
    private final long[] batchOffs = new long[BATCH];
    private final long[] batchLens = new long[BATCH];
    private final byte[] batchOut = new byte[BATCH * DigestAlgorithm.DIGEST_LENGTH];

    /** Fills the buffer with half random, half text-like data. */
    @Setup
    public void setup() throws Exception {
        Random r = new Random(1);
        r.nextBytes(data);
        for (int i = data.length / 2; i < data.length; i++) {
            data[i] = (byte) ('a' + r.nextInt(20));
        }
        chunker = new Chunker(ChunkerParams.DEFAULT);
        openssl = DigestAlgorithm.SHA512_256.newHasher();
        openssl256 = DigestAlgorithm.SHA256.newHasher();
        jdk = MessageDigest.getInstance("SHA-512/256");
        for (int i = 0; i < BATCH; i++) {
            batchOffs[i] = (long) i * (data.length / BATCH);
            batchLens[i] = data.length / BATCH;
        }
        for (String line : Kernels.report()) {
            System.err.println("KernelBench: " + line);
        }
    }

    /** Buzhash chunking with the fastest loop here ({@code NativeChunker}: AVX-512 VBMI, AVX2, scalar, or Java). */
    @Benchmark
    public int chunker() {
        return chunkAll();
    }

    /** Buzhash chunking with the native AVX2 loop. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Djcasync.cpu=avx2"})
    public int chunkerAvx2() {
        return chunkAll();
    }

    /** Buzhash chunking with the native scalar loop. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Djcasync.cpu=scalar"})
    public int chunkerScalar() {
        return chunkAll();
    }

    /** Buzhash chunking in Java only ({@code -Djcasync.noNativeChunker=true}), with C2. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Djcasync.noNativeChunker=true"})
    public int chunkerJava() {
        return chunkAll();
    }

    /** Buzhash chunking in Java only with the C1 compiler only, as the launcher runs most commands. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Djcasync.noNativeChunker=true",
            "-XX:TieredStopAtLevel=1"})
    public int chunkerJavaC1() {
        return chunkAll();
    }

    private int chunkAll() {
        int pos = 0;
        int n = 0;
        while (pos < data.length) {
            int k = chunker.next(data, pos, data.length);
            if (k < 0) {
                break;
            }
            pos = k;
            n++;
        }
        return n;
    }

    /** SHA-512/256 through libcrypto (FFM). */
    @Benchmark
    public byte[] sha512256OpenSsl() {
        openssl.update(data, 0, data.length);
        return openssl.digest();
    }

    /** SHA-512/256 of the JDK. */
    @Benchmark
    public byte[] sha512256Jdk() {
        jdk.update(data, 0, data.length);
        return jdk.digest();
    }

    /** SHA-256 through libcrypto (FFM), which uses SHA-NI where the CPU has it. */
    @Benchmark
    public byte[] sha256OpenSsl() {
        openssl256.update(data, 0, data.length);
        return openssl256.digest();
    }

    /** SHA-512/256 of 128 messages of 64 KiB with the fastest multi-buffer digest here (AVX-512: 8 lanes, AVX2: 4). */
    @Benchmark
    public byte[] sha512256BatchMultiBuffer() {
        DigestAlgorithm.SHA512_256.digestMany(data, batchOffs, batchLens, BATCH, batchOut);
        return batchOut;
    }

    /** The same with the AVX2 multi-buffer digest (four lanes). */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Djcasync.cpu=avx2"})
    public byte[] sha512256BatchAvx2() {
        DigestAlgorithm.SHA512_256.digestMany(data, batchOffs, batchLens, BATCH, batchOut);
        return batchOut;
    }

    /** The same 128 messages one after the other through libcrypto: what the multi-buffer digest replaces. */
    @Benchmark
    public byte[] sha512256BatchOpenSsl() {
        return oneAtATime(openssl);
    }

    /** SHA-256 of the 128 messages with the multi-buffer digest (SHA-NI, four lanes) where the CPU has SHA-NI. */
    @Benchmark
    public byte[] sha256BatchMultiBuffer() {
        DigestAlgorithm.SHA256.digestMany(data, batchOffs, batchLens, BATCH, batchOut);
        return batchOut;
    }

    /** SHA-256 of the 128 messages one after the other through libcrypto. */
    @Benchmark
    public byte[] sha256BatchOpenSsl() {
        return oneAtATime(openssl256);
    }

    private byte[] oneAtATime(Hasher h) {
        int len = data.length / BATCH;
        for (int i = 0; i < BATCH; i++) {
            System.arraycopy(h.digest(data, i * len, len), 0, batchOut, i * DigestAlgorithm.DIGEST_LENGTH,
                    DigestAlgorithm.DIGEST_LENGTH);
        }
        return batchOut;
    }

    /** zstd level 3 in 64 KiB chunks. */
    @Benchmark
    public int zstd3() {
        int n = 0;
        for (int p = 0; p < data.length; p += 65536) {
            n += Compression.ZSTD.compress(data, p, 65536).length;
        }
        return n;
    }
}
