package org.jcasync.cli;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The library boundary, checked on the compiled classes of every module the CLI is built from: only jcasync-core
 * uses its {@code org.jcasync.internal} packages, and the CLI only parses options, calls the library's entry points
 * and prints (it does not assemble pipelines out of the library's building blocks).
 *
 * <p>A rule test rather than a JPMS {@code module-info}: the other modules and the fat jar run on the class path,
 * where a module's exports are not enforced at all, and turning every module and dependency (AWS SDK, Jetty,
 * picocli) into named modules would change how the jar and its ServiceLoader providers are loaded.
 */
class ModuleBoundaryTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ModuleBoundaryTest::notATestJar)
                .importPackages("org.jcasync");
    }

    /** Test jars of other modules (their fixtures) are on the test class path too; only main classes count. */
    private static boolean notATestJar(Location location) {
        return !location.contains("-tests.jar");
    }

    /** jcasync-core's classes: from its build directory or its jar. */
    private static final DescribedPredicate<JavaClass> IN_CORE = DescribedPredicate.describe("in jcasync-core",
            c -> c.getSource().map(s -> s.getUri().toString()).filter(u -> u.contains("/jcasync-core/")
                    || u.contains("/jcasync-core-")).isPresent());

    @Test
    void everyModuleIsImported() {
        Set<String> modules = new TreeSet<>();
        for (JavaClass c : classes) {
            String uri = c.getSource().map(s -> s.getUri().toString()).orElse("");
            for (String m : new String[] {"jcasync-core", "jcasync-cli", "jcasync-http", "jcasync-s3",
                "jcasync-ssh", "jcasync-server"}) {
                if (uri.contains("/" + m + "/") || uri.contains("/" + m + "-")) {
                    modules.add(m);
                }
            }
        }
        assertThat(modules).as("the rules below see every module").hasSize(6);
        assertThat(classes.that(IN_CORE)).as("core classes").hasSizeGreaterThan(50);
    }

    @Test
    void onlyCoreUsesItsInternalPackages() {
        noClasses().that(DescribedPredicate.not(IN_CORE))
                .should().dependOnClassesThat().resideInAPackage("org.jcasync.internal..")
                .because("org.jcasync.internal holds jcasync-core's native bindings and plumbing, not its API")
                .check(classes);
    }

    @Test
    void theCliCallsEntryPointsOnly() {
        noClasses().that().resideInAPackage("org.jcasync.cli..")
                .should().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.io.BlockPipe")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.blob.BlobMaker")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.blob.ChunkedInputStream")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.index.IndexWriter")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.catar.CatarDecoder")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.tree.TreeExtractor")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.tree.TreeSeed")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.store.StoreRouter")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.store.CachedStore")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.store.FailoverStore")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.jcasync.pack.PackedStore")
                .because("pipelines (make, extract, the store stack, digests, listings) are assembled in "
                        + "jcasync-core, behind its entry points; the CLI parses options, calls them and prints")
                .check(classes);
    }
}
