package io.keel.appliance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the CLI connects, how it authenticates, and how it retries. */
class ConnectionTest {

    private FakeApi api;
    private CliHarness cli;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        api = new FakeApi();
        cli = new CliHarness(api);
        api.reply("GET", "/pools", 200, "[]");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private static String basic(final String user, final String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void sendsBasicAuthWithTheDefaultUserAndThePasswordFromTheEnvironment() {
        assertThat(cli.run("pool", "list").code()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo(basic("admin", TestData.PASSWORD));
        assertThat(api.only().header("Idempotency-Key")).as("reads carry no key").isNull();
    }

    @Test
    void userComesFromTheOptionThenTheEnvironment() {
        cli.env.put("KEEL_USER", "ops");
        cli.run("pool", "list");
        cli.run("pool", "list", "--user", "root");
        assertThat(api.requests()).extracting(r -> r.header("Authorization"))
                .containsExactly(basic("ops", TestData.PASSWORD), basic("root", TestData.PASSWORD));
    }

    @Test
    void urlOptionBeatsTheEnvironment() throws IOException {
        try (FakeApi other = new FakeApi()) {
            other.reply("GET", "/pools", 200, "[]");
            cli.env.put("KEEL_URL", "http://127.0.0.1:1");
            assertThat(cli.run("pool", "list", "--url", other.url() + "/").code()).isZero();
            assertThat(other.requests()).hasSize(1);
        }
    }

    @Test
    void passwordFileBeatsTheEnvironmentAndLosesItsNewline() throws IOException {
        Path file = dir.resolve("pw");
        Files.writeString(file, "from-file-pw\n");
        assertThat(cli.run("pool", "list", "--password-file", file.toString()).code()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo(basic("admin", "from-file-pw"));
    }

    @Test
    void demoPasswordUnderKeelHomeIsUsedWhenNothingElseIsGiven() throws IOException {
        Path file = dir.resolve("data/demo/admin-password");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "demo-generated\n");
        cli.env.remove("KEEL_PASSWORD");
        cli.env.put("KEEL_HOME", dir.toString());
        assertThat(cli.run("pool", "list").code()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo(basic("admin", "demo-generated"));
    }

    @Test
    void demoDataDirBeatsKeelHome() throws IOException {
        Path home = Files.createDirectories(dir.resolve("home/data/demo"));
        Files.writeString(home.resolve("admin-password"), "home-pw");
        Path data = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(data.resolve("admin-password"), "data-dir-pw");
        cli.env.remove("KEEL_PASSWORD");
        cli.env.put("KEEL_HOME", dir.resolve("home").toString());
        cli.env.put("KEEL_DATA_DIR", data.toString());
        assertThat(cli.run("pool", "list").code()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo(basic("admin", "data-dir-pw"));
    }

    @Test
    void promptsWhenThereIsNoOtherPassword() {
        cli.env.remove("KEEL_PASSWORD");
        cli.env.put("KEEL_HOME", dir.toString());
        cli.typed.add("typed-pw");
        CliHarness.Result result = cli.run("pool", "list");
        assertThat(result.code()).isZero();
        assertThat(cli.prompts).containsExactly("Password for admin at " + api.url() + ": ");
        assertThat(api.only().header("Authorization")).isEqualTo(basic("admin", "typed-pw"));
        assertThat(result.all()).doesNotContain("typed-pw");
    }

    @Test
    void withoutPasswordOrTerminalSaysHowToGiveOne() {
        cli.env.remove("KEEL_PASSWORD");
        CliHarness.Result result = cli.run("pool", "list");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).startsWith("keel: no admin password: set KEEL_PASSWORD, give --password-file FILE");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void missingPasswordFileIsReported() {
        CliHarness.Result result = cli.run("pool", "list", "--password-file", dir.resolve("nope").toString());
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("cannot read the password file").contains("does not exist");
    }

    @Test
    void healthNeedsNoPassword() {
        cli.env.remove("KEEL_PASSWORD");
        api.reply("GET", "/health", 200, "{\"status\": \"degraded\", \"leader\": null}");
        CliHarness.Result result = cli.run("cluster", "health");
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("status: degraded").contains("leader: none");
        assertThat(cli.prompts).isEmpty();
    }

    @Test
    void unauthorizedSaysHowToGiveThePassword() {
        api.reply("GET", "/volumes", 401, TestData.error("UNAUTHENTICATED", "wrong user or password"));
        CliHarness.Result result = cli.run("volume", "list");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).startsWith("keel: wrong user or password (HTTP 401 UNAUTHENTICATED)")
                .contains("the password from KEEL_PASSWORD was refused for user 'admin'")
                .contains("--password-file FILE");
        assertThat(result.all()).doesNotContain(TestData.PASSWORD);
    }

    @Test
    void retriesAChangeAfter503WithTheSameIdempotencyKey() {
        api.reply("POST", "/volumes", 503, TestData.error("UNAVAILABLE", "no meta leader"))
                .reply("POST", "/volumes", 503, TestData.error("UNAVAILABLE", "no meta leader"))
                .reply("POST", "/volumes", 201, TestData.VOLUME);
        CliHarness.Result result = cli.run("volume", "create", "vm-01", "--pool", "gold", "--size", "10G");
        assertThat(result.code()).as(result.err()).isZero();
        List<FakeApi.Request> attempts = api.requests();
        assertThat(attempts).hasSize(3);
        String key = attempts.get(0).header("Idempotency-Key");
        assertThat(key).matches("[0-9a-f-]{36}");
        assertThat(attempts).allSatisfy(r -> {
            assertThat(r.header("Idempotency-Key")).isEqualTo(key);
            assertThat(r.body()).isEqualTo(attempts.get(0).body());
        });
        assertThat(result.out()).contains("created volume vm-01");
    }

    @Test
    void eachInvocationHasItsOwnKey() {
        api.reply("DELETE", "/volumes/a", 204, null).reply("DELETE", "/volumes/b", 204, null);
        cli.run("volume", "delete", "a");
        cli.run("volume", "delete", "b");
        List<FakeApi.Request> requests = api.requests();
        assertThat(requests.get(0).header("Idempotency-Key")).isNotNull()
                .isNotEqualTo(requests.get(1).header("Idempotency-Key"));
    }

    @Test
    void stillUnavailableAfterTheRetriesExitsWith2() {
        api.reply("DELETE", "/pools/gold", 503, TestData.error("UNAVAILABLE", "no meta leader: election in progress"));
        CliHarness.Result result = cli.run("pool", "delete", "gold");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).startsWith("keel: no meta leader: election in progress (HTTP 503 UNAVAILABLE)")
                .contains("gave up after " + ApiClient.MAX_ATTEMPTS + " attempts");
        assertThat(api.requests()).hasSize(ApiClient.MAX_ATTEMPTS);
    }

    @Test
    void retriesStopAtTheTimeout() {
        api.reply("DELETE", "/pools/gold", 503, TestData.error("UNAVAILABLE", "no meta leader"));
        // The harness backs off 5 ms, then 10 ms: a 12 ms budget leaves room for at most two attempts.
        CliHarness.Result result = cli.run("pool", "delete", "gold", "--timeout", "12ms");
        assertThat(result.code()).isEqualTo(2);
        assertThat(api.requests().size()).isLessThan(ApiClient.MAX_ATTEMPTS);
    }

    @Test
    void connectionRefusedExitsWith2AndNamesTheUrl() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        CliHarness.Result result = cli.run("volume", "create", "v", "--pool", "p", "--size", "1G", "--url", url);
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).startsWith("keel: cannot reach the Keel API at " + url + " (")
                .contains(ApiClient.MAX_ATTEMPTS + " attempts").contains("--url or KEEL_URL");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void aUrlThatIsNotHttpIsAUsageError() {
        CliHarness.Result result = cli.run("pool", "list", "--url", "ftp://x");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("--url 'ftp://x' is not an http:// or https:// URL");
    }

    @Test
    void aTrailingApiPrefixInTheUrlIsAccepted() {
        assertThat(cli.run("pool", "list", "--url", api.url() + "/api/v1/").code()).isZero();
        assertThat(api.only().path()).isEqualTo("/api/v1/pools");
    }
}
