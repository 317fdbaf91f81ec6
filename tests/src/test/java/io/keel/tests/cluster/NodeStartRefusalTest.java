package io.keel.tests.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DirectFileDevice;
import io.keel.chunk.device.LayoutOptions;
import io.keel.chunk.store.ChunkStore;
import io.keel.tests.harness.Await;
import io.keel.tests.harness.NodeProcess;
import io.keel.tests.harness.Rest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node refuses to start, and says why, when its configuration is wrong or its device belongs
 * to another cluster; and it runs against an external ZooKeeper ensemble.
 */
class NodeStartRefusalTest {

    @TempDir
    Path root;

    @Test
    void aDeviceOfAnotherClusterStopsTheNodeWithTheReason() throws Exception {
        NodeProcess node = new NodeProcess("stranger", root.resolve("stranger"), NodeProcess.freePort(),
                NodeProcess.freePort());
        Path device = node.dataDir.resolve("devices/data-0.img");
        Files.createDirectories(device.getParent());
        try (DirectFileDevice file = DirectFileDevice.create(device, 256L << 20)) {
            ChunkStore.format(file, new DeviceIdentity(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()),
                    LayoutOptions.defaults(1), false);
        }
        node.writeConfig(node.baseConfig(NodeProcess.freePort()) + """
                zookeeper: {mode: embedded, clientPort: %d}
                chunk:
                  devices: [{path: devices/data-0.img, sizeBytes: 268435456, createFile: true}]
                """.formatted(NodeProcess.freePort()));
        node.start();
        try {
            assertThat(node.awaitExit(Duration.ofSeconds(60))).isNotZero();
            String said = node.console() + Files.readString(node.dataDir.resolve("keel.log"));
            assertThat(said).contains(device.toString()).contains("OTHER_CLUSTER");
        } finally {
            node.kill();
        }
    }

    @Test
    void anUnknownKeyOrAValueOutOfRangeIsRefusedBeforeAnythingStarts() throws Exception {
        NodeProcess typo = new NodeProcess("typo", root.resolve("typo"), NodeProcess.freePort(),
                NodeProcess.freePort());
        typo.writeConfig(typo.baseConfig(NodeProcess.freePort()) + "  rpcPrt: 7000\n");
        typo.start();
        assertThat(typo.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(typo.console()).contains("rpcPrt");

        NodeProcess range = new NodeProcess("range", root.resolve("range"), NodeProcess.freePort(),
                NodeProcess.freePort());
        range.writeConfig(range.baseConfig(70000) + "zookeeper: {mode: sideways}\n");
        range.start();
        assertThat(range.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(range.console()).contains("sideways");

        NodeProcess quorum = new NodeProcess("quorum", root.resolve("quorum"), NodeProcess.freePort(),
                NodeProcess.freePort());
        quorum.writeConfig(quorum.baseConfig(NodeProcess.freePort()) + """
                zookeeper: {mode: quorum, myId: 4, servers: ["1=127.0.0.1:1:2"]}
                """);
        quorum.start();
        assertThat(quorum.awaitExit(Duration.ofSeconds(60))).isNotZero();
        assertThat(quorum.console() + logOf(quorum)).contains("myId");
        assertThat(Files.exists(quorum.dataDir.resolve("devices"))).isFalse();
    }

    @Test
    void aNodeRunsAgainstAnExternalEnsemble() throws Exception {
        try (TestingServer zookeeper = new TestingServer(true)) {
            NodeProcess node = new NodeProcess("outside", root.resolve("outside"), NodeProcess.freePort(),
                    NodeProcess.freePort());
            node.writeConfig(node.baseConfig(NodeProcess.freePort()) + """
                    zookeeper: {mode: external, connectString: "%s"}
                    chunk:
                      devices: [{path: devices/data-0.img, sizeBytes: 268435456, createFile: true}]
                    admin: {initialPassword: external-test}
                    """.formatted(zookeeper.getConnectString()));
            node.start();
            try {
                Rest rest = new Rest(node.restPort, "admin", "external-test");
                Await.until("the node up on the external ensemble", Duration.ofSeconds(60), () -> {
                    if (!node.isAlive()) {
                        throw new AssertionError("node exited:\n" + node.console());
                    }
                    Rest.Reply nodes = rest.get("/api/v1/nodes");
                    return nodes.status() == 200 && nodes.body().size() == 1 ? nodes : null;
                });
                assertThat(rest.post("/api/v1/pools", "{\"name\":\"p\",\"replicationFactor\":1}").status())
                        .isEqualTo(201);
            } finally {
                node.stop();
            }
        }
    }

    private static String logOf(final NodeProcess node) throws java.io.IOException {
        Path log = node.dataDir.resolve("keel.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
