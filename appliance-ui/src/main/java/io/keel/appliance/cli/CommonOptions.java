package io.keel.appliance.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options every API command takes: where the node is, who we are, how long to keep trying,
 * and {@code --json}. Defaults come from the environment at run time, not from picocli's
 * {@code ${env:...}}, so that tests can hand in their own environment.
 */
final class CommonOptions {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    static final String DEFAULT_USER = "admin";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Where {@code ./keel demo} leaves the generated admin password, relative to the Keel home. */
    static final String DEMO_PASSWORD_FILE = "data/demo/admin-password";

    @Option(names = "--url", paramLabel = "URL", order = 100,
            description = "REST address of any node (default: $KEEL_URL, else " + DEFAULT_URL + ")")
    String url;

    @Option(names = "--user", paramLabel = "USER", order = 101,
            description = "admin user (default: $KEEL_USER, else " + DEFAULT_USER + ")")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE", order = 102,
            description = "file holding the admin password (else $KEEL_PASSWORD, else the demo's "
                    + "$KEEL_DATA_DIR/admin-password or $KEEL_HOME/" + DEMO_PASSWORD_FILE
                    + " if present, else a prompt)")
    Path passwordFile;

    @Option(names = "--timeout", paramLabel = "DURATION", order = 103, converter = Converters.DurationConverter.class,
            description = "give up after this long, retries included: 30, 30s, 500ms, 2m (default: 30s)")
    Duration timeout;

    @Option(names = "--json", order = 104, description = "print the API's JSON instead of a table")
    boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 105, description = "show this help")
    boolean help;

    /** A client for the chosen node; the password is looked for only when a request needs it. */
    ApiClient connect(final CliEnvironment env) {
        String base = url != null ? url : orElse(env.getenv("KEEL_URL"), DEFAULT_URL);
        String name = user != null ? user : orElse(env.getenv("KEEL_USER"), DEFAULT_USER);
        Duration limit = timeout != null ? timeout : DEFAULT_TIMEOUT;
        return new ApiClient(base, name, () -> password(env, base, name), limit, env);
    }

    private ApiClient.Password password(final CliEnvironment env, final String base, final String name) {
        // An explicit option beats the environment, as everywhere else on this command line.
        if (passwordFile != null) {
            return new ApiClient.Password(Secrets.readFile(passwordFile, "password"),
                    "--password-file " + passwordFile);
        }
        String fromEnv = env.getenv("KEEL_PASSWORD");
        if (fromEnv != null) {
            return new ApiClient.Password(fromEnv, "KEEL_PASSWORD");
        }
        // Where `./keel demo` leaves the generated password: $KEEL_DATA_DIR when the demo was started with it.
        String dataDir = env.getenv("KEEL_DATA_DIR");
        String home = env.getenv("KEEL_HOME");
        Path demo = dataDir != null ? Path.of(dataDir).resolve("admin-password")
                : home != null ? Path.of(home).resolve(DEMO_PASSWORD_FILE) : null;
        if (demo != null && Files.isReadable(demo)) {
            return new ApiClient.Password(Secrets.readFile(demo, "password"), demo.toString());
        }
        String typed = Secrets.prompt(env, "Password for " + name + " at " + base, false);
        if (typed != null) {
            return new ApiClient.Password(typed, "the prompt");
        }
        throw new CliException("no admin password: set KEEL_PASSWORD, give --password-file FILE, or run in a "
                + "terminal to be asked for it", CliException.FAILED);
    }

    private static String orElse(final String value, final String fallback) {
        return value != null ? value : fallback;
    }
}
