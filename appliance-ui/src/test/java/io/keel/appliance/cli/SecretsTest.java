package io.keel.appliance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** CHAP secrets and passwords come from files or the terminal, reach the server, and are never printed. */
class SecretsTest {

    private static final String CHAP = "chap-secret-12";
    private static final String MUTUAL = "mutual-secret-1";
    private static final String IQN = "iqn.2026-11.io.keel:web";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private FakeApi api;
    private CliHarness cli;
    private Path chapFile;
    private Path mutualFile;

    @BeforeEach
    void start() throws IOException {
        api = new FakeApi();
        cli = new CliHarness(api);
        chapFile = Files.writeString(dir.resolve("chap"), CHAP + "\n");
        mutualFile = Files.writeString(dir.resolve("mutual"), MUTUAL);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void assertNoSecretIn(final CliHarness.Result result) {
        assertThat(result.all()).doesNotContain(CHAP).doesNotContain(MUTUAL).doesNotContain(TestData.PASSWORD);
    }

    @Test
    void secretsFromFilesAreSentButNotPrinted() throws IOException {
        // A faulty server that echoes the secrets must not make the CLI print them, even with --json.
        String echoing = """
                {"iqn": "%s", "alias": null, "luns": [], "allowedInitiators": [],
                 "chap": {"username": "esx", "secret": "%s", "mutualUsername": "keel", "mutualSecret": "%s"}}"""
                .formatted(IQN, CHAP, MUTUAL);
        api.reply("POST", "/targets", 201, echoing);
        for (boolean json : List.of(false, true)) {
            List<String> args = new ArrayList<>(List.of("target", "create", IQN, "--chap-user", "esx",
                    "--chap-secret-file", chapFile.toString(), "--mutual-chap-user", "keel",
                    "--mutual-chap-secret-file", mutualFile.toString()));
            if (json) {
                args.add("--json");
            }
            CliHarness.Result result = cli.run(args.toArray(String[]::new));
            assertThat(result.code()).as(result.err()).isZero();
            assertNoSecretIn(result);
            assertThat(result.out()).contains("esx");
        }
        JsonNode chap = JSON.readTree(api.requests().get(0).body()).get("chap");
        assertThat(chap).isEqualTo(JSON.readTree("""
                {"username": "esx", "secret": "%s", "mutualUsername": "keel", "mutualSecret": "%s"}"""
                .formatted(CHAP, MUTUAL)));
    }

    @Test
    void discoveryAuthIsSetFromFilesShownWithoutSecretsAndTurnedOff() throws IOException {
        String view = """
                {"required": true, "chap": {"username": "disco", "mutualUsername": null}}""";
        api.reply("GET", "/iscsi/discovery-auth", 200, "{\"required\": false, \"chap\": null}");
        api.reply("PUT", "/iscsi/discovery-auth", 200, view);
        CliHarness.Result set = cli.run("target", "discovery-auth", "--chap-user", "disco", "--chap-secret-file",
                chapFile.toString());
        assertThat(set.code()).as(set.err()).isZero();
        assertNoSecretIn(set);
        assertThat(JSON.readTree(api.requests().get(1).body())).isEqualTo(JSON.readTree("""
                {"chap": {"username": "disco", "secret": "%s"}}""".formatted(CHAP)));
        // A new user without a secret source and no terminal: a usage error, nothing sent.
        api.reply("GET", "/iscsi/discovery-auth", 200, view);
        assertThat(cli.run("target", "discovery-auth", "--chap-user", "newcomer").code()).isEqualTo(1);
        // The stored user again without a secret: the stored secret is kept.
        api.reply("GET", "/iscsi/discovery-auth", 200, view);
        api.reply("PUT", "/iscsi/discovery-auth", 200, view);
        assertThat(cli.run("target", "discovery-auth", "--chap-user", "disco").code()).isZero();
        assertThat(JSON.readTree(api.requests().get(api.requests().size() - 1).body()))
                .isEqualTo(JSON.readTree("{\"chap\": {\"username\": \"disco\"}}"));

        api.reply("GET", "/iscsi/discovery-auth", 200, view);
        CliHarness.Result shown = cli.run("target", "discovery-auth");
        assertThat(shown.code()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("disco", "yes");

        api.reply("DELETE", "/iscsi/discovery-auth", 204, null);
        assertThat(cli.run("target", "discovery-auth", "--off").code()).isZero();
        assertThat(cli.run("target", "discovery-auth", "--off", "--chap-user", "x").code()).isEqualTo(1);
        assertThat(cli.run("target", "discovery-auth", "--off", "--mutual-chap-user", "x").code()).isEqualTo(1);
        assertThat(cli.run("target", "discovery-auth", "--chap-secret-file", chapFile.toString()).code())
                .as("a secret without a user").isEqualTo(1);
    }

    @Test
    void noOptionTakesASecretAsItsValue() {
        List<String> checked = new ArrayList<>();
        walk(KeelCli.commandLine(new CliHarness(null).environment()), checked);
        assertThat(checked).contains("--chap-secret-file", "--mutual-chap-secret-file", "--password-file",
                "--prompt-chap-secret");
    }

    private static void walk(final CommandLine command, final List<String> checked) {
        for (OptionSpec option : command.getCommandSpec().options()) {
            String name = option.longestName().toLowerCase(Locale.ROOT);
            if (name.contains("secret") || name.contains("password")) {
                assertThat(option.type()).as(command.getCommandSpec().qualifiedName() + " " + name)
                        .isIn(Path.class, boolean.class);
                checked.add(name);
            }
        }
        command.getSubcommands().values().forEach(sub -> walk(sub, checked));
    }

    @Test
    void aSecretOnTheCommandLineIsRefused() {
        CliHarness.Result result = cli.run("target", "create", IQN, "--chap-user", "esx", "--chap-secret", CHAP);
        assertThat(result.code()).isEqualTo(1);
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void withoutAFileTheSecretIsAskedTwice() throws IOException {
        api.reply("POST", "/targets", 201, TestData.TARGET);
        cli.typed.add(CHAP);
        cli.typed.add(CHAP);
        CliHarness.Result result = cli.run("target", "create", IQN, "--chap-user", "esx");
        assertThat(result.code()).as(result.err()).isZero();
        assertThat(cli.prompts).containsExactly("CHAP secret for esx: ", "CHAP secret for esx (again): ");
        assertThat(JSON.readTree(api.only().body()).path("chap").path("secret").asText()).isEqualTo(CHAP);
        assertNoSecretIn(result);
    }

    @Test
    void differingEntriesSendNothing() {
        cli.typed.add(CHAP);
        cli.typed.add(CHAP + "x");
        CliHarness.Result result = cli.run("target", "create", IQN, "--chap-user", "esx");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("differ");
        assertNoSecretIn(result);
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void withoutATerminalTheFileIsAskedFor() {
        CliHarness.Result result = cli.run("target", "create", IQN, "--chap-user", "esx");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("no terminal to ask for the CHAP secret for esx: give --chap-secret-file");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void aSecretOfTheWrongLengthIsRefusedWithoutShowingIt() throws IOException {
        Path shortFile = Files.writeString(dir.resolve("short"), "tooshort");
        CliHarness.Result result = cli.run("target", "create", IQN, "--chap-user", "esx",
                "--chap-secret-file", shortFile.toString());
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("must be 12 to 16 characters long, not 8").doesNotContain("tooshort");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void updateCanAskForANewSecret() throws IOException {
        api.reply("GET", "/targets/" + IQN, 200, TestData.TARGET);
        api.reply("PUT", "/targets/" + IQN, 200, TestData.TARGET);
        cli.typed.add(CHAP);
        cli.typed.add(CHAP);
        CliHarness.Result result = cli.run("target", "update", IQN, "--chap-user", "esx", "--prompt-chap-secret");
        assertThat(result.code()).as(result.err()).isZero();
        assertThat(JSON.readTree(api.requests().get(1).body()).path("chap").path("secret").asText()).isEqualTo(CHAP);
        assertNoSecretIn(result);
    }

    @Test
    void chapOptionsNeedAUser() {
        assertThat(cli.run("target", "create", IQN, "--chap-secret-file", chapFile.toString()).err())
                .contains("CHAP options need --chap-user");
        assertThat(cli.run("target", "create", IQN, "--chap-user", "a", "--mutual-chap-secret-file",
                mutualFile.toString()).err()).contains("need --mutual-chap-user");
        assertThat(api.requests()).isEmpty();
    }

    @Test
    void passwordsDoNotShowInToString() {
        assertThat(new ApiClient.Password(TestData.PASSWORD, "KEEL_PASSWORD").toString())
                .doesNotContain(TestData.PASSWORD);
    }
}
