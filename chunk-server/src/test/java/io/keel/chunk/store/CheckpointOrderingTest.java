package io.keel.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DeviceLayout;
import io.keel.chunk.device.DeviceOpener;
import io.keel.chunk.device.DeviceRole;
import io.keel.chunk.device.LayoutOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Deterministic power cuts at the moments the power-loss property test found dangerous. Regression
 * for: a checkpoint wrote dirty sectors home (in place, over data the previous checkpoint
 * describes) before their journal records were durable; power lost before the new checkpoint slot
 * was durable left the old slot's checksums over new data: checksum errors, and the acknowledged
 * sector overwritten by one never acknowledged.
 */
class CheckpointOrderingTest {

    private static final int SECTOR = 4096;
    private static final long EXTENT_BYTES = 4L << 20;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCheckpointWritesNothingHomeBeforeItsRecordsAreDurable() throws Exception {
        UUID clusterId = UUID.randomUUID();
        UUID nodeId = UUID.randomUUID();
        StoreOptions options = StoreOptions.defaults().withScrubBytesPerSecond(0);
        PowerLossDevice formatted = PowerLossDevice.create(64L << 20);
        ChunkStore.format(formatted, new DeviceIdentity(clusterId, nodeId, UUID.randomUUID()),
                LayoutOptions.defaults(1).withExtentSize(EXTENT_BYTES).withJournalBytesPerWorker(2L << 20), false);
        DeviceLayout layout = DeviceOpener.open(formatted, clusterId, nodeId, DeviceRole.DATA).layout();
        try (ChunkStore store = ChunkStore.open(formatted, clusterId, nodeId, options)) {
            store.create(1, 1);
            store.write(1, 1, 0, CrashPattern.data(0, 1, 0, 1));
        }
        // Write 1 is acknowledged, home in its block and in the newest checkpoint.
        PowerLossDevice device = formatted.reopen();
        ChunkStore store = ChunkStore.open(device, clusterId, nodeId, options);
        device.hold(layout.journalOffset(0), layout.journalOffset(0) + layout.journalBytes());
        PowerLossDevice.Hold slots = device.hold(layout.checkpointSlotOffset(0, 0),
                layout.checkpointSlotOffset(0, 1) + layout.checkpointSlotBytes());
        Thread writer = new Thread(() -> quietly(() -> store.write(1, 1, 0, CrashPattern.data(0, 2, 0, 1))));
        writer.start();
        for (int i = 0; i < 1000 && store.stats().dirtySectors() == 0; i++) {
            Thread.sleep(10);
        }
        assertThat(store.stats().dirtySectors()).as("write 2 appended (its journal write hangs)").isEqualTo(1);
        Thread closer = new Thread(() -> quietly(store::close));
        closer.start();
        boolean slotReached = slots.awaitHit(1000);
        PowerLossDevice survivor = device.powerLoss(new Random(1), null);
        writer.join(30_000);
        closer.join(30_000);
        assertThat(writer.isAlive() || closer.isAlive()).as("threads finished after the power cut").isFalse();
        try (ChunkStore reopened = ChunkStore.open(survivor, clusterId, nodeId, options)) {
            ByteBuffer sector = ByteBuffer.allocate(SECTOR);
            try {
                reopened.read(1, 0, sector);
            } catch (ChecksumMismatchException e) {
                throw new AssertionError("the checkpoint wrote write 2 home before its record was durable"
                        + " (checkpoint slot write reached: " + slotReached + "): " + e.getMessage(), e);
            }
            assertThat(CrashPattern.identify(sector, 0, 0, 0)).as("write 1, or write 2 that was in flight")
                    .isIn(1L, 2L);
        }
    }

    /**
     * Regression: the slot was written header and payload in one multi-sector write; power lost
     * before its flush could keep the header sector and lose a payload sector, and open then
     * refused the store ("checkpoint payload checksum mismatch") although the previous slot and
     * the untrimmed journal were intact.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTornCheckpointSlotWriteLeavesTheStoreOpenable() throws Exception {
        UUID clusterId = UUID.randomUUID();
        UUID nodeId = UUID.randomUUID();
        StoreOptions options = StoreOptions.defaults().withScrubBytesPerSecond(0);
        PowerLossDevice device = PowerLossDevice.create(64L << 20);
        ChunkStore.format(device, new DeviceIdentity(clusterId, nodeId, UUID.randomUUID()),
                LayoutOptions.defaults(1).withExtentSize(EXTENT_BYTES).withJournalBytesPerWorker(2L << 20), false);
        DeviceLayout layout = DeviceOpener.open(device, clusterId, nodeId, DeviceRole.DATA).layout();
        ChunkStore store = ChunkStore.open(device, clusterId, nodeId, options);
        for (long extent = 1; extent <= 3; extent++) {
            store.create(extent, 1);
            store.write(extent, 1, 0, CrashPattern.data(0, extent, 0, 2));
        }
        long slots = layout.checkpointSlotOffset(0, 0);
        long slotsEnd = layout.checkpointSlotOffset(0, 1) + layout.checkpointSlotBytes();
        device.cutAtFlushAfterWriteTo(slots, slotsEnd);
        quietly(store::close);
        long[] headers = {layout.checkpointSlotOffset(0, 0) / SECTOR, layout.checkpointSlotOffset(0, 1) / SECTOR};
        PowerLossDevice survivor = device.powerLoss(sector -> sector == headers[0] || sector == headers[1]);
        try (ChunkStore reopened = ChunkStore.open(survivor, clusterId, nodeId, options)) {
            for (long extent = 1; extent <= 3; extent++) {
                ByteBuffer data = ByteBuffer.allocate(2 * SECTOR);
                reopened.read(extent, 0, data);
                assertThat(CrashPattern.identify(data, 0, 0, 0)).isEqualTo(extent);
                assertThat(CrashPattern.identify(data, SECTOR, 0, SECTOR)).isEqualTo(extent);
            }
        }
    }

    private interface Action {
        void run() throws IOException;
    }

    private static void quietly(final Action action) {
        try {
            action.run();
        } catch (IOException expected) {
            // Power was cut under it.
        }
    }
}
