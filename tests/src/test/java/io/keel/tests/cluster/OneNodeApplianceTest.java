package io.keel.tests.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keel.tests.harness.NodeProcess;
import io.keel.tests.harness.Rest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-node appliance as {@code ./keel demo} runs it (embedded ZooKeeper, a file-backed device,
 * a default pool, a generated admin password), driven through its REST API: authentication,
 * validation of bad input, secrets kept out of answers and logs, metrics, and a restart that
 * keeps everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OneNodeApplianceTest {

    private static final String CHAP_SECRET = "s3cret-chap-pw";

    @TempDir
    static Path root;

    private NodeProcess node;
    private Rest rest;

    @BeforeAll
    void start() throws Exception {
        node = NodeProcess.startOneNodeAppliance("solo", root.resolve("solo"));
        rest = node.awaitAdminApi();
    }

    @AfterAll
    void stop() throws InterruptedException {
        node.stop();
    }

    @Test
    @Order(1)
    void theApiNeedsTheAdminPasswordExceptForHealth() throws Exception {
        Rest anonymous = new Rest(node.restPort, "admin", null);
        assertThat(anonymous.get("/api/v1/health").status()).isEqualTo(200);
        Rest.Reply refused = anonymous.get("/api/v1/pools");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.code()).isEqualTo("UNAUTHENTICATED");
        assertThat(anonymous.post("/api/v1/pools", "{\"name\":\"x\",\"replicationFactor\":1}").status())
                .isEqualTo(401);
        assertThat(anonymous.withPassword("wrong-password").get("/api/v1/pools").status()).isEqualTo(401);
        assertThat(Files.getPosixFilePermissions(node.dataDir.resolve("admin-password")).toString())
                .isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }

    @Test
    @Order(2)
    void theDefaultPoolAndTheNodeWithItsDiskAreThere() throws Exception {
        Rest.Reply pools = rest.get("/api/v1/pools");
        assertThat(pools.status()).isEqualTo(200);
        assertThat(pools.body().findValuesAsText("name")).contains("default");
        Rest.Reply nodes = rest.get("/api/v1/nodes");
        assertThat(nodes.body()).hasSize(1);
        assertThat(nodes.body().get(0).get("name").asText()).isEqualTo("solo");
        assertThat(nodes.body().get(0).get("state").asText()).isEqualTo("UP");
        Rest.Reply disks = rest.get("/api/v1/disks");
        assertThat(disks.body()).hasSize(1);
        assertThat(disks.body().get(0).get("capacityBytes").asLong()).isPositive();
    }

    @Test
    @Order(3)
    void badInputGetsAClearError() throws Exception {
        expect(rest.postRaw("/api/v1/volumes", "application/json", "{\"name\": \"v\", "), 400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/volumes", "{\"name\":\"v\",\"pool\":\"default\",\"sizeBytes\":4096,\"colour\":1}"),
                400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/volumes", "{\"name\":\"v\",\"pool\":\"default\",\"sizeBytes\":1000}"),
                400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/volumes", "{\"name\":\"v\",\"pool\":\"default\",\"sizeBytes\":0}"),
                400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/volumes", "{\"name\":\"Bad Name!\",\"pool\":\"default\",\"sizeBytes\":4096}"),
                400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/volumes", "{\"name\":\"v\",\"pool\":\"nowhere\",\"sizeBytes\":4096}"),
                404, "NOT_FOUND");
        expect(rest.post("/api/v1/pools", "{\"name\":\"p2\",\"replicationFactor\":2}"), 409,
                "FAILED_PRECONDITION");
        expect(rest.post("/api/v1/pools", "{\"name\":\"p0\",\"replicationFactor\":0}"), 400, "INVALID_ARGUMENT");
        expect(rest.get("/api/v1/volumes/none"), 404, "NOT_FOUND");

        assertThat(rest.post("/api/v1/volumes", "{\"name\":\"v1\",\"pool\":\"default\",\"sizeBytes\":1073741824}")
                .status()).isEqualTo(201);
        expect(rest.post("/api/v1/volumes", "{\"name\":\"v1\",\"pool\":\"default\",\"sizeBytes\":4096}"),
                409, "ALREADY_EXISTS");
        expect(rest.patch("/api/v1/volumes/v1", "{\"sizeBytes\": 4096}"), 400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/pools", "{\"name\":\"thick\",\"replicationFactor\":1,\"provisioning\":\"THICK\"}"),
                201, null);
        expect(rest.post("/api/v1/volumes", "{\"name\":\"huge\",\"pool\":\"thick\",\"sizeBytes\":1099511627776}"),
                422, "INSUFFICIENT_CAPACITY");
        expect(rest.delete("/api/v1/pools/default"), 409, "FAILED_PRECONDITION");
    }

    @Test
    @Order(4)
    void aVolumeThatIsExportedOrHasSnapshotsCannotBeDeleted() throws Exception {
        expect(rest.post("/api/v1/volumes", "{\"name\":\"v2\",\"pool\":\"default\",\"sizeBytes\":268435456}"),
                201, null);
        expect(rest.post("/api/v1/volumes/v2/snapshots", "{\"name\":\"before-upgrade\"}"), 201, null);
        expect(rest.delete("/api/v1/volumes/v2"), 409, "FAILED_PRECONDITION");
        expect(rest.delete("/api/v1/volumes/v2/snapshots/before-upgrade"), 204, null);

        String target = """
                {"iqn": "iqn.2026-11.io.keel:t1", "luns": [{"lun": 0, "volume": "v2"}],
                 "allowedInitiators": ["iqn.1993-08.org.debian:01:host1"],
                 "chap": {"username": "host1", "secret": "%s"}}""".formatted(CHAP_SECRET);
        expect(rest.post("/api/v1/targets", target), 201, null);
        expect(rest.delete("/api/v1/volumes/v2"), 409, "FAILED_PRECONDITION");
        expect(rest.post("/api/v1/targets", target.replace("t1", "t2").replace(CHAP_SECRET, "short")), 400,
                "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/targets", target.replace("iqn.2026-11.io.keel:t1", "not-an-iqn")), 400,
                "INVALID_ARGUMENT");
        String third = target.replace("keel:t1", "keel:t3");
        String noInitiators = third.replace("\"iqn.1993-08.org.debian:01:host1\"", "");
        String anyInitiator = "\"anyInitiator\": true, \"chap\"";
        expect(rest.post("/api/v1/targets", noInitiators), 400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/targets", third.replace("\"chap\"", anyInitiator)), 400, "INVALID_ARGUMENT");
        expect(rest.post("/api/v1/targets", noInitiators.replace("\"chap\"", anyInitiator)), 201, null);
        assertThat(rest.get("/api/v1/targets/iqn.2026-11.io.keel:t3").body().path("anyInitiator").asBoolean())
                .isTrue();
        expect(rest.delete("/api/v1/targets/iqn.2026-11.io.keel:t3"), 204, null);

        Rest.Reply shown = rest.get("/api/v1/targets/iqn.2026-11.io.keel:t1");
        assertThat(shown.status()).isEqualTo(200);
        assertThat(shown.body().path("chap").path("username").asText()).isEqualTo("host1");
        assertThat(shown.body().toString()).doesNotContain(CHAP_SECRET);
        assertThat(rest.get("/api/v1/targets").body().toString()).doesNotContain(CHAP_SECRET);

        expect(rest.delete("/api/v1/targets/iqn.2026-11.io.keel:t1"), 204, null);
        expect(rest.delete("/api/v1/volumes/v2"), 204, null);
    }

    @Test
    @Order(5)
    void aRetriedChangeWithTheSameIdempotencyKeyHappensOnce() throws Exception {
        String body = "{\"name\":\"once\",\"pool\":\"default\",\"sizeBytes\":268435456}";
        Rest.Reply first = rest.post("/api/v1/volumes", body, "retry-key-1");
        Rest.Reply again = rest.post("/api/v1/volumes", body, "retry-key-1");
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.body().get("id")).isEqualTo(first.body().get("id"));
    }

    @Test
    @Order(6)
    void metricsAndHealthChecksAreServedOnTheAdminPort() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + node.adminPort;
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics/prometheus"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("# TYPE").contains("keel_meta").contains("keel_chunk")
                .contains("iscsi_command_latency");
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthcheck")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).contains("zookeeper").contains("meta").contains("iscsi");
    }

    @Test
    @Order(7)
    void noSecretReachesTheLogs() throws Exception {
        String password = Files.readString(node.dataDir.resolve("admin-password")).strip();
        String log = Files.readString(node.dataDir.resolve("keel.log")) + node.console();
        assertThat(log).doesNotContain(CHAP_SECRET).doesNotContain(password);
    }

    @Test
    @Order(8)
    void aRestartKeepsTheMetadataAndThePassword() throws Exception {
        node.stop();
        node.start();
        Rest again = node.awaitAdminApi();
        Rest.Reply volume = again.get("/api/v1/volumes/v1");
        assertThat(volume.status()).isEqualTo(200);
        JsonNode body = volume.body();
        assertThat(body.get("sizeBytes").asLong()).isEqualTo(1L << 30);
        assertThat(again.get("/api/v1/volumes/once").status()).isEqualTo(200);
        rest = again;
    }

    private static void expect(final Rest.Reply reply, final int status, final String code) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(status);
        if (code != null) {
            assertThat(reply.code()).as("%s", reply).isEqualTo(code);
            assertThat(reply.message()).as("%s", reply).isNotBlank();
        }
    }
}
