package org.jcasync.store;

import org.jcasync.chunk.ChunkId;
import org.jcasync.chunk.DigestAlgorithm;
import org.jcasync.chunk.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreRegistryTest {
    @TempDir
    Path tmp;

    /** A provider of "mem://NAME" stores: a local store per name, to check dispatch by scheme. */
    final class DirProvider implements StoreProvider {
        final List<URI> opened = new ArrayList<>();

        @Override
        public Set<String> schemes() {
            return Set.of("mem");
        }

        @Override
        public ChunkStore open(URI location, StoreOptions options, TransportOptions transport) {
            opened.add(location);
            return new LocalStore(tmp.resolve(location.getHost()), options);
        }

        @Override
        public <T> T readFile(URI location, TransportOptions transport, org.jcasync.io.StreamParser<T> parser)
                throws IOException {
            try (java.io.InputStream in = Files.newInputStream(tmp.resolve(location.getHost()))) {
                return parser.parse(in);
            }
        }
    }

    private static ChunkId put(WritableChunkStore s, byte[] d) throws IOException {
        ChunkId id = DigestAlgorithm.SHA512_256.digest(d, 0, d.length);
        s.put(id, d, 0, d.length);
        return id;
    }

    @Test
    void pathsAndFileUrlsAreLocalStores() throws IOException {
        StoreRegistry r = new StoreRegistry(List.of());
        byte[] d = TestData.random(1, 5000);
        ChunkId id = put(r.openWritable(tmp.resolve("s").toString(), StoreOptions.DEFAULT, TransportOptions.DEFAULT),
                d);
        try (ChunkStore s = r.open(tmp.resolve("s").toUri().toString(), StoreOptions.DEFAULT,
                TransportOptions.DEFAULT)) {
            assertThat(s).isInstanceOf(LocalStore.class);
            assertThat(s.get(id)).isEqualTo(d);
        }
        assertThat(StoreRegistry.isRemote("/x/y")).isFalse();
        assertThat(StoreRegistry.isRemote("file:///x/y")).isFalse();
        assertThat(StoreRegistry.isRemote("https://h/x")).isTrue();
        assertThat(StoreRegistry.isRemote("host:path")).isFalse();
    }

    @Test
    void urlsGoToTheProviderOfTheirScheme() throws IOException {
        DirProvider p = new DirProvider();
        StoreRegistry r = new StoreRegistry(List.of(p));
        assertThat(r.schemes()).containsExactly("mem");
        Files.write(tmp.resolve("idx"), new byte[] {1, 2, 3});
        assertThat(r.readFile("MEM://idx", TransportOptions.DEFAULT)).containsExactly(1, 2, 3);
        try (ChunkStore s = r.open("mem://a", StoreOptions.DEFAULT, TransportOptions.DEFAULT)) {
            assertThat(s.location()).isEqualTo(tmp.resolve("a").toString());
        }
        assertThat(p.opened).containsExactly(URI.create("mem://a"));
        assertThatThrownBy(() -> r.openWritable("mem://a", StoreOptions.DEFAULT, TransportOptions.DEFAULT))
                .hasMessageContaining("mem stores are read-only");
        assertThatThrownBy(() -> r.writeFile("mem://a", new byte[1], TransportOptions.DEFAULT))
                .hasMessageContaining("read-only");
    }

    @Test
    void unknownSchemesAreNamedWithTheSupportedOnes() {
        StoreRegistry r = new StoreRegistry(List.of(new DirProvider()));
        assertThatThrownBy(() -> r.open("gopher://h/s", StoreOptions.DEFAULT, TransportOptions.DEFAULT))
                .isInstanceOf(StoreException.class)
                .hasMessage("unsupported location gopher://h/s: no support for gopher:// (supported: file://, "
                        + "mem://)");
        assertThatThrownBy(() -> r.readFile("gopher://h/x.caibx", TransportOptions.DEFAULT))
                .hasMessageContaining("no support for gopher://");
    }

    @Test
    void barSeparatedLocationsAreFailoverGroups() throws IOException {
        StoreRegistry r = new StoreRegistry(List.of(new DirProvider()));
        byte[] d = TestData.random(2, 3000);
        put(new LocalStore(tmp.resolve("b"), StoreOptions.DEFAULT), d);
        try (ChunkStore s = r.open("mem://a|" + tmp.resolve("b"), StoreOptions.DEFAULT, TransportOptions.DEFAULT)) {
            assertThat(s).isInstanceOf(FailoverStore.class);
            assertThat(((FailoverStore) s).mirrors()).hasSize(2);
            assertThat(s.location()).isEqualTo(tmp.resolve("a") + "|" + tmp.resolve("b"));
        }
        assertThatThrownBy(() -> r.open("mem://a||mem://b", StoreOptions.DEFAULT, TransportOptions.DEFAULT))
                .hasMessageContaining("empty store in failover group");
        assertThatThrownBy(() -> r.openWritable("mem://a|mem://b", StoreOptions.DEFAULT, TransportOptions.DEFAULT))
                .hasMessageContaining("cannot write to a failover group");
    }

    @Test
    void localFilesAreWrittenWhole() throws IOException {
        StoreRegistry r = new StoreRegistry(List.of());
        Path f = tmp.resolve("x.caibx");
        r.writeFile(f.toString(), new byte[] {9, 8}, TransportOptions.DEFAULT);
        assertThat(r.readFile(f.toString(), TransportOptions.DEFAULT)).containsExactly(9, 8);
        try (var s = Files.list(tmp)) {
            assertThat(s.toList()).containsExactly(f);
        }
        assertThatThrownBy(() -> r.readFile(tmp.resolve("none.caibx").toString(), TransportOptions.DEFAULT))
                .hasMessageContaining("none.caibx");
    }
}
