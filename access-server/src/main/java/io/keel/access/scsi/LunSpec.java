package io.keel.access.scsi;

import java.util.function.Function;

/**
 * One logical unit of a {@link BlockTarget}: its number, the volume behind it, how to build its
 * reservations given the unit-attention sink the logical unit owns, whether it is exported
 * read-only, and the mode pages it shares with the other LUNs of its volume.
 *
 * @param lun the logical unit number (0–16383)
 * @param backend the volume
 * @param reservations builds the unit's {@link Reservations} around its unit-attention sink
 * @param readOnly whether the unit refuses every command that changes the medium (WRITE PROTECTED)
 * @param modes the volume's mode pages, shared by every LUN that exports it; null: the unit's own
 */
public record LunSpec(int lun, BlockBackend backend, Function<UnitAttentionSink, Reservations> reservations,
        boolean readOnly, ModePages modes) {

    /** Validates the LUN range. */
    public LunSpec {
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("lun out of range: " + lun);
        }
    }

    /** A writable unit with mode pages of its own. */
    public LunSpec(final int lun, final BlockBackend backend,
            final Function<UnitAttentionSink, Reservations> reservations) {
        this(lun, backend, reservations, false, null);
    }

    /** A unit with mode pages of its own. */
    public LunSpec(final int lun, final BlockBackend backend,
            final Function<UnitAttentionSink, Reservations> reservations, final boolean readOnly) {
        this(lun, backend, reservations, readOnly, null);
    }
}
