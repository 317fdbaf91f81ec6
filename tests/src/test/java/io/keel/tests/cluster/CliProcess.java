package io.keel.tests.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The admin command line run as a user runs it: {@code ./keel <resource> <verb> ...} from the
 * repository root, one process per command, with the connection given by {@code KEEL_URL} and
 * the environment variables the test chooses. Nothing of the developer's own environment
 * ({@code KEEL_PASSWORD}, the demo's password file) leaks in.
 */
final class CliProcess {

    /** What one command did: its exit code and everything it printed. */
    record Result(int exitCode, String out, String err) {

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private static final long COMMAND_TIMEOUT_SECONDS = 60;
    private static final String NODE_JAR = "appliance-ui/target/keel-node.jar";

    private final Path home;
    private final Path scratch;
    private final Map<String, String> env = new HashMap<>();
    private final boolean throughLauncher;
    private int runs;

    /**
     * A command line against the node at {@code url}; {@code scratch} holds the commands' output
     * files and stands in for {@code KEEL_DATA_DIR}, so that no demo password is found there.
     */
    CliProcess(final String url, final Path scratch) throws IOException {
        this.home = keelHome();
        this.scratch = scratch;
        Files.createDirectories(scratch);
        env.put("KEEL_URL", url);
        env.put("KEEL_DATA_DIR", scratch.toString());
        // The launcher looks for a JDK >= 25; the one running the tests is one.
        env.put("JAVA_HOME", System.getProperty("java.home"));
        this.throughLauncher = !nodeJarIsStale(home);
    }

    /** The repository root: {@code keel.home} as the build sets it, else the parent of the tests module. */
    static Path keelHome() {
        Path home = Path.of(System.getProperty("keel.home", "..")).toAbsolutePath().normalize();
        if (!Files.isExecutable(home.resolve("keel"))) {
            throw new IllegalStateException("no executable launcher 'keel' in " + home);
        }
        return home;
    }

    /** Sets an environment variable for the following commands; null removes it. */
    CliProcess env(final String name, final String value) {
        if (value == null) {
            env.remove(name);
        } else {
            env.put(name, value);
        }
        return this;
    }

    /** Whether commands go through {@code ./keel} (else straight to the CLI's main class). */
    boolean throughLauncher() {
        return throughLauncher;
    }

    /** Runs {@code ./keel args...}, waits for it and returns what it did. */
    Result run(final String... args) {
        List<String> command = new ArrayList<>();
        if (throughLauncher) {
            command.add(home.resolve("keel").toString());
        } else {
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-cp", home.resolve(NODE_JAR) + File.pathSeparator + home.resolve("appliance-ui/target/lib/*"),
                    "io.keel.appliance.cli.KeelCli"));
        }
        command.addAll(List.of(args));
        int n = ++runs;
        Path out = scratch.resolve("cli-" + n + ".out");
        Path err = scratch.resolve("cli-" + n + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("KEEL_"));
        builder.environment().putAll(env);
        Process process = null;
        try {
            process = builder.start();
            if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("'keel " + String.join(" ", args) + "' did not finish within "
                        + COMMAND_TIMEOUT_SECONDS + " s");
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running keel " + String.join(" ", args), e);
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    /**
     * Whether the launcher would rebuild the node before running a command (its jar older than a
     * POM or a main source, the launcher's own rule). A test must not start a Maven build, so it
     * then runs the CLI from the jar as it is, as the node under test does.
     */
    private static boolean nodeJarIsStale(final Path home) throws IOException {
        Path jar = home.resolve(NODE_JAR);
        if (!Files.exists(jar)) {
            throw new IllegalStateException("the node jar " + jar + " is missing: build with ./keel build");
        }
        FileTime built = Files.getLastModifiedTime(jar);
        List<Path> roots = new ArrayList<>(List.of(home.resolve("pom.xml")));
        try (Stream<Path> modules = Files.list(home)) {
            modules.filter(Files::isDirectory).forEach(module -> {
                roots.add(module.resolve("pom.xml"));
                roots.add(module.resolve("src/main"));
            });
        }
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                if (files.anyMatch(file -> newer(file, built))) {
                    System.err.println("CliProcess: " + jar + " is older than the sources under " + root
                            + "; running the CLI from it directly instead of through ./keel, which would rebuild it");
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean newer(final Path file, final FileTime than) {
        try {
            return Files.getLastModifiedTime(file).compareTo(than) > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
