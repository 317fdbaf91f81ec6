package io.keel.access.scsi;

import java.util.function.Function;

/**
 * One logical unit of a {@link BlockTarget}: its number, the volume behind it, how to build its
 * reservations given the unit-attention sink the logical unit owns, and whether it is exported
 * read-only.
 *
 * @param lun the logical unit number (0–16383)
 * @param backend the volume
 * @param reservations builds the unit's {@link Reservations} around its unit-attention sink
 * @param readOnly whether the unit refuses every command that changes the medium (WRITE PROTECTED)
 */
public record LunSpec(int lun, BlockBackend backend, Function<UnitAttentionSink, Reservations> reservations,
        boolean readOnly) {

    /** Validates the LUN range. */
    public LunSpec {
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("lun out of range: " + lun);
        }
    }

    /** A writable unit. */
    public LunSpec(final int lun, final BlockBackend backend,
            final Function<UnitAttentionSink, Reservations> reservations) {
        this(lun, backend, reservations, false);
    }
}
