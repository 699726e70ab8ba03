package org.jcasync.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The server verbs' own short flags (-s, -l, -w, -c) are theirs, not casync's global options. */
class ServerCommandsTest {
    private static CommandLine.ParseResult parse(String... args) {
        CommandLine cl = Main.commandLine(null);
        return cl.parseArgs(Main.verbFirst(args, Main.verbNames()));
    }

    @Test
    void chunkServerFlagsParseAsDesyncs() {
        CommandLine.ParseResult r = parse("chunk-server", "-s", "a.castr", "-s", "b|c", "-c", "cache", "-l",
                "127.0.0.1:0", "-l", ":9", "-w", "--log", "-");
        ChunkServerCommand c = (ChunkServerCommand) r.subcommand().commandSpec().userObject();
        assertThat(c.stores).containsExactly("a.castr", "b|c");
        assertThat(c.cache).isEqualTo("cache");
        assertThat(c.server.listen).containsExactly("127.0.0.1:0", ":9");
        assertThat(c.server.writable).isTrue();
        assertThat(c.server.log).isEqualTo("-");
    }

    @Test
    void indexServerTakesOneStore() {
        CommandLine.ParseResult r = parse("index-server", "-s", "dir", "-l", "127.0.0.1:0", "--writeable");
        IndexServerCommand c = (IndexServerCommand) r.subcommand().commandSpec().userObject();
        assertThat(c.store).isEqualTo("dir");
        assertThat(c.server.writable).isTrue();
    }

    @Test
    void casyncOptionsAreNotTakenByTheServers() {
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"chunk-server", "-s", "x", "--chunk-size=64K"},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(status).isEqualTo(1);
        assertThat(err.toString()).contains("Unknown option: '--chunk-size=64K'").hasLineCount(1);
    }

    @Test
    void tlsOptionsMustComeTogether() {
        for (String[] args : new String[][] {{"--cert", "c.pem"}, {"--mutual-tls"}, {"--client-ca", "ca.pem"},
                {"--cert", "c.pem", "--key", "k.pem", "--mutual-tls"}}) {
            StringWriter err = new StringWriter();
            String[] all = new String[args.length + 3];
            all[0] = "index-server";
            all[1] = "-s";
            all[2] = ".";
            System.arraycopy(args, 0, all, 3, args.length);
            assertThat(Main.run(all, new PrintWriter(new StringWriter()), new PrintWriter(err))).isEqualTo(1);
            assertThat(err.toString()).startsWith("jcasync: --").hasLineCount(1);
        }
    }

    @Test
    void helpFitsIn80Columns() {
        for (String verb : new String[] {"chunk-server", "index-server"}) {
            StringWriter out = new StringWriter();
            int status = Main.run(new String[] {verb, "--help"}, new PrintWriter(out),
                    new PrintWriter(new StringWriter()));
            assertThat(status).isZero();
            assertThat(out.toString()).contains("Usage: jcasync " + verb);
            assertThat(out.toString().lines()).as(verb).allSatisfy(l -> assertThat(l.length()).as(l)
                    .isLessThanOrEqualTo(80));
        }
    }
}
