package io.keel.appliance.chunk;

import com.codahale.metrics.MetricRegistry;
import io.keel.appliance.config.ChunkSettings;
import io.keel.appliance.config.ChunkSettings.DeviceSettings;
import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DirectFileDevice;
import io.keel.chunk.device.LayoutOptions;
import io.keel.chunk.store.ChunkStore;
import io.keel.chunk.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunk server of a node: its data devices, each opened as a {@link ChunkStore}. Missing
 * file-backed devices are created and formatted for this cluster and node; a device that belongs
 * to another cluster or node, or is damaged, stops the node with the reason.
 */
public final class ChunkRole implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkRole.class);

    private final List<OpenStore> stores;

    /** A store and the device it lives on, as the node registers it with the meta server. */
    public record OpenStore(Path path, ChunkStore store) {
        /** The device's capacity in bytes (what the allocator can hand out). */
        public long capacityBytes() {
            var stats = store.stats();
            return stats.totalBlocks() * stats.blockSize();
        }
    }

    private ChunkRole(final List<OpenStore> stores) {
        this.stores = List.copyOf(stores);
    }

    /**
     * Opens (creating and formatting where configured) every device of {@code settings}; a
     * relative device path is under {@code dataDir}.
     */
    public static ChunkRole open(final ChunkSettings settings, final Path dataDir, final UUID clusterId,
            final UUID nodeId, final MetricRegistry metrics) throws IOException {
        List<OpenStore> opened = new ArrayList<>();
        try {
            for (DeviceSettings device : settings.devices()) {
                Path path = dataDir.resolve(device.path());
                StoreOptions options = StoreOptions.defaults().withMetrics(metrics)
                        .withScrubBytesPerSecond((long) settings.scrubMiBPerSecond() << 20)
                        .withScrubPassInterval(Duration.ofHours(settings.scrubIntervalHours()));
                opened.add(new OpenStore(path, openDevice(path, device, settings.workers(), clusterId, nodeId,
                        options)));
            }
        } catch (IOException | RuntimeException e) {
            for (OpenStore store : opened) {
                try {
                    store.store().close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
        return new ChunkRole(opened);
    }

    private static ChunkStore openDevice(final Path path, final DeviceSettings device, final int workers,
            final UUID clusterId, final UUID nodeId, final StoreOptions options) throws IOException {
        if (!Files.exists(path)) {
            if (!device.createFile()) {
                throw new IOException("data device " + path + " does not exist (set createFile: true to create "
                        + "a file-backed device of sizeBytes there)");
            }
            Files.createDirectories(path.getParent());
            DeviceIdentity identity = new DeviceIdentity(clusterId, nodeId, UUID.randomUUID());
            try (DirectFileDevice created = DirectFileDevice.create(path, device.sizeBytes())) {
                ChunkStore.format(created, identity, LayoutOptions.defaults(workers), false);
            }
            LOG.info("created and formatted file-backed device {} ({} bytes) as {}", path, device.sizeBytes(),
                    identity);
        }
        DirectFileDevice opened = DirectFileDevice.open(path);
        try {
            ChunkStore store = ChunkStore.open(opened, clusterId, nodeId, options);
            LOG.info("opened data device {} (device {})", path, store.deviceId());
            return store;
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    /** The open stores, in configuration order. */
    public List<OpenStore> stores() {
        return stores;
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (OpenStore open : stores.reversed()) {
            try {
                open.store().close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
