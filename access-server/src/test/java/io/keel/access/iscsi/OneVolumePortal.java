package io.keel.access.iscsi;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.scsi.BlockTarget;
import io.keel.access.scsi.FakeReservations;
import io.keel.access.scsi.LunSpec;
import io.keel.access.scsi.MemoryBackend;
import io.keel.access.scsi.TargetOptions;
import java.util.List;

/**
 * Fixture: a portal on 127.0.0.1 serving one target, open to any initiator without CHAP, whose
 * LUN 0 is an in-memory volume (whose writes a test can hold at its gate), with the portal's metrics.
 */
final class OneVolumePortal implements AutoCloseable {

    final MetricRegistry metrics = new MetricRegistry();
    final MemoryBackend volume;
    final IscsiPortal portal;
    final int port;

    OneVolumePortal(final String iqn, final long bytes) {
        volume = new MemoryBackend("vol-" + iqn.substring(iqn.indexOf(':') + 1), bytes, true);
        TestTargets targets = new TestTargets();
        targets.add(new TargetEntry(iqn, null, List.of(), null, new BlockTarget(
                List.of(new LunSpec(0, volume, FakeReservations::new)), TargetOptions.defaults())));
        portal = targets.start(TestTargets.config(), metrics);
        port = portal.boundAddresses().get(0).getPort();
    }

    /** The value of the portal's gauge {@code name}. */
    long gauge(final String name) {
        return ((Number) metrics.getGauges().get(name).getValue()).longValue();
    }

    @Override
    public void close() {
        volume.writeGate = null;
        portal.close();
    }
}
