package io.keel.tests.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keel.tests.harness.Await;
import io.keel.tests.harness.NodeProcess;
import io.keel.tests.harness.Rest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on loopback forming one cluster with an embedded ZooKeeper quorum:
 * placement across nodes, the meta leader killed with SIGKILL during a stream of changes, and a
 * chunk node killed and marked down. The tests run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeNodeClusterTest {

    private static final String PASSWORD = "cluster-test-password";
    private static final Duration NODE_DOWN_TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    static Path root;

    private final List<NodeProcess> nodes = new ArrayList<>();
    private final List<Rest> clients = new ArrayList<>();

    @BeforeAll
    void startCluster() throws Exception {
        int[] peer = new int[3];
        int[] election = new int[3];
        int[] client = new int[3];
        for (int i = 0; i < 3; i++) {
            peer[i] = NodeProcess.freePort();
            election[i] = NodeProcess.freePort();
            client[i] = NodeProcess.freePort();
        }
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            servers.append("    - ").append(i + 1).append("=127.0.0.1:").append(peer[i]).append(':')
                    .append(election[i]).append(';').append(client[i]).append('\n');
        }
        Path key = root.resolve("cluster.key");
        java.nio.file.Files.writeString(key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        for (int i = 0; i < 3; i++) {
            NodeProcess node = new NodeProcess("node-" + (i + 1), root.resolve("node-" + (i + 1)),
                    NodeProcess.freePort(), NodeProcess.freePort());
            node.writeConfig(node.baseConfig(NodeProcess.freePort()) + """
                      labels: {rack: rack-%d}
                    zookeeper:
                      mode: quorum
                      myId: %d
                      clientPort: %d
                      sessionTimeout: 4s
                      servers:
                    %s
                    chunk:
                      devices: [{path: devices/data-0.img, sizeBytes: 1073741824, createFile: true}]
                    meta:
                      heartbeatInterval: 500ms
                      nodeDownTimeout: %ds
                    cluster:
                      keyFile: %s
                    admin:
                      initialPassword: %s
                    """.formatted(i + 1, i + 1, client[i], servers.toString().stripTrailing(),
                    NODE_DOWN_TIMEOUT.toSeconds(), key, PASSWORD));
            nodes.add(node);
            clients.add(new Rest(node.restPort, "admin", PASSWORD));
        }
        for (NodeProcess node : nodes) {
            node.start();
        }
        for (int i = 0; i < 3; i++) {
            Rest rest = clients.get(i);
            NodeProcess node = nodes.get(i);
            Await.until(node + " up with a leader", Duration.ofSeconds(90), () -> {
                if (!node.isAlive()) {
                    throw new AssertionError(node + " exited:\n" + node.console());
                }
                Rest.Reply health = rest.get("/api/v1/health");
                return health.status() == 200 && !health.body().path("leader").isNull() ? health : null;
            });
        }
        Await.until("three nodes registered and up", Duration.ofSeconds(30), () -> {
            Rest.Reply list = clients.get(0).get("/api/v1/nodes");
            long up = 0;
            for (JsonNode node : list.body()) {
                up += "UP".equals(node.path("state").asText()) ? 1 : 0;
            }
            return up == 3 ? list : null;
        });
    }

    @AfterAll
    void stopCluster() throws InterruptedException {
        for (NodeProcess node : nodes) {
            node.stop();
        }
    }

    @Test
    @Order(1)
    void extentsOfAReplicatedVolumeArePlacedOnThreeDistinctNodes() throws Exception {
        Rest rest = clients.get(1);
        assertThat(rest.post("/api/v1/pools", """
                {"name": "triple", "replicationFactor": 3}""").status()).isEqualTo(201);
        Rest.Reply volume = rest.post("/api/v1/volumes", """
                {"name": "db-1", "pool": "triple", "sizeBytes": 1073741824}""");
        assertThat(volume.status()).as(volume.toString()).isEqualTo(201);

        Rest.Reply extents = rest.get("/api/v1/volumes/db-1/extents");
        assertThat(extents.status()).isEqualTo(200);
        assertThat(extents.body()).hasSize(4);
        for (JsonNode extent : extents.body()) {
            Set<String> replicas = new HashSet<>();
            extent.get("replicas").forEach(replica -> replicas.add(replica.asText()));
            assertThat(replicas).as("replicas of extent %s", extent).hasSize(3);
            assertThat(replicas).contains(extent.get("leader").asText());
        }
        assertThat(rest.post("/api/v1/pools", """
                {"name": "quad", "replicationFactor": 4}""").status()).isEqualTo(400);
        // Two replicas: changes keep working while one of the three nodes is down.
        assertThat(rest.post("/api/v1/pools", """
                {"name": "double", "replicationFactor": 2}""").status()).isEqualTo(201);
    }

    @Test
    @Order(2)
    void killingTheMetaLeaderDuringAStreamOfChangesLosesNothingAcknowledged() throws Exception {
        String leaderName = clients.get(0).get("/api/v1/cluster").body().path("leader").path("node").asText();
        int leaderIndex = indexOf(leaderName);
        Rest writer = clients.get((leaderIndex + 1) % 3);

        ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> unexpected = new AtomicReference<>();
        Thread stream = Thread.ofVirtual().start(() -> {
            for (int n = 0; n < 400 && !stop.get(); n++) {
                String name = "stream-" + n;
                String key = UUID.randomUUID().toString();
                Instant giveUp = Instant.now().plusSeconds(40);
                while (Instant.now().isBefore(giveUp)) {
                    try {
                        Rest.Reply reply = writer.post("/api/v1/volumes", """
                                {"name": "%s", "pool": "double", "sizeBytes": 268435456}""".formatted(name), key);
                        if (reply.status() == 201) {
                            acknowledged.add(name);
                            break;
                        }
                        if (reply.status() != 503) {
                            unexpected.set(name + ": " + reply);
                            return;
                        }
                    } catch (java.io.IOException e) {
                        // the node we write to is alive; a timeout during the election is retried
                    } catch (InterruptedException e) {
                        return;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        Await.until("a few changes acknowledged", Duration.ofSeconds(60), () -> acknowledged.size() >= 5 ? 1 : null);
        Instant killedAt = Instant.now();
        nodes.get(leaderIndex).kill();

        String newLeader = Await.until("a new meta leader", Duration.ofSeconds(30), () -> {
            JsonNode cluster = writer.get("/api/v1/cluster").body();
            String leader = cluster == null ? "" : cluster.path("leader").path("node").asText("");
            return !leader.isEmpty() && !leader.equals(leaderName) ? leader : null;
        });
        Duration election = Duration.between(killedAt, Instant.now());
        assertThat(election).as("time to a new leader (%s)", newLeader).isLessThanOrEqualTo(Duration.ofSeconds(10));

        Await.until("more changes acknowledged after the failover", Duration.ofSeconds(60), () -> {
            assertThat(unexpected.get()).as("an answer other than 201 or 503").isNull();
            return acknowledged.size() >= 30 ? 1 : null;
        });
        stop.set(true);
        stream.join(Duration.ofSeconds(60));

        Rest.Reply volumes = writer.get("/api/v1/volumes");
        List<String> names = new ArrayList<>();
        volumes.body().forEach(volume -> names.add(volume.get("name").asText()));
        assertThat(names).contains("db-1").containsAll(acknowledged).doesNotHaveDuplicates();
        assertThat(writer.get("/api/v1/pools/triple").status()).isEqualTo(200);

        nodes.get(leaderIndex).start();
        Await.until("the killed node back up", Duration.ofSeconds(60), () -> {
            Rest.Reply health = clients.get(leaderIndex).get("/api/v1/health");
            return health.status() == 200 ? health : null;
        });
        Await.until("the restarted node sees every acknowledged volume", Duration.ofSeconds(30), () -> {
            List<String> seen = new ArrayList<>();
            clients.get(leaderIndex).get("/api/v1/volumes").body().forEach(v -> seen.add(v.get("name").asText()));
            return seen.containsAll(acknowledged) ? seen : null;
        });
    }

    @Test
    @Order(3)
    void aKilledChunkNodeIsMarkedDownAndItsExtentsListedAsUnderReplicated() throws Exception {
        String leaderName = clients.get(0).get("/api/v1/cluster").body().path("leader").path("node").asText();
        int victim = (indexOf(leaderName) + 1) % 3;
        Rest observer = clients.get((victim + 1) % 3);
        nodes.get(victim).kill();

        Await.until(nodes.get(victim).name + " marked down", NODE_DOWN_TIMEOUT.plusSeconds(20), () -> {
            JsonNode node = observer.get("/api/v1/nodes/" + nodes.get(victim).name).body();
            return "DOWN".equals(node.path("state").asText()) ? node : null;
        });
        JsonNode underReplicated = observer.get("/api/v1/extents?underReplicated=true").body();
        assertThat(underReplicated).isNotEmpty();
        for (JsonNode extent : underReplicated) {
            List<String> replicas = new ArrayList<>();
            extent.get("replicas").forEach(r -> replicas.add(r.asText()));
            assertThat(replicas).contains(nodes.get(victim).name);
        }
        // db-1 has a replica on every node, so every one of its extents is under-replicated.
        assertThat(observer.get("/api/v1/volumes/db-1/extents").body())
                .allSatisfy(extent -> assertThat(extent.get("underReplicated").asBoolean()).isTrue());
    }

    private int indexOf(final String nodeName) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).name.equals(nodeName)) {
                return i;
            }
        }
        throw new AssertionError("no node named " + nodeName);
    }

    /**
     * The whole cluster told to stop at once (as `./keel cluster stop` and a site shutdown do):
     * the ZooKeeper quorum goes away while every node is still closing, and no node may hang in
     * ZooKeeper clean-up waiting for a quorum that will not come back.
     */
    @Test
    @Order(4)
    void stoppingEveryNodeAtOnceEndsEachOneCleanly() throws Exception {
        List<NodeProcess> live = nodes.stream().filter(NodeProcess::isAlive).toList();
        assertThat(live).hasSizeGreaterThanOrEqualTo(2);
        live.forEach(NodeProcess::terminate);
        for (NodeProcess node : live) {
            node.awaitExit(Duration.ofSeconds(20));
            assertThat(node.log()).as(node + " log").contains("node stopped cleanly");
        }
    }
}
