package org.jcasync;

import org.jcasync.chunk.DigestAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compiles and runs, in order, every {@code java} example of {@code docs/library.md} (each as the body of a method
 * with a {@code Path work} in scope), then checks what they did: the extracted blob and trees equal the originals,
 * and digests computed along different paths agree.
 */
class LibraryExamplesTest {
    private static final Path DOC = Path.of("..", "docs", "library.md");
    private static final Pattern BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final String IMPORTS = Stream.of("blob", "catar", "chunk", "format", "index", "inspect", "io",
            "location", "pack", "store", "tree").map(p -> "import org.jcasync." + p + ".*;\n")
            .reduce("", String::concat)
            + "import java.io.*;\nimport java.nio.file.*;\nimport java.util.*;\nimport java.util.concurrent.*;\n";

    @TempDir
    Path tmp;

    @Test
    void theExamplesCompileRunAndDoWhatTheySay() throws Exception {
        List<String> examples = new ArrayList<>();
        Matcher m = BLOCK.matcher(Files.readString(DOC));
        while (m.find()) {
            examples.add(m.group(1));
        }
        assertThat(examples).as("examples in " + DOC).hasSizeGreaterThanOrEqualTo(8);
        Path work = Files.createDirectories(tmp.resolve("work"));
        fixtures(work);
        Path classes = compile(examples);
        List<String> out = new ArrayList<>();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            for (int i = 0; i < examples.size(); i++) {
                out.add(run(loader.loadClass("docs.Example" + i), work));
            }
        }
        // Make a blob index: the digest of v1.img, then the summary.
        assertThat(out.get(0)).startsWith(digest(work.resolve("v1.img")) + " ");
        // Make a tree archive and index, read the tree as a stream: three times the archive's digest.
        String[] tree = out.get(1).split("\n");
        assertThat(tree).hasSize(2);
        assertThat(tree[1]).isEqualTo(tree[0]);
        assertThat(tree[0]).isEqualTo(digest(work.resolve("tree.catar")));
        assertThat(out.get(2).trim()).isEqualTo(tree[0]);
        // The blob extracted with a seed is v2.img; the digests of v2.img and of v2.caibx agree.
        assertThat(Files.readAllBytes(work.resolve("v2.out"))).isEqualTo(Files.readAllBytes(work.resolve("v2.img")));
        assertThat(out.get(4)).contains(" from seeds").doesNotContain(" 0 from seeds");
        String[] digests = out.get(6).split("\n");
        assertThat(digests[1]).isEqualTo(digests[0]).isEqualTo(digest(work.resolve("v2.img")));
        assertThat(digests[2]).isEqualTo(digest(work.resolve("tree/sub/f1")));
        // The trees applied from the index and from the archive are the tree.
        assertSameTree(work.resolve("tree"), work.resolve("out"));
        assertSameTree(work.resolve("tree"), work.resolve("out2"));
        assertThat(out.get(7)).contains("sub/deeper/f2 type=file ").contains(" sub/f1\n");
    }

    private static void fixtures(Path work) throws IOException {
        byte[] data = new byte[6 << 20];
        new Random(7).nextBytes(data);
        Arrays.fill(data, 1 << 20, 2 << 20, (byte) 0);
        Files.write(work.resolve("v1.img"), data);
        data[3 << 20] ^= 1;
        System.arraycopy(new byte[100_000], 0, data, 5 << 20, 100_000);
        Files.write(work.resolve("v2.img"), data);
        Path tree = Files.createDirectories(work.resolve("tree/sub/deeper"));
        Files.write(work.resolve("tree/sub/f1"), Arrays.copyOf(data, 300_000));
        Files.writeString(tree.resolve("f2"), "hello\n");
        Files.write(work.resolve("tree/empty"), new byte[0]);
        Files.createSymbolicLink(work.resolve("tree/link"), Path.of("sub/f1"));
    }

    private Path compile(List<String> examples) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src/docs"));
        List<String> files = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            Path f = src.resolve("Example" + i + ".java");
            Files.writeString(f, "package docs;\n" + IMPORTS + "public final class Example" + i
                    + " {\n    public static void run(Path work) throws Exception {\n" + examples.get(i) + "    }\n}\n");
            files.add(f.toString());
        }
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-proc:none", "-Xlint:all", "-Werror", "-d", classes.toString(),
                "-classpath", System.getProperty("java.class.path")));
        args.addAll(files);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = javac.run(null, null, err, args.toArray(String[]::new));
        assertThat(status).as("the examples compile:\n" + err.toString(StandardCharsets.UTF_8)).isZero();
        return classes;
    }

    /** Runs one example, returning what it printed. */
    private static String run(Class<?> example, Path work) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            example.getMethod("run", Path.class).invoke(null, work);
        } catch (InvocationTargetException e) {
            throw new AssertionError(example.getSimpleName() + " failed", e.getCause());
        } finally {
            System.setOut(stdout);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static String digest(Path file) throws IOException {
        return DigestAlgorithm.SHA512_256.digest(Files.readAllBytes(file), 0,
                (int) Files.size(file)).toHex();
    }

    private static void assertSameTree(Path expected, Path actual) throws IOException {
        List<String> e = listing(expected);
        assertThat(listing(actual)).isEqualTo(e);
        for (String rel : e) {
            Path a = expected.resolve(rel);
            if (Files.isRegularFile(a, LinkOption.NOFOLLOW_LINKS)) {
                assertThat(Files.readAllBytes(actual.resolve(rel))).as(rel).isEqualTo(Files.readAllBytes(a));
            } else if (Files.isSymbolicLink(a)) {
                assertThat(Files.readSymbolicLink(actual.resolve(rel))).isEqualTo(Files.readSymbolicLink(a));
            }
        }
    }

    private static List<String> listing(Path root) throws IOException {
        try (Stream<Path> w = Files.walk(root)) {
            return w.map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }
}
