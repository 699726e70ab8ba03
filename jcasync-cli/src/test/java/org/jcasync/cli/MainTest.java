package org.jcasync.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Main}'s handling of options placed before the verb, as casync allows. */
class MainTest {
    /** The options of every verb (and of jcasync itself) that take no value, from picocli's own model. */
    private static Set<String> valueLessOptions() {
        CommandLine all = Main.commandLine(null);
        Set<String> names = new TreeSet<>();
        for (CommandLine cl : all.getSubcommands().values()) {
            collect(cl, names);
        }
        collect(all, names);
        return names;
    }

    private static void collect(CommandLine cl, Set<String> names) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (o.arity().max() == 0) {
                names.addAll(Set.of(o.names()));
            }
        }
    }

    @Test
    void flagsAreTheValueLessOptionsOfTheModel() {
        assertThat(new TreeSet<>(Main.FLAGS)).isEqualTo(valueLessOptions());
    }

    @Test
    void aValueLessOptionBeforeTheVerbTakesNoArgumentAlong() {
        assertThat(Main.verbFirst(new String[] {"-w", "chunk-server", "-s", "x"}, Main.verbNames()))
                .containsExactly("chunk-server", "-w", "-s", "x");
        assertThat(Main.verbFirst(new String[] {"--mutual-tls", "index-server", "-s", "x"}, Main.verbNames()))
                .containsExactly("index-server", "--mutual-tls", "-s", "x");
        assertThat(Main.verbFirst(new String[] {"--store", "s", "make", "x.caibx", "f"}, Main.verbNames()))
                .containsExactly("make", "--store", "s", "x.caibx", "f");
    }
}
