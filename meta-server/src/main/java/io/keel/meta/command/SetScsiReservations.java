package io.keel.meta.command;

import java.util.Arrays;
import java.util.Objects;

/**
 * Replaces the SCSI persistent reservation state of a volume (registrations and reservation, in
 * the access server's own versioned byte format, at most {@link #MAX_STATE_BYTES}); an empty state
 * removes it. Kept here so reservations hold on every node and survive restarts.
 */
public record SetScsiReservations(String changeId, String volumeId, byte[] state) implements MetaCommand {

    /** The largest state accepted: room for thousands of registrations. */
    public static final int MAX_STATE_BYTES = 256 * 1024;

    /** Compares the state by content (a record compares arrays by identity). */
    @Override
    public boolean equals(final Object other) {
        return other instanceof SetScsiReservations that && changeId.equals(that.changeId)
                && volumeId.equals(that.volumeId) && Arrays.equals(state, that.state);
    }

    @Override
    public int hashCode() {
        return Objects.hash(changeId, volumeId, Arrays.hashCode(state));
    }

    @Override
    public String toString() {
        return "SetScsiReservations[changeId=" + changeId + ", volumeId=" + volumeId + ", state="
                + (state == null ? 0 : state.length) + " bytes]";
    }
}
