package io.keel.tests.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keel.tests.harness.Await;
import io.keel.tests.harness.NodeProcess;
import io.keel.tests.harness.Rest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node without the meta role: node A runs every role and a standalone embedded ZooKeeper,
 * node B runs only the chunk role and uses A's ZooKeeper as an external ensemble. B finds the meta
 * leader in ZooKeeper's term znode, registers itself and its device, heartbeats, and forwards API
 * requests to the leader; killed, it is marked down and its extents under-replicated.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChunkOnlyNodeTest {

    private static final String PASSWORD = "chunk-only-test";
    private static final Duration NODE_DOWN_TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    static Path root;

    private NodeProcess a;
    private NodeProcess b;
    private Rest restA;
    private Rest restB;

    @BeforeAll
    void start() throws Exception {
        Path key = root.resolve("cluster.key");
        Files.writeString(key, "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677\n");
        int zookeeperPort = NodeProcess.freePort();
        String common = """
                chunk:
                  devices: [{path: devices/data-0.img, sizeBytes: 1073741824, createFile: true}]
                meta:
                  heartbeatInterval: 500ms
                  nodeDownTimeout: %ds
                cluster:
                  keyFile: %s
                """.formatted(NODE_DOWN_TIMEOUT.toSeconds(), key);

        a = new NodeProcess("node-a", root.resolve("node-a"), NodeProcess.freePort(), NodeProcess.freePort());
        a.writeConfig(a.baseConfig(NodeProcess.freePort()) + """
                  roles: [meta, chunk, access]
                zookeeper:
                  mode: embedded
                  clientPort: %d
                admin:
                  initialPassword: %s
                """.formatted(zookeeperPort, PASSWORD) + common);
        b = new NodeProcess("node-b", root.resolve("node-b"), NodeProcess.freePort(), NodeProcess.freePort());
        b.writeConfig(b.baseConfig(NodeProcess.freePort()) + """
                  roles: [chunk]
                zookeeper:
                  mode: external
                  connectString: 127.0.0.1:%d
                """.formatted(zookeeperPort) + common);
        restA = new Rest(a.restPort, "admin", PASSWORD);
        restB = new Rest(b.restPort, "admin", PASSWORD);

        a.start();
        awaitLeader(a, restA);
        b.start();
        awaitLeader(b, restB);
    }

    private static void awaitLeader(final NodeProcess node, final Rest rest) throws Exception {
        Await.until(node + " answering with a meta leader", Duration.ofSeconds(60), () -> {
            if (!node.isAlive()) {
                throw new AssertionError(node + " exited:\n" + node.console());
            }
            Rest.Reply health = rest.get("/api/v1/health");
            return health.status() == 200 && "node-a".equals(health.body().path("leader").asText()) ? health : null;
        });
    }

    @AfterAll
    void stop() throws InterruptedException {
        // B first: it depends on A's ZooKeeper.
        if (b != null) {
            b.stop();
        }
        if (a != null) {
            a.stop();
        }
    }

    @Test
    @Order(1)
    void theChunkOnlyNodeRegistersItselfAndItsDevice() throws Exception {
        JsonNode nodeB = Await.until("node-b registered and UP", Duration.ofSeconds(30), () -> {
            Rest.Reply reply = restA.get("/api/v1/nodes/node-b");
            return reply.status() == 200 && "UP".equals(reply.body().path("state").asText()) ? reply.body() : null;
        });
        assertThat(texts(nodeB.get("roles"))).containsExactly("CHUNK");
        assertThat(nodeB.get("restAddress").asText()).isEqualTo("127.0.0.1:" + b.restPort);
        assertThat(nodeB.get("capacityBytes").asLong()).isPositive();
        assertThat(texts(restA.get("/api/v1/nodes/node-a").body().get("roles")))
                .containsExactlyInAnyOrder("META", "CHUNK", "ACCESS");

        JsonNode disks = Await.until("node-b's device registered", Duration.ofSeconds(30), () -> {
            JsonNode list = restA.get("/api/v1/disks").body();
            return list.findValuesAsText("node").contains("node-b") ? list : null;
        });
        assertThat(disks.findValuesAsText("node")).containsExactlyInAnyOrder("node-a", "node-b");
        for (JsonNode disk : disks) {
            if (disk.get("node").asText().equals("node-b")) {
                assertThat(disk.get("path").asText()).isEqualTo(b.dataDir.resolve("devices/data-0.img").toString());
                assertThat(disk.get("capacityBytes").asLong()).isPositive();
            }
        }
    }

    @Test
    @Order(2)
    void theChunkOnlyNodeAnswersTheApiByForwardingToTheLeader() throws Exception {
        Rest.Reply cluster = restB.get("/api/v1/cluster");
        assertThat(cluster.status()).as("%s", cluster).isEqualTo(200);
        assertThat(cluster.body().path("leader").path("node").asText()).isEqualTo("node-a");
        assertThat(cluster.body().path("nodes").path("up").asInt()).isEqualTo(2);
        // B holds no admin account: the leader checks the password of a forwarded request.
        Rest.Reply refused = restB.withPassword("wrong-password").get("/api/v1/pools");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.code()).isEqualTo("UNAUTHENTICATED");

        Rest.Reply pool = restB.post("/api/v1/pools", """
                {"name": "pair", "replicationFactor": 2}""");
        assertThat(pool.status()).as("%s", pool).isEqualTo(201);
        Rest.Reply volume = restB.post("/api/v1/volumes", """
                {"name": "shared", "pool": "pair", "sizeBytes": 1073741824}""");
        assertThat(volume.status()).as("%s", volume).isEqualTo(201);
        assertThat(restA.get("/api/v1/volumes/shared").status()).isEqualTo(200);

        Rest.Reply extents = restB.get("/api/v1/volumes/shared/extents");
        assertThat(extents.status()).isEqualTo(200);
        assertThat(extents.body()).hasSize(4);
        for (JsonNode extent : extents.body()) {
            assertThat(new HashSet<>(texts(extent.get("replicas")))).as("replicas of %s", extent)
                    .containsExactlyInAnyOrder("node-a", "node-b");
            assertThat(extent.get("underReplicated").asBoolean()).isFalse();
        }
    }

    @Test
    @Order(3)
    void heartbeatsKeepTheChunkOnlyNodeUp() throws Exception {
        // Longer than the down timeout: only B's heartbeats can keep it UP.
        Instant until = Instant.now().plus(NODE_DOWN_TIMEOUT).plusSeconds(1);
        while (Instant.now().isBefore(until)) {
            JsonNode node = restA.get("/api/v1/nodes/node-b").body();
            assertThat(node.path("state").asText()).as("%s", node).isEqualTo("UP");
            assertThat(node.path("lastHeartbeatMillisAgo").asLong()).as("%s", node)
                    .isLessThan(NODE_DOWN_TIMEOUT.toMillis());
            Thread.sleep(500);
        }
        // B's health: it sees the leader, its device and ZooKeeper; none of its checks is about meta data it lacks.
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + b.adminPort + "/healthcheck")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        JsonNode checks = Rest.JSON.readTree(health.body());
        assertThat(checks.path("chunk").path("message").asText()).isEqualTo("1 data devices open");
        assertThat(checks.path("meta").path("message").asText()).isEqualTo("leader node-a");
        assertThat(checks.path("zookeeper").path("healthy").asBoolean()).isTrue();
        Rest.Reply apiHealth = new Rest(b.restPort, "admin", null).get("/api/v1/health");
        assertThat(apiHealth.body().path("status").asText()).isEqualTo("ok");
    }

    @Test
    @Order(4)
    void aKilledChunkOnlyNodeIsMarkedDownAndItsExtentsUnderReplicated() throws Exception {
        b.kill();
        Instant killed = Instant.now();
        Await.until("node-b marked DOWN", NODE_DOWN_TIMEOUT.plusSeconds(15), () -> {
            JsonNode node = restA.get("/api/v1/nodes/node-b").body();
            return "DOWN".equals(node.path("state").asText()) ? node : null;
        });
        assertThat(Duration.between(killed, Instant.now())).isGreaterThanOrEqualTo(NODE_DOWN_TIMEOUT.minusSeconds(1));
        assertThat(restA.get("/api/v1/cluster").body().path("nodes").path("down").asInt()).isEqualTo(1);

        JsonNode underReplicated = restA.get("/api/v1/extents?underReplicated=true").body();
        assertThat(underReplicated).hasSize(4);
        for (JsonNode extent : underReplicated) {
            assertThat(extent.get("volume").asText()).isEqualTo("shared");
            assertThat(texts(extent.get("replicas"))).contains("node-b");
        }
        assertThat(restA.get("/api/v1/volumes/shared/extents").body())
                .allSatisfy(extent -> assertThat(extent.get("underReplicated").asBoolean()).isTrue());
    }

    private static List<String> texts(final JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(item -> out.add(item.asText()));
        return out;
    }
}
