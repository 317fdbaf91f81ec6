package io.keel.access.scsi.reservation;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The persistent reservation state of a volume could not be loaded: the store failed, or what it
 * holds is corrupt, truncated or of a newer format. The logical unit must not come online with
 * empty state instead (that would silently drop other initiators' registrations and fencing); it
 * reports the message to the operator and keeps the LU offline until the store is repaired.
 */
public final class ReservationStateException extends UncheckedIOException {

    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}, caused by {@code cause}. */
    public ReservationStateException(final String message, final IOException cause) {
        super(message, cause);
    }
}
