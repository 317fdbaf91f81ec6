package io.keel.appliance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the admin sees: tables, key-value lines, JSON, and error lines with their exit codes. */
class OutputTest {

    private FakeApi api;
    private CliHarness cli;

    @BeforeEach
    void start() throws IOException {
        api = new FakeApi();
        cli = new CliHarness(api);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void poolListIsAnAlignedTable() {
        api.reply("GET", "/pools", 200, TestData.list(TestData.POOL_GOLD, TestData.POOL_SILVER));
        CliHarness.Result result = cli.run("pool", "list");
        assertThat(result.code()).isZero();
        assertThat(result.out()).isEqualTo("""
                NAME    REPLICATION  PROVISIONING  FAILURE DOMAIN  IOPS LIMIT  BANDWIDTH LIMIT  VOLUMES  ALLOCATED
                gold              3  thin          rack                  5000        200 MiB/s        2     10 GiB
                silver            2  thick         node             unlimited        unlimited        0        0 B
                """);
    }

    @Test
    void volumeListShowsSizesForPeople() {
        api.reply("GET", "/volumes?pool=gold", 200, TestData.list(TestData.VOLUME));
        CliHarness.Result result = cli.run("volume", "list", "--pool", "gold");
        assertThat(result.out()).isEqualTo("""
                NAME   POOL    SIZE  PROVISIONING  STATE   SERVING NODE  EXTENTS  CREATED
                vm-01  gold  10 GiB  thin          ONLINE  node-a             40  2026-11-02T10:00:00Z
                """);
    }

    @Test
    void anEmptyListIsJustTheHeader() {
        api.reply("GET", "/volumes/vm-01/snapshots", 200, "[]");
        assertThat(cli.run("snapshot", "list", "vm-01").out()).isEqualTo("NAME  VOLUME  SIZE  CREATED  ID\n");
    }

    @Test
    void otherTables() {
        api.reply("GET", "/nodes", 200, TestData.list(TestData.NODE))
                .reply("GET", "/disks", 200, TestData.list(TestData.DISK))
                .reply("GET", "/extents?underReplicated=true", 200, TestData.list(TestData.BAD_EXTENT))
                .reply("GET", "/volumes/vm-01/extents", 200, TestData.list(TestData.EXTENT))
                .reply("GET", "/volumes/vm-01/snapshots", 200, TestData.list(TestData.SNAPSHOT))
                .reply("GET", "/targets", 200, TestData.list(TestData.TARGET));
        assertThat(cli.run("node", "list").out()).isEqualTo("""
                NAME    STATE  ROLES              RACK  SITE  CAPACITY     FREE  REST ADDRESS   HEARTBEAT
                node-a  UP     meta,chunk,access  r1    s1       4 TiB  1.5 TiB  10.0.0.1:8080  1.2 s ago
                """);
        assertThat(cli.run("disk", "list").out()).isEqualTo("""
                NODE    PATH          ROLE  CAPACITY   FREE  ID
                node-a  /dev/nvme0n1  DATA     2 TiB  1 TiB  d-1
                """);
        assertThat(cli.run("extent", "list", "--under-replicated").out()).isEqualTo("""
                VOLUME  INDEX  ID   LEADER  REPLICAS       EPOCH
                vm-01       5  e-9  node-a  node-a,node-c      6
                """);
        assertThat(cli.run("volume", "extents", "vm-01").out()).isEqualTo("""
                INDEX  ID   LEADER  REPLICAS       EPOCH  UNDER-REPLICATED
                    3  e-7  node-a  node-a,node-b      4  no
                """);
        assertThat(cli.run("snapshot", "list", "vm-01").out()).isEqualTo("""
                NAME            VOLUME    SIZE  CREATED               ID
                before-upgrade  vm-01   10 GiB  2026-11-02T10:00:00Z  s-1
                """);
        assertThat(cli.run("target", "list").out().lines()).containsExactly(
                "IQN                      ALIAS  LUNS                ALLOWED INITIATORS           CHAP USER  "
                        + "MUTUAL CHAP USER",
                "iqn.2026-11.io.keel:web  web    0=vm-01,1=vm-02:ro  iqn.1998-01.com.vmware:esx1  esx        -");
    }

    @Test
    void showIsKeyValueLines() {
        api.reply("GET", "/volumes/vm-01", 200, TestData.VOLUME);
        assertThat(cli.run("volume", "show", "vm-01").out()).isEqualTo("""
                name:            vm-01
                pool:            gold
                size:            10 GiB
                provisioning:    thin
                state:           ONLINE
                serving node:    node-a
                extents:         40
                iops limit:      2000
                bandwidth limit: unlimited
                qos from:        volume
                extent size:     256 MiB
                created:         2026-11-02T10:00:00Z
                id:              v-0001
                naa:             naa.6000000c68bc83259ce0ea28705fabc5
                physical block:  4 KiB (512e)
                """);
    }

    @Test
    void clusterStatus() {
        api.reply("GET", "/cluster", 200, TestData.CLUSTER);
        assertThat(cli.run("cluster", "status").out()).isEqualTo("""
                cluster id:  c-42
                leader:      node-a
                leader term: 7
                nodes up:    3
                nodes down:  1
                """);
    }

    @Test
    void createConfirmsAndShowsTheResult() {
        api.reply("POST", "/pools", 201, TestData.POOL_GOLD);
        CliHarness.Result result = cli.run("pool", "create", "gold", "--replication", "3");
        assertThat(result.out()).startsWith("created pool gold\nname:            gold\n")
                .contains("bandwidth limit: 200 MiB/s\n");
    }

    @Test
    void deleteConfirms() {
        api.reply("DELETE", "/volumes/vm-01/snapshots/s1", 204, null);
        assertThat(cli.run("snapshot", "delete", "vm-01", "s1").out())
                .isEqualTo("deleted snapshot s1 of volume vm-01\n");
    }

    @Test
    void jsonPrintsTheApiAnswer() throws IOException {
        api.reply("GET", "/pools", 200, TestData.list(TestData.POOL_GOLD))
                .reply("GET", "/pools/gold", 200, TestData.POOL_GOLD)
                .reply("POST", "/volumes", 201, TestData.VOLUME)
                .reply("DELETE", "/volumes/vm-01", 204, null);
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(cli.run("pool", "list", "--json").out()))
                .isEqualTo(json.readTree(TestData.list(TestData.POOL_GOLD)));
        assertThat(json.readTree(cli.run("pool", "show", "gold", "--json").out()))
                .isEqualTo(json.readTree(TestData.POOL_GOLD));
        assertThat(json.readTree(cli.run("volume", "create", "vm-01", "--pool", "gold", "--size", "10G", "--json")
                .out())).isEqualTo(json.readTree(TestData.VOLUME));
        CliHarness.Result deleted = cli.run("volume", "delete", "vm-01", "--json");
        assertThat(deleted.code()).isZero();
        assertThat(deleted.out()).as("a 204 has no JSON to print").isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "400 | INVALID_ARGUMENT    | volume 'Bad' has an invalid name",
        "404 | NOT_FOUND           | volume 'vm-09' does not exist",
        "409 | ALREADY_EXISTS      | volume 'vm-01' already exists",
        "409 | FAILED_PRECONDITION | volume 'vm-01' has 2 snapshots",
        "422 | INSUFFICIENT_CAPACITY | pool 'gold' needs 3 racks, has 2",
    })
    void apiErrorsAreOneLineAndExit1(final int status, final String code, final String message) {
        api.reply("POST", "/volumes", status, TestData.error(code, message));
        CliHarness.Result result = cli.run("volume", "create", "vm-01", "--pool", "gold", "--size", "10G");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("keel: " + message + " (HTTP " + status + " " + code + ")\n");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void notFoundOnShow() {
        api.reply("GET", "/pools/nope", 404, TestData.error("NOT_FOUND", "pool 'nope' does not exist"));
        CliHarness.Result result = cli.run("pool", "show", "nope");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("keel: pool 'nope' does not exist (HTTP 404 NOT_FOUND)\n");
    }

    @Test
    void anErrorBodyThatIsNotJsonIsStillReported() {
        api.reply("GET", "/pools", 502, "<html>Bad Gateway</html>\n<p>nginx</p>");
        CliHarness.Result result = cli.run("pool", "list");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("keel: <html>Bad Gateway</html> (HTTP 502)\n");
    }

    @Test
    void usageErrorsExit1WithAHint() {
        CliHarness.Result missing = cli.run("volume", "create", "vm-01", "--size", "1G");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("keel: Missing required option: '--pool=POOL'")
                .contains("Try 'keel volume create --help' for usage.");
        assertThat(cli.run("volume").code()).isEqualTo(1);
        assertThat(cli.run().err()).contains("missing command");
        assertThat(cli.run("frobnicate").code()).isEqualTo(1);
        assertThat(cli.run("pool", "create", "p", "--replication", "2", "--provisioning", "fat").code()).isEqualTo(1);
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void helpExits0() {
        CliHarness.Result result = cli.run("--help");
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("pool").contains("volume").contains("Exit codes");
        assertThat(cli.run("target", "update", "--help").out()).contains("REMOVED");
    }

    @Test
    void controlCharactersInNamesCannotForgeOutput() {
        api.reply("GET", "/volumes", 200, "[{\"name\": \"evil\\nvm-02  gold\", \"pool\": \"gold\"}]");
        assertThat(cli.run("volume", "list").out().lines()).hasSize(2);
    }
}
