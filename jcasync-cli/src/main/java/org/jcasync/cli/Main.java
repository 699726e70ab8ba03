package org.jcasync.cli;

import org.jcasync.chunk.Kernels;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** The {@code jcasync} command: casync's verbs and options. */
@Command(name = "jcasync", sortOptions = false, usageHelpWidth = 100,
        description = "Content-Addressable Data Synchronization Tool, byte-compatible with casync 2.",
        footer = {"", "Run 'jcasync VERB --help' for a verb's arguments. Options may stand before or after the verb."})
public final class Main implements Runnable {
    /** Exit status for every failure, as casync. */
    static final int FAILURE = 1;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;

    @Option(names = "--version", versionHelp = true, description = "Show brief version information (with -v: the "
            + "CPU and the code paths in use)")
    boolean version;

    @Option(names = {"-v", "--verbose"}, description = "With --version: the CPU and the code paths in use")
    boolean verbose;

    /** What {@code --version} prints: casync's one line, and with {@code -v} the CPU and the kernels' code paths. */
    String[] versionLines() {
        List<String> lines = new ArrayList<>();
        lines.add(VERSION);
        if (verbose) {
            lines.addAll(Kernels.report());
        }
        return lines.toArray(String[]::new);
    }

    /** The first line of {@code --version}. */
    static final String VERSION = "jcasync 0.1.0 (casync 2 compatible)";

    /**
     * The verbs, in the order the help lists them. picocli builds a verb's model by reflection over all its options,
     * and its classes cannot be kept in the JVM's ahead-of-time cache (they are compiled for Java 5), which made every
     * start pay ~0.3 s for all twelve verbs: only the verb being run is built (all of them for the help).
     */
    private static final Map<String, Supplier<Object>> VERBS = verbs();

    private static Map<String, Supplier<Object>> verbs() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("make", MakeCommand::new);
        m.put("extract", ExtractCommand::new);
        m.put("list", ListCommand::new);
        m.put("mtree", MtreeCommand::new);
        m.put("stat", StatCommand::new);
        m.put("digest", DigestCommand::new);
        m.put("gc", GcCommand::new);
        m.put("pack", PackCommand::new);
        m.put("pull", PullCommand::new);
        m.put("push", PushCommand::new);
        m.put("chunk-server", ChunkServerCommand::new);
        m.put("index-server", IndexServerCommand::new);
        return Collections.unmodifiableMap(m);
    }

    /** The names of the verbs. */
    static Set<String> verbNames() {
        return VERBS.keySet();
    }

    /** The command line with {@code verb} as its only subcommand, or with every verb when it is not one. */
    static CommandLine commandLine(String verb) {
        CommandLine cl = new CommandLine(new Main());
        if (verb != null && VERBS.containsKey(verb)) {
            cl.addSubcommand(verb, VERBS.get(verb).get());
        } else {
            VERBS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
        }
        return cl;
    }

    @Override
    public void run() {
        commandLine(null).usage(System.out);
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line; returns the exit status. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        args = verbFirst(args, VERBS.keySet());
        CommandLine cl = commandLine(args.length > 0 ? args[0] : null);
        cl.setOut(out);
        cl.setErr(err);
        Main main = cl.getCommand();
        cl.getCommandSpec().versionProvider(main::versionLines);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("jcasync: " + ex.getMessage() + " (see 'jcasync --help')");
            return FAILURE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            err.println("jcasync: " + describe(ex));
            if (System.getenv("JCASYNC_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            return FAILURE;
        });
        return cl.execute(args);
    }

    /**
     * Options that take no value (everything else takes one, as {@code --opt=V} or {@code --opt V}): every verb's
     * options of arity 0. Kept by hand because building the picocli model of every verb costs each start ~0.3 s;
     * {@code MainTest} checks it against that model. {@code -c} is {@code --cache-auto} (no value) before a verb,
     * as casync's; chunk-server's {@code -c DIR} takes one after its verb.
     */
    static final Set<String> FLAGS = Set.of("-v", "--verbose", "-n", "--dry-run", "-h", "--help", "--version",
            "--in-place", "--print-stats", "--no-progress", "-c", "--cache-auto", "--trust-any-cert", "-w",
            "--writable", "--writeable", "--mutual-tls", "--verify");

    /**
     * casync takes its options before or after the verb; picocli wants a subcommand's options after it. Moves the
     * verb to the front when options precede it.
     */
    static String[] verbFirst(String[] args, Set<String> verbs) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                return args;
            }
            if (a.startsWith("-") && a.length() > 1) {
                if (!a.contains("=") && !FLAGS.contains(a) && !(a.startsWith("-") && !a.startsWith("--")
                        && a.length() > 2)) {
                    i++;
                }
                continue;
            }
            if (i == 0 || !verbs.contains(a)) {
                return args;
            }
            String[] r = new String[args.length];
            r[0] = a;
            System.arraycopy(args, 0, r, 1, i);
            System.arraycopy(args, i + 1, r, i + 1, args.length - i - 1);
            return r;
        }
        return args;
    }

    /** Prints a one-line message for the user on standard error ("jcasync: " and {@code line}). */
    static void message(String line) {
        System.err.println("jcasync: " + line);
    }

    /** One line naming what failed, for any exception. */
    static String describe(Throwable ex) {
        if (ex instanceof NoSuchFileException e) {
            return e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "no such file or directory");
        }
        if (ex instanceof AccessDeniedException e) {
            return e.getFile() + ": permission denied";
        }
        if (ex instanceof FileSystemException e && e.getFile() != null) {
            return e.getFile() + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
        }
        if (ex instanceof UncheckedIOException u) {
            return describe(u.getCause());
        }
        if (ex instanceof IOException || ex instanceof IllegalArgumentException || ex instanceof UserException) {
            return String.valueOf(ex.getMessage()).replace('\n', ' ');
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (raise it with JCASYNC_JAVA_OPTS=-Xmx...)";
        }
        return ex.getClass().getSimpleName() + ": " + ex.getMessage();
    }
}
