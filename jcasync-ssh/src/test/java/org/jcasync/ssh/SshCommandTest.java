package org.jcasync.ssh;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Locations and the ssh command lines built from them. */
class SshCommandTest {
    @Test
    void parsesUserHostPortAndPath() {
        SshTarget t = SshTarget.parse(URI.create("ssh://alice@example.org:2222/srv/store"));
        assertThat(t).isEqualTo(new SshTarget("alice", "example.org", 2222, "/srv/store"));
        assertThat(SshTarget.parse(URI.create("sftp://[::1]/x")).host()).isEqualTo("::1");
        assertThat(SshTarget.parse(URI.create("ssh://h/~/store")).path()).isEqualTo("store");
    }

    @Test
    void refusesHostsThatSshWouldTakeForOptions() {
        assertThatThrownBy(() -> SshTarget.parse(URI.create("ssh://-oProxyCommand=x/store")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("starts with '-'");
        assertThatThrownBy(() -> SshTarget.parse(URI.create("ssh://host")))
                .hasMessageContaining("no remote path given");
        assertThatThrownBy(() -> SshTarget.parse(URI.create("ssh://host:99999/x")))
                .hasMessageContaining("port 99999 out of range");
    }

    @Test
    void casyncCommandLineAsCasyncBuildsIt() {
        SshTarget t = new SshTarget(null, "host", -1, "/srv/store");
        assertThat(new SshCommand(Map.of()).casync(t, 0, "pull", null, null, "/srv/store", List.of()))
                .containsExactly("ssh", "--", "host", "casync", "pull", "-", "-", "-", "/srv/store");
        SshCommand custom = new SshCommand(Map.of("CASYNC_SSH_PATH", "/opt/myssh", "CASYNC_REMOTE_PATH",
                "/opt/casync"));
        assertThat(custom.casync(new SshTarget("bob", "h", 2200, "x"), 1000, "pull", null, "my index.caibx", null,
                List.of()))
                .containsExactly("/opt/myssh", "-p", "2200", "bob@h", "/opt/casync", "--rate-limit-bps=1000", "pull",
                        "-", "-", "'my index.caibx'", "-");
        assertThat(new SshCommand(Map.of()).sftp(t)).containsExactly("ssh", "-s", "--", "host", "sftp");
    }

    @Test
    void quotesForTheRemoteShell() {
        assertThat(SshCommand.quote("/a/b-c_d.caibx")).isEqualTo("/a/b-c_d.caibx");
        assertThat(SshCommand.quote("it's; rm -rf /")).isEqualTo("'it'\\''s; rm -rf /'");
        assertThat(SshCommand.quote(null)).isEqualTo("-");
    }
}
