package io.keel.tests.harness;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Keel node running in its own JVM from the packaged node jar, as an admin would run it:
 * started with a YAML configuration, stopped with SIGTERM or killed with SIGKILL.
 */
public final class NodeProcess implements AutoCloseable {

    private static final Path NODE_JAR = Path.of(System.getProperty("keel.nodeJar",
            "../appliance-ui/target/keel-node.jar")).toAbsolutePath().normalize();

    public final String name;
    public final Path dataDir;
    public final Path config;
    public final int restPort;
    public final int adminPort;
    /** The loopback port of the node's iSCSI portal (nodes with the access role). */
    public final int iscsiPort;
    private Process process;

    public NodeProcess(final String name, final Path dataDir, final int restPort, final int adminPort) {
        this.name = name;
        this.dataDir = dataDir;
        this.config = dataDir.resolve("keel.yml");
        this.restPort = restPort;
        this.adminPort = adminPort;
        try {
            this.iscsiPort = freePort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Ports handed out in this JVM: the kernel may offer a just-closed port again. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A free TCP port on loopback (free when asked; the node binds it moments later), never one
     * this JVM handed out before.
     */
    public static int freePort() throws IOException {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                socket.setReuseAddress(true);
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            }
        }
    }

    /**
     * The common part of a test node's configuration: ports, data directory, quiet logging. It
     * ends inside the {@code node} section, so a caller may append more node keys, then sections.
     */
    public String baseConfig(final int rpcPort) {
        return """
                server:
                  applicationConnectors: [{type: http, bindHost: 127.0.0.1, port: %d}]
                  adminConnectors: [{type: http, bindHost: 127.0.0.1, port: %d}]
                  requestLog: {appenders: []}
                iscsi:
                  listen: ["127.0.0.1:%d"]
                logging:
                  level: INFO
                  appenders:
                    - type: file
                      currentLogFilename: %s/keel.log
                      archive: false
                    - type: console
                      threshold: ERROR
                node:
                  name: %s
                  dataDir: %s
                  rpcPort: %d
                """.formatted(restPort, adminPort, iscsiPort, dataDir, name, dataDir, rpcPort);
    }

    /**
     * Starts a one-node appliance like `./keel demo`'s (embedded ZooKeeper, every role, a 1 GiB
     * file-backed device, a default pool of replication factor 1) on free ports under {@code dir}.
     */
    public static NodeProcess startOneNodeAppliance(final String name, final Path dir) throws IOException {
        NodeProcess node = new NodeProcess(name, dir, freePort(), freePort());
        node.writeConfig(node.baseConfig(freePort()) + """
                zookeeper:
                  mode: embedded
                  clientPort: %d
                chunk:
                  devices: [{path: devices/data-0.img, sizeBytes: 1073741824, createFile: true}]
                cluster:
                  defaultPool: {name: default, replicationFactor: 1}
                """.formatted(freePort()));
        node.start();
        return node;
    }

    /**
     * Waits until this one-node appliance serves its REST API with a meta leader and the
     * generated admin account, and returns a client logged in as admin.
     */
    public Rest awaitAdminApi() throws Exception {
        Rest anonymous = new Rest(restPort, "admin", null);
        Await.until(this + " ready", Duration.ofSeconds(60), () -> {
            if (!isAlive()) {
                throw new AssertionError(this + " exited:\n" + console());
            }
            Rest.Reply health = anonymous.get("/api/v1/health");
            return health.status() == 200 && !health.body().path("leader").isNull() ? health : null;
        });
        Path passwordFile = dataDir.resolve("admin-password");
        String password = Await.until("the generated admin password", Duration.ofSeconds(10),
                () -> Files.exists(passwordFile) ? Files.readString(passwordFile).strip() : null);
        Rest admin = anonymous.withPassword(password);
        // The file is written before the account reaches the metadata, so that no crash loses it.
        Await.until("the admin account in place", Duration.ofSeconds(20),
                () -> admin.get("/api/v1/pools").status() == 200 ? admin : null);
        return admin;
    }

    public void writeConfig(final String yaml) throws IOException {
        Files.createDirectories(dataDir);
        Files.writeString(config, yaml);
    }

    public void start() throws IOException {
        if (!Files.exists(NODE_JAR)) {
            throw new IllegalStateException("the node jar " + NODE_JAR + " is missing: build with ./keel build");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", NODE_JAR.toString(), "server", config.toString()));
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("console.log").toFile())
                .start();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Waits for the process to exit by itself and returns its exit code. */
    public int awaitExit(final Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout + "; " + hangReport());
        }
        return process.exitValue();
    }

    /**
     * What a node that does not exit is doing: its threads (SIGQUIT makes the JVM print them to the
     * console) and the end of its log, so that a hang seen once in CI can be diagnosed.
     */
    private String hangReport() throws InterruptedException {
        try {
            new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
            Thread.sleep(1000);
            return "end of its log:\n" + tail(log(), 60) + "\nits threads and console:\n" + tail(console(), 400);
        } catch (IOException e) {
            return "no report: " + e;
        }
    }

    private static String tail(final String text, final int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** What the node printed to its console (where a refused start explains itself). */
    public String console() throws IOException {
        Path file = dataDir.resolve("console.log");
        return Files.exists(file) ? Files.readString(file) : "";
    }

    /** SIGTERM without waiting: the start of a clean shutdown. */
    public void terminate() {
        if (process != null && process.isAlive()) {
            process.destroy();
        }
    }

    /** The node's own log file. */
    public String log() throws IOException {
        Path file = dataDir.resolve("keel.log");
        return Files.exists(file) ? Files.readString(file) : "";
    }

    /** SIGKILL: the node gets no chance to clean up, as in a power cut or an OOM kill. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM and wait: the node's clean shutdown. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            Instant deadline = Instant.now().plusSeconds(30);
            while (process.isAlive() && Instant.now().isBefore(deadline)) {
                process.waitFor(100, TimeUnit.MILLISECONDS);
            }
            kill();
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    @Override
    public String toString() {
        return name + " (REST " + restPort + ")";
    }
}
