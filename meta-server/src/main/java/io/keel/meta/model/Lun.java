package io.keel.meta.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One logical unit of an iSCSI target: LUN number 0–255, the id of the volume behind it, and
 * whether initiators may only read it ({@code readOnly} is stored only when true, so a writable
 * LUN's bytes are what they were before the field existed).
 */
public record Lun(int number, String volumeId, @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean readOnly) {

    /** A writable LUN. */
    public Lun(final int number, final String volumeId) {
        this(number, volumeId, false);
    }

    /** Reads a stored LUN, where a missing {@code readOnly} means writable. */
    @JsonCreator
    static Lun read(@JsonProperty("number") final int number, @JsonProperty("volumeId") final String volumeId,
            @JsonProperty("readOnly") final Boolean readOnly) {
        return new Lun(number, volumeId, Boolean.TRUE.equals(readOnly));
    }
}
