package io.keel.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.jackson.Jackson;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import org.junit.jupiter.api.Test;

/** The chunk section of the node's YAML: the scrubber's pace, its default, off, and its limits. */
class ChunkSettingsTest {

    private final Validator validator = Validation.buildDefaultValidatorFactory().getValidator();

    private static ChunkSettings parse(final String json) throws Exception {
        return Jackson.newObjectMapper().readValue(json, ChunkSettings.class);
    }

    @Test
    void theScrubberRunsAt16MiBPerSecondUnlessSetOrTurnedOff() throws Exception {
        assertThat(parse("{}").scrubMiBPerSecond()).isEqualTo(16);
        assertThat(parse("{}").workers()).isEqualTo(2);
        assertThat(parse("{\"scrubMiBPerSecond\": 0}").scrubMiBPerSecond()).isZero();
        assertThat(parse("{\"scrubMiBPerSecond\": 64}").scrubMiBPerSecond()).isEqualTo(64);
        assertThat(validator.validate(parse("{\"scrubMiBPerSecond\": 4096}"))).isEmpty();
        assertThat(validator.validate(parse("{\"scrubMiBPerSecond\": 4097}")))
                .extracting(v -> v.getPropertyPath().toString()).containsExactly("scrubMiBPerSecond");
        assertThat(validator.validate(parse("{\"scrubMiBPerSecond\": -1}")))
                .extracting(v -> v.getPropertyPath().toString()).containsExactly("scrubMiBPerSecond");
    }
}
