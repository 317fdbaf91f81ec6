package io.keel.meta.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(90)
class EmbeddedZooKeeperTest {

    private static final CuratorSettings FAST = CuratorSettings.defaults()
            .withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(3))
            .withRetry(Duration.ofMillis(50), Duration.ofMillis(500), 5);

    @TempDir
    Path dir;

    @Test
    void standaloneServesCurator() throws Exception {
        int port = FreePorts.take(1)[0];
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(ZooKeeperConfig.standalone(dir.resolve("zk"), port));
                CuratorFramework client = CuratorClients.start(zk.connectString(), FAST)) {
            assertThat(zk.isEmbedded()).isTrue();
            assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
            client.create().creatingParentsIfNeeded().forPath("/a/b", "x".getBytes(StandardCharsets.UTF_8));
            assertThat(client.getData().forPath("/a/b")).asString(StandardCharsets.UTF_8).isEqualTo("x");
            // the namespace is a real chroot
            assertThat(client.usingNamespace(null).checkExists().forPath("/keel/a/b")).isNotNull();
        }
    }

    @Test
    void externalStartsNothing() {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(ZooKeeperConfig.external("127.0.0.1:1"))) {
            assertThat(zk.isEmbedded()).isFalse();
            assertThat(zk.connectString()).isEqualTo("127.0.0.1:1");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void quorumServesWithOnePeerDown() throws Exception {
        int[] ports = FreePorts.take(9);
        List<ZooKeeperPeer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            peers.add(new ZooKeeperPeer(i + 1, "127.0.0.1", ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]));
        }
        List<EmbeddedZooKeeper> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                ZooKeeperConfig config = ZooKeeperConfig.quorum(i + 1, peers, ports[3 * i + 2], dir.resolve("zk" + i))
                        .withTickMillis(200)
                        .withClientBindAddress("127.0.0.1");
                servers.add(EmbeddedZooKeeper.start(config));
                assertThat(Files.readString(dir.resolve("zk" + i).resolve("myid")).strip()).isEqualTo("" + (i + 1));
            }
            String connect = servers.get(0).connectString();
            assertThat(connect.split(",")).hasSize(3);
            try (CuratorFramework client = CuratorClients.start(connect, FAST)) {
                assertThat(client.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
                client.create().creatingParentsIfNeeded().forPath("/q/one");
                servers.get(0).close();
                client.create().creatingParentsIfNeeded().forPath("/q/two");
                try (CuratorFramework other = CuratorClients.start(connect, FAST)) {
                    assertThat(other.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
                    assertThat(other.getChildren().forPath("/q")).containsExactlyInAnyOrder("one", "two");
                }
            }
        } finally {
            for (EmbeddedZooKeeper server : servers) {
                server.close();
            }
        }
    }
}
