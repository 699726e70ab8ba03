package org.jcasync.chunk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChunkerParamsTest {

    @ParameterizedTest
    @CsvSource({"1024,768", "4096,3075", "8192,6153", "16384,12318", "32768,24680", "65536,49535", "131072,99777",
            "262144,202440", "1048576,886711", "4194304,5721670"})
    void discriminatorTable(int avg, int d) {
        ChunkerParams p = ChunkerParams.of(0, avg, 0);
        assertThat(p.discriminator()).isEqualTo(Math.min(d, p.max()));
    }

    @Test
    void derivations() {
        assertThat(ChunkerParams.parse("16K")).isEqualTo(new ChunkerParams(4096, 16384, 65536, 12318));
        assertThat(ChunkerParams.of(1024, 0, 0).toString()).isEqualTo("1024:4096:16384");
        assertThat(ChunkerParams.of(0, 0, 16384).toString()).isEqualTo("1024:4096:16384");
        assertThat(ChunkerParams.of(0, 4096, 0).toString()).isEqualTo("1024:4096:16384");
        assertThat(ChunkerParams.of(128 * 1024, 0, 512 * 1024).toString()).isEqualTo("131072:262144:524288");
        assertThat(ChunkerParams.parse("auto")).isEqualTo(ChunkerParams.DEFAULT);
        assertThat(ChunkerParams.DEFAULT.toString()).isEqualTo("16384:65536:262144");
        // avg >= 9,324,557: C's undefined double->size_t cast ends as d = max.
        ChunkerParams big = ChunkerParams.parse("16M");
        assertThat(big.discriminator()).isEqualTo(big.max());
        assertThat(ChunkerParams.parse("8M").discriminator()).isEqualTo(ChunkerParams.parse("8M").max());
        assertThat(ChunkerParams.parse("1:1:1").fixed()).isTrue();
    }

    @Test
    void casyncErrors() {
        assertThatThrownBy(() -> ChunkerParams.parse("1K:4K")).hasMessageContaining("triplet");
        assertThatThrownBy(() -> ChunkerParams.parse("0")).hasMessage("Average chunk size must be >= 1.");
        assertThatThrownBy(() -> ChunkerParams.parse("129M")).hasMessage("Average chunk size must be <= 134217728.");
        assertThatThrownBy(() -> ChunkerParams.parse("8K:4K:16K"))
                .hasMessage("Average chunk size must be larger than minimum chunk size.");
        assertThatThrownBy(() -> ChunkerParams.parse("1K:4K:2K"))
                .hasMessage("Average chunk size must be smaller than maximum chunk size.");
        assertThatThrownBy(() -> ChunkerParams.parse("1K:4K:200M")).hasMessage("Maximum chunk size must be <= 134217728.");
        assertThatThrownBy(() -> ChunkerParams.parse("x")).hasMessage("Can't parse average chunk size: x");
        assertThatThrownBy(() -> ChunkerParams.parse("0:1:2")).hasMessage("Minimum chunk size must be >= 1.");
    }

    @Test
    void sizes() {
        assertThat(SizeParser.parse("64K")).isEqualTo(65536);
        assertThat(SizeParser.parse("1.5M")).isEqualTo(1572864);
        assertThat(SizeParser.parse("1M 512K")).isEqualTo(1572864);
        assertThat(SizeParser.parse("100")).isEqualTo(100);
        assertThat(SizeParser.parse("2B")).isEqualTo(2);
        assertThatThrownBy(() -> SizeParser.parse("1K 1M")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SizeParser.parse("-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SizeParser.parse("12Q")).isInstanceOf(IllegalArgumentException.class);
    }
}
