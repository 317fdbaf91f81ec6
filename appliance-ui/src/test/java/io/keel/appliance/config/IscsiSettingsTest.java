package io.keel.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.jackson.Jackson;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The iSCSI section of the node's YAML: defaults filled in, limits refused naming the setting. */
class IscsiSettingsTest {

    private final Validator validator = Validation.buildDefaultValidatorFactory().getValidator();

    private static IscsiSettings parse(final String json) throws Exception {
        return Jackson.newObjectMapper().readValue(json, IscsiSettings.class);
    }

    @Test
    void anEmptySectionGetsTheDocumentedDefaults() throws Exception {
        IscsiSettings settings = parse("{}");
        assertThat(settings.listen()).isEqualTo(List.of("0.0.0.0:3260"));
        assertThat(settings.queueDepth()).isEqualTo(128);
        assertThat(settings.maxConnections()).isEqualTo(1024);
        assertThat(validator.validate(settings)).isEmpty();
    }

    @Test
    void limitsOutsideTheirRangeAreRefusedNamingTheSetting() throws Exception {
        assertThat(validator.validate(parse("{\"maxConnections\": 65536, \"queueDepth\": 1024}"))).isEmpty();
        assertThat(paths(validator.validate(parse("{\"maxConnections\": 65537}")))).containsExactly("maxConnections");
        assertThat(paths(validator.validate(parse("{\"maxConnections\": -1}")))).containsExactly("maxConnections");
        assertThat(paths(validator.validate(parse("{\"queueDepth\": 1025}")))).containsExactly("queueDepth");
    }

    private static List<String> paths(final Set<ConstraintViolation<IscsiSettings>> violations) {
        return violations.stream().map(v -> v.getPropertyPath().toString()).toList();
    }
}
