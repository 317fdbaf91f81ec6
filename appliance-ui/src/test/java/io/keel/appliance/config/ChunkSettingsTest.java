package io.keel.appliance.config;

import static io.keel.appliance.config.Sections.violations;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The chunk section of the node's YAML: the scrubber's pace and pass interval, their defaults and limits. */
class ChunkSettingsTest {

    private static ChunkSettings parse(final String json) throws Exception {
        return Sections.parse(json, ChunkSettings.class);
    }

    @Test
    void theScrubberRunsAt16MiBPerSecondUnlessSetOrTurnedOff() throws Exception {
        assertThat(parse("{}").scrubMiBPerSecond()).isEqualTo(16);
        assertThat(parse("{}").workers()).isEqualTo(2);
        assertThat(parse("{\"scrubMiBPerSecond\": 0}").scrubMiBPerSecond()).isZero();
        assertThat(parse("{\"scrubMiBPerSecond\": 64}").scrubMiBPerSecond()).isEqualTo(64);
        assertThat(violations(parse("{\"scrubMiBPerSecond\": 4096}"))).isEmpty();
        assertThat(violations(parse("{\"scrubMiBPerSecond\": 4097}"))).containsExactly("scrubMiBPerSecond");
        assertThat(violations(parse("{\"scrubMiBPerSecond\": -1}"))).containsExactly("scrubMiBPerSecond");
    }

    @Test
    void aScrubPassStartsAtMostDailyUnlessSetWithinAYear() throws Exception {
        assertThat(parse("{}").scrubIntervalHours()).isEqualTo(24);
        assertThat(parse("{\"scrubIntervalHours\": 168}").scrubIntervalHours()).isEqualTo(168);
        assertThat(violations(parse("{\"scrubIntervalHours\": 1}"))).isEmpty();
        assertThat(violations(parse("{\"scrubIntervalHours\": 8760}"))).isEmpty();
        assertThat(violations(parse("{\"scrubIntervalHours\": 0}"))).containsExactly("scrubIntervalHours");
        assertThat(violations(parse("{\"scrubIntervalHours\": 8761}"))).containsExactly("scrubIntervalHours");
    }
}
