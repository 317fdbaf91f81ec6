package io.keel.chunk.rpc;

import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DirectFileDevice;
import io.keel.chunk.device.LayoutOptions;
import io.keel.chunk.store.ChunkStore;
import io.keel.chunk.store.ExtentStore;
import io.keel.chunk.store.StoreOptions;
import io.keel.runtime.rpc.RpcClient;
import io.keel.runtime.rpc.RpcConfig;
import io.keel.runtime.rpc.RpcServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** A store served on loopback and the clients that call it; closes everything it made. */
final class RpcStoreHarness implements AutoCloseable {

    static final int SECTOR = 4096;
    static final int BLOCK = 64 * 1024;
    static final long EXTENT = 4L << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final RpcConfig CONFIG = RpcConfig.builder().maxPayloadBytes(2 << 20)
            .maxBufferedRequestBytes(64L << 20).build();

    private final List<AutoCloseable> closeables = new ArrayList<>();
    final RpcServer server;
    final InetSocketAddress address;
    final ExtentStoreService service;

    RpcStoreHarness(final ExtentStore store, final int serverMaxIo) throws IOException {
        server = new RpcServer(CONFIG);
        closeables.add(server);
        service = new ExtentStoreService(store, serverMaxIo);
        service.registerOn(server);
        address = server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** Formats a small file-backed device (as the store tests do) and opens a store on it. */
    static ChunkStore formatStore(final Path path, final long deviceBytes) throws IOException {
        DeviceIdentity identity = new DeviceIdentity(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
        try (DirectFileDevice device = DirectFileDevice.create(path, deviceBytes)) {
            ChunkStore.format(device, identity, LayoutOptions.defaults(2).withExtentSize(EXTENT)
                    .withJournalBytesPerWorker(2L << 20), false);
        }
        return ChunkStore.open(DirectFileDevice.open(path), identity.clusterId(), identity.nodeId(),
                StoreOptions.defaults().withScrubBytesPerSecond(0));
    }

    RpcClient client() {
        RpcClient client = new RpcClient(address, CONFIG);
        closeables.add(client);
        return client;
    }

    RemoteExtentStore remote(final int clientMaxIo) throws IOException {
        return RemoteExtentStore.connect(client(), CONFIG, TIMEOUT, clientMaxIo);
    }

    RemoteExtentStore remote(final int clientMaxIo, final int listPage) throws IOException {
        return RemoteExtentStore.connect(client(), CONFIG, TIMEOUT, clientMaxIo, listPage);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable closeable : closeables.reversed()) {
            closeable.close();
        }
    }
}
