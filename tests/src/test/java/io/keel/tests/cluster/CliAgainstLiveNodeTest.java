package io.keel.tests.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keel.tests.harness.NodeProcess;
import io.keel.tests.harness.Rest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The admin command line against a real one-node appliance, each command a separate
 * {@code ./keel ...} process as an admin types it: an admin session from pool to target and
 * back, the password rules, exit codes and messages as docs/cli.md states them, and
 * {@code --json} output that parses. The tests run in order on one node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliAgainstLiveNodeTest {

    private static final String CHAP_SECRET = "chap-Secret-42";
    private static final String IQN = "iqn.2026-11.io.keel:web";
    private static final String INITIATOR = "iqn.1998-01.com.vmware:esx1";

    @TempDir
    static Path root;

    private NodeProcess node;
    private Rest rest;
    private CliProcess cli;
    private Path passwordFile;

    @BeforeAll
    void start() throws Exception {
        node = NodeProcess.startOneNodeAppliance("cli-node", root.resolve("cli-node"));
        rest = node.awaitAdminApi();
        // The generated password, where the node that created the cluster wrote it.
        passwordFile = node.dataDir.resolve("admin-password");
        cli = new CliProcess("http://127.0.0.1:" + node.restPort, root.resolve("cli"));
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (node != null) {
            node.stop();
        }
    }

    @Test
    @Order(1)
    void clusterHealthNeedsNoPasswordAndEverythingElseDoes() {
        CliProcess.Result health = cli.run("cluster", "health");
        assertThat(health.exitCode()).as("%s", health).isZero();
        assertThat(health.out()).contains("status: ok").contains("leader: cli-node");
        assertThat(health.err()).isEmpty();

        // No --password-file, no KEEL_PASSWORD, no demo password file, no terminal to ask on.
        CliProcess.Result status = cli.run("cluster", "status");
        assertThat(status.exitCode()).as("%s", status).isEqualTo(1);
        assertThat(status.out()).isEmpty();
        assertThat(status.err()).startsWith("keel: no admin password").contains("KEEL_PASSWORD")
                .contains("--password-file");
    }

    @Test
    @Order(2)
    void clusterStatusWithThePasswordFromAFileOrTheEnvironment() throws Exception {
        CliProcess.Result status = cli.run("cluster", "status", "--password-file", passwordFile.toString());
        assertThat(status.exitCode()).as("%s", status).isZero();
        String clusterId = rest.get("/api/v1/cluster").body().get("clusterId").asText();
        assertThat(status.out()).contains("cluster id:  " + clusterId).contains("leader:      cli-node")
                .contains("nodes up:    1").contains("nodes down:  0");

        cli.env("KEEL_PASSWORD", Files.readString(passwordFile).strip());
        CliProcess.Result nodes = cli.run("node", "list");
        assertThat(nodes.exitCode()).as("%s", nodes).isZero();
        assertThat(lines(nodes.out())).hasSize(2);
        assertThat(nodes.out()).startsWith("NAME").contains("cli-node").contains("UP").contains("META,CHUNK,ACCESS");
    }

    @Test
    @Order(3)
    void aWrongPasswordIsRefusedWithExitCode1AndSaysWhichPassword() throws Exception {
        Path wrong = root.resolve("wrong-password");
        Files.writeString(wrong, "not-the-password\n");
        CliProcess.Result refused = cli.run("pool", "list", "--password-file", wrong.toString());
        assertThat(refused.exitCode()).as("%s", refused).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(lines(refused.err())).hasSize(1);
        assertThat(refused.err()).startsWith("keel: ").contains("(HTTP 401 UNAUTHENTICATED)")
                .contains("the password from --password-file " + wrong + " was refused for user 'admin'")
                .doesNotContain("not-the-password");
    }

    @Test
    @Order(4)
    void poolsAndVolumes() throws Exception {
        CliProcess.Result pool = cli.run("pool", "create", "gold", "--replication", "1", "--provisioning", "thin");
        assertThat(pool.exitCode()).as("%s", pool).isZero();
        assertThat(pool.out()).startsWith("created pool gold").contains("replication:     1")
                .contains("provisioning:    thin");

        CliProcess.Result pools = cli.run("pool", "list");
        assertThat(pools.exitCode()).as("%s", pools).isZero();
        assertThat(lines(pools.out()).get(0)).startsWith("NAME").contains("REPLICATION").contains("PROVISIONING");
        assertThat(row(pools.out(), "gold")).contains("thin").contains("node").contains("unlimited");
        assertThat(row(pools.out(), "default")).isNotNull();

        CliProcess.Result volume = cli.run("volume", "create", "vm-01", "--pool", "gold", "--size", "1G");
        assertThat(volume.exitCode()).as("%s", volume).isZero();
        assertThat(volume.out()).startsWith("created volume vm-01").containsPattern("size: +1 GiB")
                .containsPattern("extents: +4\n");
        assertThat(rest.get("/api/v1/volumes/vm-01").body().get("sizeBytes").asLong()).isEqualTo(1L << 30);

        // A volume in another pool must not show up in gold's list.
        assertThat(rest.post("/api/v1/volumes", """
                {"name": "elsewhere", "pool": "default", "sizeBytes": 4096}""").status()).isEqualTo(201);
        CliProcess.Result list = cli.run("volume", "list", "--pool", "gold");
        assertThat(list.exitCode()).as("%s", list).isZero();
        assertThat(lines(list.out())).hasSize(2);
        assertThat(row(list.out(), "vm-01")).contains("gold").contains("1 GiB").contains("thin").contains("ACTIVE");
        assertThat(list.out()).doesNotContain("elsewhere");

        CliProcess.Result show = cli.run("volume", "show", "vm-01");
        assertThat(show.exitCode()).as("%s", show).isZero();
        assertThat(show.out()).containsPattern("name: +vm-01").containsPattern("pool: +gold")
                .containsPattern("extent size: +256 MiB").containsPattern("qos from: +pool")
                .containsPattern("id: +" + rest.get("/api/v1/volumes/vm-01").body().get("id").asText());

        CliProcess.Result extents = cli.run("volume", "extents", "vm-01");
        assertThat(extents.exitCode()).as("%s", extents).isZero();
        List<String> rows = lines(extents.out());
        assertThat(rows.get(0)).contains("INDEX").contains("REPLICAS").contains("UNDER-REPLICATED");
        assertThat(rows.subList(1, rows.size())).hasSize(4)
                .allSatisfy(line -> assertThat(line).contains("cli-node").endsWith("no"));

        CliProcess.Result resized = cli.run("volume", "resize", "vm-01", "--size", "2G");
        assertThat(resized.exitCode()).as("%s", resized).isZero();
        assertThat(resized.out()).startsWith("resized volume vm-01 to 2 GiB").containsPattern("extents: +8\n");
        assertThat(rest.get("/api/v1/volumes/vm-01").body().get("sizeBytes").asLong()).isEqualTo(2L << 30);

        CliProcess.Result shrink = cli.run("volume", "resize", "vm-01", "--size", "1G");
        assertThat(shrink.exitCode()).as("%s", shrink).isEqualTo(1);
        assertThat(shrink.err()).startsWith("keel: ").contains("(HTTP 400 INVALID_ARGUMENT)");

        CliProcess.Result ambiguous = cli.run("volume", "create", "vm-02", "--pool", "gold", "--size", "10GB");
        assertThat(ambiguous.exitCode()).as("%s", ambiguous).isEqualTo(1);
        assertThat(ambiguous.err()).startsWith("keel: ").contains("10GB");
        assertThat(rest.get("/api/v1/volumes/vm-02").status()).isEqualTo(404);
    }

    @Test
    @Order(5)
    void snapshots() {
        CliProcess.Result created = cli.run("snapshot", "create", "vm-01", "before-upgrade");
        assertThat(created.exitCode()).as("%s", created).isZero();
        assertThat(created.out()).startsWith("created snapshot before-upgrade of volume vm-01");

        CliProcess.Result list = cli.run("snapshot", "list", "vm-01");
        assertThat(list.exitCode()).as("%s", list).isZero();
        assertThat(row(list.out(), "before-upgrade")).contains("vm-01").contains("2 GiB");

        CliProcess.Result deleted = cli.run("snapshot", "delete", "vm-01", "before-upgrade");
        assertThat(deleted.exitCode()).as("%s", deleted).isZero();
        assertThat(deleted.out()).isEqualTo("deleted snapshot before-upgrade of volume vm-01\n");

        CliProcess.Result empty = cli.run("snapshot", "list", "vm-01", "--json");
        assertThat(empty.exitCode()).as("%s", empty).isZero();
        assertThat(json(empty.out()).isArray()).isTrue();
        assertThat(json(empty.out())).isEmpty();
    }

    @Test
    @Order(6)
    void aTargetWithChapNeverShowsItsSecretAndKeepsItsVolume() throws Exception {
        Path secretFile = root.resolve("esx.chap");
        Files.writeString(secretFile, CHAP_SECRET + "\n");
        CliProcess.Result created = cli.run("target", "create", IQN, "--lun", "0=vm-01",
                "--allow-initiator", INITIATOR, "--chap-user", "esx", "--chap-secret-file", secretFile.toString());
        assertThat(created.exitCode()).as("%s", created).isZero();
        assertThat(created.out()).startsWith("created target " + IQN).contains("chap user:          esx");

        CliProcess.Result show = cli.run("target", "show", IQN);
        assertThat(show.exitCode()).as("%s", show).isZero();
        assertThat(show.out()).contains("iqn:                " + IQN).contains("luns:               0=vm-01")
                .contains("allowed initiators: " + INITIATOR).contains("chap user:          esx");

        CliProcess.Result showJson = cli.run("target", "show", IQN, "--json");
        assertThat(showJson.exitCode()).as("%s", showJson).isZero();
        JsonNode target = json(showJson.out());
        assertThat(target.path("chap").path("username").asText()).isEqualTo("esx");
        assertThat(target.path("luns").get(0).path("volume").asText()).isEqualTo("vm-01");

        CliProcess.Result list = cli.run("target", "list");
        assertThat(list.exitCode()).as("%s", list).isZero();
        assertThat(row(list.out(), IQN)).contains("0=vm-01").contains("esx");
        // The secret went in through a file and is stored: the API checks it (12-16 characters), and
        // nothing the command line printed, nor the node's log, contains it.
        for (CliProcess.Result result : List.of(created, show, showJson, list)) {
            assertThat(result.out() + result.err()).doesNotContain(CHAP_SECRET);
        }
        assertThat(Files.readString(node.dataDir.resolve("keel.log"))).doesNotContain(CHAP_SECRET);

        CliProcess.Result exported = cli.run("volume", "delete", "vm-01");
        assertThat(exported.exitCode()).as("%s", exported).isEqualTo(1);
        assertThat(exported.out()).isEmpty();
        assertThat(lines(exported.err())).hasSize(1);
        assertThat(exported.err()).startsWith("keel: ").contains("vm-01").contains(IQN)
                .endsWith("(HTTP 409 FAILED_PRECONDITION)\n");

        CliProcess.Result deleted = cli.run("target", "delete", IQN);
        assertThat(deleted.exitCode()).as("%s", deleted).isZero();
        assertThat(deleted.out()).isEqualTo("deleted target " + IQN + "\n");
        assertThat(rest.get("/api/v1/volumes/vm-01").status()).isEqualTo(200);
    }

    @Test
    @Order(7)
    void deletingTheVolumeThenThePool() throws Exception {
        CliProcess.Result volume = cli.run("volume", "delete", "vm-01");
        assertThat(volume.exitCode()).as("%s", volume).isZero();
        assertThat(volume.out()).isEqualTo("deleted volume vm-01\n");

        CliProcess.Result pool = cli.run("pool", "delete", "gold");
        assertThat(pool.exitCode()).as("%s", pool).isZero();
        assertThat(pool.out()).isEqualTo("deleted pool gold\n");
        assertThat(rest.get("/api/v1/pools/gold").status()).isEqualTo(404);

        CliProcess.Result gone = cli.run("pool", "show", "gold");
        assertThat(gone.exitCode()).as("%s", gone).isEqualTo(1);
        assertThat(gone.err()).isEqualTo("keel: pool 'gold' does not exist (HTTP 404 NOT_FOUND)\n");
    }

    @Test
    @Order(8)
    void jsonOutputIsTheApisJson() throws Exception {
        CliProcess.Result status = cli.run("cluster", "status", "--json");
        assertThat(status.exitCode()).as("%s", status).isZero();
        JsonNode cluster = json(status.out());
        assertThat(cluster.path("leader").path("node").asText()).isEqualTo("cli-node");
        assertThat(cluster).isEqualTo(rest.get("/api/v1/cluster").body());

        CliProcess.Result volumes = cli.run("volume", "list", "--json");
        assertThat(volumes.exitCode()).as("%s", volumes).isZero();
        JsonNode list = json(volumes.out());
        assertThat(list.isArray()).isTrue();
        assertThat(list.findValuesAsText("name")).containsExactly("elsewhere");
        assertThat(list.get(0).get("sizeBytes").asLong()).isEqualTo(4096);

        // A change without a body to print prints nothing in JSON mode, so scripts can parse every output.
        CliProcess.Result deleted = cli.run("volume", "delete", "elsewhere", "--json");
        assertThat(deleted.exitCode()).as("%s", deleted).isZero();
        assertThat(deleted.out()).isEmpty();
    }

    @Test
    @Order(9)
    void aNodeThatCannotBeReachedGivesExitCode2() throws Exception {
        int closed = NodeProcess.freePort();
        CliProcess.Result unreachable = cli.run("cluster", "health", "--url", "http://127.0.0.1:" + closed,
                "--timeout", "2s");
        assertThat(unreachable.exitCode()).as("%s", unreachable).isEqualTo(2);
        assertThat(unreachable.err()).startsWith("keel: cannot reach the Keel API at http://127.0.0.1:" + closed);
    }

    private static List<String> lines(final String text) {
        return text.lines().filter(line -> !line.isBlank()).toList();
    }

    /** The table row whose first column is {@code first}, or null. */
    private static String row(final String table, final String first) {
        List<String> matches = new ArrayList<>();
        for (String line : lines(table)) {
            if (line.startsWith(first + " ")) {
                matches.add(line);
            }
        }
        assertThat(matches).as("rows starting with %s in\n%s", first, table).hasSizeLessThanOrEqualTo(1);
        return matches.isEmpty() ? null : matches.get(0);
    }

    private static JsonNode json(final String text) {
        try {
            return Rest.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON:\n" + text, e);
        }
    }
}
