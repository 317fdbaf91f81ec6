package io.keel.appliance.config;

import io.dropwizard.jackson.Jackson;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.util.List;

/** Reads one section of the node's YAML (as JSON) the way Dropwizard does, and validates it. */
final class Sections {

    private static final Validator VALIDATOR = Validation.buildDefaultValidatorFactory().getValidator();

    private Sections() {
    }

    static <T> T parse(final String json, final Class<T> type) throws Exception {
        return Jackson.newObjectMapper().readValue(json, type);
    }

    /** The property paths of every constraint {@code section} breaks (empty when valid). */
    static List<String> violations(final Object section) {
        return VALIDATOR.validate(section).stream().map(v -> v.getPropertyPath().toString()).toList();
    }
}
