package io.keel.access.scsi;

import java.util.function.Function;

/**
 * One logical unit of a {@link BlockTarget}: its number, the volume behind it, and how to build
 * its reservations given the unit-attention sink the logical unit owns.
 *
 * @param lun the logical unit number (0–16383)
 * @param backend the volume
 * @param reservations builds the unit's {@link Reservations} around its unit-attention sink
 */
public record LunSpec(int lun, BlockBackend backend, Function<UnitAttentionSink, Reservations> reservations) {

    /** Validates the LUN range. */
    public LunSpec {
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("lun out of range: " + lun);
        }
    }
}
