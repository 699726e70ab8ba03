package org.jcasync.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** gc's {@code --grace=DURATION}: what it takes, what it refuses, how it is printed back. */
class GraceDurationTest {
    @Test
    void unitsInSequenceOrBareSeconds() {
        assertThat(GraceDuration.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(GraceDuration.parse("90")).isEqualTo(Duration.ofSeconds(90));
        assertThat(GraceDuration.parse("45s")).isEqualTo(Duration.ofSeconds(45));
        assertThat(GraceDuration.parse("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(GraceDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GraceDuration.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(GraceDuration.parse("36500d")).isEqualTo(Duration.ofDays(36_500));
    }

    @Test
    void anythingElseIsRefusedInOneLine() {
        for (String bad : new String[] {"", "h", "-1h", "1x", "1h ", " 1h", "1H", "1.5h", "1h-", "99999999999",
                "36501d", "999999999d999999999d", "1e3"}) {
            assertThatThrownBy(() -> GraceDuration.parse(bad)).as(bad).isInstanceOf(TypeConversionException.class)
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void printedAsTheLargestWholeUnit() {
        assertThat(GraceDuration.format(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(GraceDuration.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(GraceDuration.format(Duration.ofDays(2))).isEqualTo("2d");
        assertThat(GraceDuration.format(Duration.ofSeconds(61))).isEqualTo("61s");
        assertThat(GraceDuration.format(Duration.ZERO)).isEqualTo("0s");
    }
}
