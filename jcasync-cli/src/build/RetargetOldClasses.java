import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of jcasync-cli, run on the shaded jar: rewrites classes compiled for Java 5 or older (class file
 * version below 50; picocli ships so) as version 50 with stack map frames, computed by the JDK's class-file API.
 * The JVM's ahead-of-time cache leaves such "old" classes out, so every start of jcasync loaded, verified (with the
 * slow type-inferencing verifier) and linked picocli's ~190 classes from the jar again: about 0.1 s of CPU per
 * command. The bytecode itself is unchanged. A class that cannot be rewritten is kept as it was.
 *
 * <p>Usage: {@code java RetargetOldClasses.java JAR} (the jar is replaced atomically).
 */
public final class RetargetOldClasses {
    private static final int TARGET = ClassFile.JAVA_6_VERSION;

    private RetargetOldClasses() {
    }

    public static void main(String[] args) throws IOException {
        Path jar = Path.of(args[0]);
        Map<String, ZipEntry> entries = new LinkedHashMap<>();
        Map<String, byte[]> contents = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                entries.put(e.getName(), e);
                contents.put(e.getName(), in.readAllBytes());
            }
        }
        ClassHierarchyResolver fromJar = ClassHierarchyResolver.ofResourceParsing(desc -> {
            String d = desc.descriptorString();
            byte[] b = contents.get(d.substring(1, d.length() - 1) + ".class");
            return b == null ? null : (InputStream) new ByteArrayInputStream(b);
        });
        ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                ClassFile.ClassHierarchyResolverOption.of(fromJar.orElse(ClassHierarchyResolver.defaultResolver())));
        ClassTransform version = (builder, element) -> {
            if (element instanceof ClassFileVersion) {
                builder.withVersion(TARGET, 0);
            } else {
                builder.with(element);
            }
        };
        // Rebuilding every method body is what makes the API compute stack maps.
        ClassTransform retarget = version.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL));
        int rewritten = 0;
        int kept = 0;
        for (Map.Entry<String, byte[]> e : contents.entrySet()) {
            byte[] b = e.getValue();
            if (!e.getKey().endsWith(".class") || b.length < 8 || (b[0] & 0xff) != 0xCA) {
                continue;
            }
            int major = ((b[6] & 0xff) << 8) | (b[7] & 0xff);
            if (major >= TARGET) {
                continue;
            }
            try {
                ClassModel model = cf.parse(b);
                e.setValue(cf.transformClass(model, retarget));
                rewritten++;
            } catch (RuntimeException ex) {
                System.out.println("RetargetOldClasses: kept " + e.getKey() + " as it was: " + ex.getMessage());
                kept++;
            }
        }
        if (rewritten == 0) {
            System.out.println("RetargetOldClasses: no old classes in " + jar);
            return;
        }
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (OutputStream fo = Files.newOutputStream(tmp); ZipOutputStream out = new ZipOutputStream(fo)) {
            for (Map.Entry<String, byte[]> e : contents.entrySet()) {
                ZipEntry old = entries.get(e.getKey());
                ZipEntry n = new ZipEntry(e.getKey());
                n.setTime(old.getTime());
                out.putNextEntry(n);
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("RetargetOldClasses: " + rewritten + " classes of " + jar.getFileName()
                + " rewritten as class file version " + TARGET + (kept > 0 ? ", " + kept + " kept" : ""));
    }
}
