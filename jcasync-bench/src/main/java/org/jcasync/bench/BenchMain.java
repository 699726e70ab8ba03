package org.jcasync.bench;

import java.util.Arrays;

/**
 * Benchmarks. {@code compare} runs casync and jcasync side by side on the OS images and prints time ratios;
 * {@code wan} times the seeded imgB → imgC update from an HTTP store through an emulated slow link;
 * {@code concurrency} runs makes, packs and gcs at once on one store and checks it after each round;
 * {@code serve-load}, {@code serve-attack} and {@code serve-verify} run the chunk-server under many, hostile and
 * fast clients ({@link ServeBench}); {@code jmh} runs the JMH micro-benchmarks of the kernels (chunker, digests,
 * compression).
 */
public final class BenchMain {
    private BenchMain() {
    }

    /** Entry point: {@code compare [options]} or {@code jmh [JMH options]}. */
    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("compare")) {
            System.exit(Compare.run(args.length == 0 ? new String[0] : Arrays.copyOfRange(args, 1, args.length)));
        } else if (args[0].equals("wan")) {
            System.exit(WanBench.run(Arrays.copyOfRange(args, 1, args.length)));
        } else if (args[0].equals("concurrency")) {
            System.exit(Concurrency.run(Arrays.copyOfRange(args, 1, args.length)));
        } else if (args[0].startsWith("serve-")) {
            System.exit(ServeBench.run(args[0], Arrays.copyOfRange(args, 1, args.length)));
        } else if (args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
        } else {
            System.err.println("usage: bench compare [--runs N] [--datasets DIR] [--jcasync PATH] [--out FILE]"
                    + " | bench wan [--runs N] [--rtt-ms MS] [--down-mbit M] [--up-mbit M] [--tools casync,jcasync-loose,jcasync-packs]"
                    + " [--jcasync-opt OPT]... [--out FILE] | bench concurrency [--rounds N] [--stores local,sftp,s3]"
                    + " [--grace D] [--out FILE] | bench serve-load [--clients N] [--seconds S]"
                    + " [--think-ms MS] [--out FILE] | bench serve-attack [--hostile N] [--probes N] [--out FILE]"
                    + " | bench serve-verify [--clients N] [--seconds S] [--out FILE] | bench jmh [JMH options]");
            System.exit(2);
        }
    }
}
