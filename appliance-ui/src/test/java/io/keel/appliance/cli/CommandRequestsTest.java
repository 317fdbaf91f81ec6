package io.keel.appliance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each command sends the method, path and body docs/rest-api.md prescribes. */
class CommandRequestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

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

    private static JsonNode json(final String text) throws IOException {
        return JSON.readTree(text);
    }

    private FakeApi.Request expectOne(final String method, final String path, final int status, final String reply,
            final String... args) {
        api.reply(method, path, status, reply);
        CliHarness.Result result = cli.run(args);
        assertThat(result.err()).isEmpty();
        assertThat(result.code()).isZero();
        FakeApi.Request request = api.only();
        assertThat(request.method()).isEqualTo(method);
        assertThat(request.path()).isEqualTo("/api/v1" + path);
        return request;
    }

    @Test
    void clusterStatusAndHealth() {
        expectOne("GET", "/cluster", 200, TestData.CLUSTER, "cluster", "status");
        api.reply("GET", "/health", 200, "{\"status\": \"ok\", \"leader\": \"node-a\"}");
        CliHarness.Result result = cli.run("cluster", "health");
        assertThat(result.code()).isZero();
        FakeApi.Request health = api.requests().get(1);
        assertThat(health.path()).isEqualTo("/api/v1/health");
        assertThat(health.header("Authorization")).as("health needs no password").isNull();
        assertThat(result.out()).contains("status: ok").contains("leader: node-a");
    }

    @Test
    void nodeList() {
        expectOne("GET", "/nodes", 200, TestData.list(TestData.NODE), "node", "list");
    }

    @Test
    void nodeShow() {
        expectOne("GET", "/nodes/node-a", 200, TestData.NODE, "node", "show", "node-a");
    }

    @Test
    void diskList() {
        expectOne("GET", "/disks", 200, TestData.list(TestData.DISK), "disk", "list");
    }

    @Test
    void extentListUnderReplicated() {
        expectOne("GET", "/extents?underReplicated=true", 200, TestData.list(TestData.BAD_EXTENT),
                "extent", "list", "--under-replicated");
    }

    @Test
    void extentListWithoutTheFilterIsAUsageError() {
        CliHarness.Result result = cli.run("extent", "list");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("--under-replicated");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void poolCreateWithEveryOption() throws IOException {
        FakeApi.Request request = expectOne("POST", "/pools", 201, TestData.POOL_GOLD,
                "pool", "create", "gold", "--replication", "3", "--provisioning", "thin", "--failure-domain", "rack",
                "--iops-limit", "5000", "--bandwidth-limit", "200M");
        assertThat(json(request.body())).isEqualTo(json("""
                {"name": "gold", "replicationFactor": 3, "provisioning": "THIN", "failureDomain": "RACK",
                 "qos": {"iopsLimit": 5000, "bandwidthLimitBytes": 209715200}}"""));
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
    }

    @Test
    void poolCreateSendsOnlyWhatWasGiven() throws IOException {
        FakeApi.Request request = expectOne("POST", "/pools", 201, TestData.POOL_SILVER,
                "pool", "create", "silver", "--replication", "2");
        assertThat(json(request.body())).isEqualTo(json("{\"name\": \"silver\", \"replicationFactor\": 2}"));
    }

    @Test
    void poolCreateAcceptsUpperCaseEnums() throws IOException {
        FakeApi.Request request = expectOne("POST", "/pools", 201, TestData.POOL_SILVER,
                "pool", "create", "silver", "--replication", "2", "--provisioning", "THICK");
        assertThat(json(request.body()).get("provisioning").asText()).isEqualTo("THICK");
    }

    @Test
    void poolList() {
        expectOne("GET", "/pools", 200, TestData.list(TestData.POOL_GOLD), "pool", "list");
    }

    @Test
    void poolShow() {
        expectOne("GET", "/pools/gold", 200, TestData.POOL_GOLD, "pool", "show", "gold");
    }

    @Test
    void poolDelete() {
        FakeApi.Request request = expectOne("DELETE", "/pools/gold", 204, null, "pool", "delete", "gold");
        assertThat(request.body()).isEmpty();
    }

    @Test
    void poolUpdateWithBothLimitsIsOnePatch() throws IOException {
        FakeApi.Request request = expectOne("PATCH", "/pools/gold", 200, TestData.POOL_GOLD,
                "pool", "update", "gold", "--iops-limit", "100", "--bandwidth-limit", "0");
        assertThat(json(request.body())).isEqualTo(json("{\"qos\": {\"iopsLimit\": 100, \"bandwidthLimitBytes\": 0}}"));
    }

    @Test
    void poolUpdateWithOneLimitKeepsTheOther() throws IOException {
        api.reply("GET", "/pools/gold", 200, TestData.POOL_GOLD);
        api.reply("PATCH", "/pools/gold", 200, TestData.POOL_GOLD);
        CliHarness.Result result = cli.run("pool", "update", "gold", "--iops-limit", "100");
        assertThat(result.code()).as(result.err()).isZero();
        FakeApi.Request patch = api.requests().get(1);
        assertThat(patch.method()).isEqualTo("PATCH");
        assertThat(json(patch.body())).isEqualTo(
                json("{\"qos\": {\"iopsLimit\": 100, \"bandwidthLimitBytes\": 209715200}}"));
    }

    @Test
    void poolUpdateWithNothingToChangeIsAUsageError() {
        CliHarness.Result result = cli.run("pool", "update", "gold");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("nothing to change");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void volumeCreate() throws IOException {
        FakeApi.Request request = expectOne("POST", "/volumes", 201, TestData.VOLUME,
                "volume", "create", "vm-01", "--pool", "gold", "--size", "10G", "--serving-node", "node-a");
        assertThat(json(request.body())).isEqualTo(json("""
                {"name": "vm-01", "pool": "gold", "sizeBytes": 10737418240, "servingNode": "node-a"}"""));
    }

    @Test
    void volumeCreateWithoutServingNode() throws IOException {
        FakeApi.Request request = expectOne("POST", "/volumes", 201, TestData.VOLUME,
                "volume", "create", "vm-01", "--pool", "gold", "--size", "4096");
        assertThat(json(request.body())).isEqualTo(json("""
                {"name": "vm-01", "pool": "gold", "sizeBytes": 4096}"""));
    }

    @Test
    void volumeCreateReporting512BytePhysicalBlocks() throws IOException {
        FakeApi.Request request = expectOne("POST", "/volumes", 201, TestData.VOLUME,
                "volume", "create", "legacy", "--pool", "gold", "--size", "4096", "--physical-block-size", "512");
        assertThat(json(request.body())).isEqualTo(json("""
                {"name": "legacy", "pool": "gold", "sizeBytes": 4096, "physicalBlockBytes": 512}"""));
    }

    @Test
    void volumeList() {
        expectOne("GET", "/volumes", 200, TestData.list(TestData.VOLUME), "volume", "list");
    }

    @Test
    void volumeListByPool() {
        expectOne("GET", "/volumes?pool=gold", 200, TestData.list(TestData.VOLUME), "volume", "list", "--pool", "gold");
    }

    @Test
    void volumeShow() {
        expectOne("GET", "/volumes/vm-01", 200, TestData.VOLUME, "volume", "show", "vm-01");
    }

    @Test
    void volumeResize() throws IOException {
        FakeApi.Request request = expectOne("PATCH", "/volumes/vm-01", 200, TestData.VOLUME,
                "volume", "resize", "vm-01", "--size", "20GiB");
        assertThat(json(request.body())).isEqualTo(json("{\"sizeBytes\": 21474836480}"));
    }

    @Test
    void volumeQosSetsOwnLimitsKeepingTheOneNotGiven() throws IOException {
        api.reply("GET", "/volumes/vm-01", 200, """
                {"name": "vm-01", "qos": {"iopsLimit": 500, "bandwidthLimitBytes": 1048576}, "qosSource": "POOL"}""");
        api.reply("PATCH", "/volumes/vm-01", 200, TestData.VOLUME);
        CliHarness.Result result = cli.run("volume", "qos", "vm-01", "--iops-limit", "100");
        assertThat(result.err()).isEmpty();
        assertThat(result.code()).isZero();
        FakeApi.Request patch = api.requests().get(api.requests().size() - 1);
        assertThat(patch.method()).isEqualTo("PATCH");
        assertThat(json(patch.body()))
                .isEqualTo(json("{\"qos\": {\"iopsLimit\": 100, \"bandwidthLimitBytes\": 1048576}}"));
    }

    @Test
    void volumeQosBackToThePool() throws IOException {
        FakeApi.Request request = expectOne("PATCH", "/volumes/vm-01", 200, TestData.VOLUME,
                "volume", "qos", "vm-01", "--pool");
        assertThat(json(request.body())).isEqualTo(json("{\"poolQos\": true}"));
    }

    @Test
    void volumeQosNeedsSomethingToChange() {
        CliHarness.Result result = cli.run("volume", "qos", "vm-01");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("--pool");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void volumeDelete() {
        expectOne("DELETE", "/volumes/vm-01", 204, null, "volume", "delete", "vm-01");
    }

    @Test
    void volumeExtents() {
        expectOne("GET", "/volumes/vm-01/extents", 200, TestData.list(TestData.EXTENT), "volume", "extents", "vm-01");
    }

    @Test
    void snapshotCreate() throws IOException {
        FakeApi.Request request = expectOne("POST", "/volumes/vm-01/snapshots", 201, TestData.SNAPSHOT,
                "snapshot", "create", "vm-01", "before-upgrade");
        assertThat(json(request.body())).isEqualTo(json("{\"name\": \"before-upgrade\"}"));
    }

    @Test
    void snapshotList() {
        expectOne("GET", "/volumes/vm-01/snapshots", 200, TestData.list(TestData.SNAPSHOT),
                "snapshot", "list", "vm-01");
    }

    @Test
    void snapshotDelete() {
        expectOne("DELETE", "/volumes/vm-01/snapshots/before-upgrade", 204, null,
                "snapshot", "delete", "vm-01", "before-upgrade");
    }

    @Test
    void targetCreateWithoutChap() throws IOException {
        FakeApi.Request request = expectOne("POST", "/targets", 201, TestData.TARGET,
                "target", "create", "iqn.2026-11.io.keel:web", "--alias", "web", "--lun", "0=vm-01",
                "--lun", "1=vm-02:ro", "--allow-initiator", "iqn.1998-01.com.vmware:esx1");
        assertThat(json(request.body())).isEqualTo(json("""
                {"iqn": "iqn.2026-11.io.keel:web", "alias": "web",
                 "luns": [{"lun": 0, "volume": "vm-01"}, {"lun": 1, "volume": "vm-02", "readOnly": true}],
                 "allowedInitiators": ["iqn.1998-01.com.vmware:esx1"], "chap": null}"""));
    }

    @Test
    void targetShowUsesTheIqnAsPathSegment() {
        expectOne("GET", "/targets/iqn.2026-11.io.keel:web", 200, TestData.TARGET,
                "target", "show", "iqn.2026-11.io.keel:web");
    }

    @Test
    void targetList() {
        expectOne("GET", "/targets", 200, TestData.list(TestData.TARGET), "target", "list");
    }

    @Test
    void targetSessionsListsWhoIsLoggedIn() {
        api.reply("GET", "/targets/iqn.2026-11.io.keel:web/sessions", 200, """
                [{"node": "node-a", "initiator": "iqn.1998-01.com.vmware:esx1", "isid": "400001370000", "tsih": 7,
                  "initiatorAddress": "10.0.0.21:51234"}]""");
        CliHarness.Result result = cli.run("target", "sessions", "iqn.2026-11.io.keel:web");
        assertThat(result.err()).isEmpty();
        assertThat(result.code()).isZero();
        assertThat(api.only().path()).isEqualTo("/api/v1/targets/iqn.2026-11.io.keel:web/sessions");
        assertThat(result.out()).contains("iqn.1998-01.com.vmware:esx1", "10.0.0.21:51234", "node-a", "400001370000");
    }

    @Test
    void targetDelete() {
        expectOne("DELETE", "/targets/iqn.2026-11.io.keel:web", 204, null,
                "target", "delete", "iqn.2026-11.io.keel:web");
    }

    @Test
    void targetUpdateIsAPutOfTheWholeDefinition() throws IOException {
        api.reply("GET", "/targets/iqn.2026-11.io.keel:web", 200, TestData.TARGET);
        api.reply("PUT", "/targets/iqn.2026-11.io.keel:web", 200, TestData.TARGET);
        CliHarness.Result result = cli.run("target", "update", "iqn.2026-11.io.keel:web", "--lun", "0=vm-01",
                "--chap-user", "esx");
        assertThat(result.code()).as(result.err()).isZero();
        // The target's CHAP user again, no secret source: the chap object goes without secrets, keeping them.
        FakeApi.Request request = api.requests().get(1);
        assertThat(request.method()).isEqualTo("PUT");
        assertThat(json(request.body())).isEqualTo(json("""
                {"iqn": "iqn.2026-11.io.keel:web", "luns": [{"lun": 0, "volume": "vm-01"}], "allowedInitiators": [],
                 "chap": {"username": "esx"}}"""));
        assertThat(cli.prompts).isEmpty();
    }

    @Test
    void targetUpdateToANewChapUserNeedsItsSecret() {
        api.reply("GET", "/targets/iqn.2026-11.io.keel:web", 200, TestData.TARGET);
        CliHarness.Result result = cli.run("target", "update", "iqn.2026-11.io.keel:web", "--chap-user", "esx2");
        assertThat(result.code()).as("no terminal to ask for esx2's secret").isEqualTo(1);
        assertThat(api.requests()).hasSize(1);
    }

    @Test
    void targetUpdateWithoutChapRemovesIt() throws IOException {
        FakeApi.Request request = expectOne("PUT", "/targets/iqn.2026-11.io.keel:web", 200, TestData.TARGET,
                "target", "update", "iqn.2026-11.io.keel:web");
        assertThat(json(request.body())).isEqualTo(json("""
                {"iqn": "iqn.2026-11.io.keel:web", "luns": [], "allowedInitiators": [], "chap": null}"""));
    }

    @Test
    void pathSegmentsAreEncoded() {
        assertThat(ApiClient.path("volumes", "a b/c", "snapshots")).isEqualTo("/volumes/a%20b%2Fc/snapshots");
        assertThat(ApiClient.path("targets", "iqn.2026-11.io.keel:web")).isEqualTo("/targets/iqn.2026-11.io.keel:web");
    }

    @Test
    void lunsAreValidated() {
        assertThat(cli.run("target", "create", "iqn.x:y", "--lun", "zero=vm").code()).isEqualTo(1);
        assertThat(cli.run("target", "create", "iqn.x:y", "--lun", "0=vm:rw").code()).isEqualTo(1);
        CliHarness.Result twice = cli.run("target", "create", "iqn.x:y", "--lun", "0=a", "--lun", "0=b");
        assertThat(twice.code()).isEqualTo(1);
        assertThat(twice.err()).contains("LUN 0 is given twice");
        assertThat(api.requests()).isEmpty();
    }
}
