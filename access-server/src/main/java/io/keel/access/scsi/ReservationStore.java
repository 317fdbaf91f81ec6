package io.keel.access.scsi;

import java.io.IOException;

/**
 * Where a logical unit's persistent reservations are kept so they hold cluster-wide and survive
 * restarts: the meta server in a node, memory in tests. The state is opaque bytes whose format
 * the reservation code owns and documents; an empty array means no registrations.
 */
public interface ReservationStore {

    /** The saved state for {@code volumeId}, or an empty array. */
    byte[] load(String volumeId) throws IOException;

    /** Replaces the saved state for {@code volumeId}; durable when it returns. */
    void save(String volumeId, byte[] state) throws IOException;

    /**
     * The largest state {@link #save} takes: a change that would need more is refused before it is
     * saved (INSUFFICIENT REGISTRATION RESOURCES), not failed by the store.
     */
    default int maxStateBytes() {
        return Integer.MAX_VALUE;
    }
}
