package io.keel.access.scsi.reservation;

import io.keel.access.scsi.ReservationStore;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/** A {@link ReservationStore} in memory whose saves can be made to fail. */
class MemoryReservationStore implements ReservationStore {

    private final Map<String, byte[]> states = new HashMap<>();
    volatile boolean failSaves;
    volatile int saves;

    @Override
    public synchronized byte[] load(final String volumeId) {
        byte[] s = states.get(volumeId);
        return s == null ? new byte[0] : s.clone();
    }

    @Override
    public synchronized void save(final String volumeId, final byte[] state) throws IOException {
        if (failSaves) {
            throw new IOException("meta server unreachable");
        }
        saves++;
        states.put(volumeId, state.clone());
    }

    synchronized void put(final String volumeId, final byte[] state) {
        states.put(volumeId, state.clone());
    }
}
