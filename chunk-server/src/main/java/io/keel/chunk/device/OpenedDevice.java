package io.keel.chunk.device;

import io.keel.journal.JournalDevice;
import java.io.IOException;

/**
 * A device whose superblock has been read and checked: the device, its superblock, and from
 * them the regions each worker owns. Closing it closes the device.
 */
public record OpenedDevice(BlockDevice device, Superblock superblock) implements AutoCloseable {

    /** Where everything lives on the device. */
    public DeviceLayout layout() {
        return superblock.layout();
    }

    /** Worker {@code worker}'s journal region (on a device that embeds journals). */
    public JournalDevice journal(int worker) {
        return device.region(layout().journalOffset(worker), layout().journalBytes());
    }

    /** Checkpoint slot {@code slot} (0 or 1) of worker {@code worker}. */
    public JournalDevice checkpointSlot(int worker, int slot) {
        return device.region(layout().checkpointSlotOffset(worker, slot), layout().checkpointSlotBytes());
    }

    @Override
    public void close() throws IOException {
        device.close();
    }
}
