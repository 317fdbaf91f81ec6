package io.keel.appliance.access;

import io.keel.access.scsi.ReservationStore;
import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.SetScsiReservations;
import io.keel.meta.log.NotLeaderException;
import io.keel.meta.server.MetaClient;
import io.keel.meta.server.MetaService;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.UUID;

/**
 * Keeps SCSI persistent reservations in the meta server, so they hold on every node and survive
 * restarts: loaded from this node's meta member, saved through the meta leader.
 */
public final class MetaReservationStore implements ReservationStore {

    private static final Duration SAVE_TIMEOUT = Duration.ofSeconds(10);

    private final MetaService meta;
    private final MetaClient client;

    /** A store reading {@code meta} and changing it through {@code client}. */
    public MetaReservationStore(final MetaService meta, final MetaClient client) {
        this.meta = meta;
        this.client = client;
    }

    @Override
    public byte[] load(final String volumeId) {
        return meta.read(view -> view.scsiReservations(volumeId));
    }

    @Override
    public int maxStateBytes() {
        return SetScsiReservations.MAX_STATE_BYTES;
    }

    @Override
    public void save(final String volumeId, final byte[] state) throws IOException {
        ChangeResult result;
        try {
            result = client.submit(new SetScsiReservations("scsi-reservations:" + volumeId + ":" + UUID.randomUUID(),
                    volumeId, state), SAVE_TIMEOUT);
        } catch (NotLeaderException e) {
            throw new IOException("volume " + volumeId + ": no meta leader stored the reservation change: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("volume " + volumeId + ": interrupted while storing reservations");
        }
        if (!result.ok()) {
            throw new IOException("volume " + volumeId + ": the meta server refused the reservation change: "
                    + result.outcome() + " " + result.message());
        }
    }
}
