package org.jcasync.server;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListenAddressTest {
    @Test
    void parsesHostPortForms() {
        assertThat(ListenAddress.parse("127.0.0.1:8080")).isEqualTo(new ListenAddress("127.0.0.1", 8080));
        assertThat(ListenAddress.parse(":80")).isEqualTo(new ListenAddress("", 80));
        assertThat(ListenAddress.parse("[::1]:0")).isEqualTo(new ListenAddress("::1", 0));
        assertThat(ListenAddress.parse("[::1]:0").toString()).isEqualTo("[::1]:0");
        assertThat(ListenAddress.parse("localhost:9").toString()).isEqualTo("localhost:9");
    }

    @Test
    void refusesBadOnesWithTheReason() {
        assertThatThrownBy(() -> ListenAddress.parse("8080")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("host:")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("host:http")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> ListenAddress.parse("host:70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> ListenAddress.parse("::1:80")).hasMessageContaining("[ADDR]:PORT");
    }
}
