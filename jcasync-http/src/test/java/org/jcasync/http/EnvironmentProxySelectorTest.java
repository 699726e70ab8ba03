package org.jcasync.http;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvironmentProxySelectorTest {
    private static String via(EnvironmentProxySelector s, String url) {
        Proxy p = s.select(URI.create(url)).getFirst();
        if (p.type() == Proxy.Type.DIRECT) {
            return "direct";
        }
        InetSocketAddress a = (InetSocketAddress) p.address();
        return a.getHostString() + ":" + a.getPort();
    }

    @Test
    void perSchemeWithDefaultPorts() {
        EnvironmentProxySelector s = new EnvironmentProxySelector(Map.of("http_proxy", "http://proxy.example:3128/",
                "HTTPS_PROXY", "secure.example"));
        assertThat(via(s, "http://store.example/x")).isEqualTo("proxy.example:3128");
        assertThat(via(s, "https://store.example/x")).isEqualTo("secure.example:80");
        assertThat(via(new EnvironmentProxySelector(Map.of()), "http://store.example/x")).isEqualTo("direct");
    }

    @Test
    void lowerCaseWins() {
        EnvironmentProxySelector s = new EnvironmentProxySelector(Map.of("http_proxy", "a:1", "HTTP_PROXY", "b:2"));
        assertThat(via(s, "http://h/")).isEqualTo("a:1");
    }

    @Test
    void noProxyAndLoopbackGoDirect() {
        EnvironmentProxySelector s = new EnvironmentProxySelector(Map.of("http_proxy", "p:8080",
                "NO_PROXY", "internal.example, .corp.example,10.1.2.3,cache.example:8081"));
        assertThat(via(s, "http://internal.example/")).isEqualTo("direct");
        assertThat(via(s, "http://a.internal.example/")).isEqualTo("direct");
        assertThat(via(s, "http://notinternal.example/")).isEqualTo("p:8080");
        assertThat(via(s, "http://x.corp.example/")).isEqualTo("direct");
        assertThat(via(s, "http://corp.example/")).isEqualTo("direct");
        assertThat(via(s, "http://10.1.2.3/")).isEqualTo("direct");
        assertThat(via(s, "http://cache.example:8081/")).isEqualTo("direct");
        assertThat(via(s, "http://cache.example:8082/")).isEqualTo("p:8080");
        assertThat(via(s, "http://127.0.0.1:9/")).isEqualTo("direct");
        assertThat(via(s, "http://localhost:9/")).isEqualTo("direct");
        assertThat(via(s, "http://[::1]:9/")).isEqualTo("direct");
        assertThat(via(new EnvironmentProxySelector(Map.of("http_proxy", "p:1", "no_proxy", "*")), "http://h/"))
                .isEqualTo("direct");
    }

    @Test
    void badProxyIsNamed() {
        assertThatThrownBy(() -> new EnvironmentProxySelector(Map.of("http_proxy", "http://")))
                .hasMessageContaining("http://");
    }
}
