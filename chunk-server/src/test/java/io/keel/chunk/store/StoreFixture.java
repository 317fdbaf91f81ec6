package io.keel.chunk.store;

import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DirectFileDevice;
import io.keel.chunk.device.LayoutOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.UUID;

/** A formatted file-backed device for store tests, and how to open a store on it. */
record StoreFixture(Path path, UUID clusterId, UUID nodeId, StoreOptions options) {

    /** Formats a new file with small extents and journals, so tests exercise wrap-around and checkpoints. */
    static StoreFixture format(final Path path, final long deviceBytes, final long extentBytes, final int workers,
            final long journalBytesPerWorker) throws IOException {
        DeviceIdentity identity = new DeviceIdentity(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
        try (DirectFileDevice device = DirectFileDevice.create(path, deviceBytes)) {
            ChunkStore.format(device, identity, LayoutOptions.defaults(workers).withExtentSize(extentBytes)
                    .withJournalBytesPerWorker(journalBytesPerWorker), false);
        }
        return new StoreFixture(path, identity.clusterId(), identity.nodeId(),
                StoreOptions.defaults().withScrubBytesPerSecond(0));
    }

    ChunkStore open() throws IOException {
        return ChunkStore.open(DirectFileDevice.open(path), clusterId, nodeId, options);
    }

    StoreFixture withOptions(final StoreOptions value) {
        return new StoreFixture(path, clusterId, nodeId, value);
    }
}
