package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.tests.harness.NodeProcess;
import io.keel.tests.harness.Rest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A one-node appliance with its iSCSI portal on a free loopback port, and helpers to export
 * volumes through it and to run libiscsi's and QEMU's command-line initiators against it.
 */
final class IscsiNode implements AutoCloseable {

    /** Set by .ci/run: a real client program that is missing fails its test instead of skipping it. */
    private static final boolean REQUIRE_CLIENTS = System.getenv("KEEL_REQUIRE_CLIENTS") != null;

    final NodeProcess node;
    final int iscsiPort;
    Rest rest;

    private IscsiNode(final NodeProcess node, final int iscsiPort) {
        this.node = node;
        this.iscsiPort = iscsiPort;
    }

    /** Starts the node under {@code dir} with a {@code deviceBytes} file-backed device. */
    static IscsiNode start(final String name, final Path dir, final long deviceBytes) throws Exception {
        NodeProcess node = new NodeProcess(name, dir, NodeProcess.freePort(), NodeProcess.freePort());
        node.writeConfig(node.baseConfig(NodeProcess.freePort()) + """
                zookeeper:
                  mode: embedded
                  clientPort: %d
                chunk:
                  devices: [{path: devices/data-0.img, sizeBytes: %d, createFile: true}]
                cluster:
                  defaultPool: {name: default, replicationFactor: 1}
                """.formatted(NodeProcess.freePort(), deviceBytes));
        node.start();
        IscsiNode started = new IscsiNode(node, node.iscsiPort);
        started.rest = node.awaitAdminApi();
        return started;
    }

    /** Starts the node again on the same data and ports (after {@link NodeProcess#kill}). */
    void restart() throws Exception {
        node.start();
        rest = node.awaitAdminApi();
    }

    /** Creates a volume in the default pool (thin) or a thick one, reporting 4096-byte physical blocks (512e). */
    void createVolume(final String name, final long sizeBytes, final boolean thin) throws Exception {
        createVolume(name, sizeBytes, thin, 4096);
    }

    /** Creates a volume whose LUNs report {@code physicalBlockBytes} (512: 512n, 4096: 512e). */
    void createVolume(final String name, final long sizeBytes, final boolean thin, final int physicalBlockBytes)
            throws Exception {
        if (!thin && rest.get("/api/v1/pools/thick").status() == 404) {
            assertThat(rest.post("/api/v1/pools", "{\"name\":\"thick\",\"replicationFactor\":1,"
                    + "\"provisioning\":\"THICK\"}").status()).isEqualTo(201);
        }
        String nonDefaultBlock = physicalBlockBytes == 4096 ? "" : ",\"physicalBlockBytes\":" + physicalBlockBytes;
        Rest.Reply created = rest.post("/api/v1/volumes", "{\"name\":\"%s\",\"pool\":\"%s\",\"sizeBytes\":%d%s}"
                .formatted(name, thin ? "default" : "thick", sizeBytes, nonDefaultBlock));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
    }

    /** Creates target {@code iqn} exporting {@code volume} as LUN 0; {@code extraJson} adds fields (ACL, CHAP). */
    void createTarget(final String iqn, final String volume, final String extraJson) throws Exception {
        createTarget(iqn, volume, false, extraJson);
    }

    /** Creates target {@code iqn} exporting {@code volume} as LUN 0, read-only or not. */
    void createTarget(final String iqn, final String volume, final boolean readOnly, final String extraJson)
            throws Exception {
        Rest.Reply created = rest.post("/api/v1/targets",
                "{\"iqn\":\"%s\",\"luns\":[{\"lun\":0,\"volume\":\"%s\",\"readOnly\":%b}],%s}"
                        .formatted(iqn, volume, readOnly, extraJson));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
    }

    /** The libiscsi URL of LUN {@code lun} of {@code iqn}, optionally with CHAP credentials. */
    String url(final String iqn, final int lun, final String chapUser, final String chapSecret) {
        String credentials = chapUser == null ? "" : chapUser + "%" + chapSecret + "@";
        return "iscsi://" + credentials + "127.0.0.1:" + iscsiPort + "/" + iqn + "/" + lun;
    }

    /** The portal's libiscsi URL (discovery). */
    String portalUrl() {
        return "iscsi://127.0.0.1:" + iscsiPort + "/";
    }

    @Override
    public void close() throws InterruptedException {
        node.stop();
    }

    /** Skips the calling test with a clear message when a client program is not installed. */
    static void assumeInstalled(final String... programs) {
        for (String program : programs) {
            boolean found = List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")).stream()
                    .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
            String why = program + " is not installed (Debian: libiscsi-bin, qemu-utils, qemu-block-extra, python3; "
                    + ".ci/run installs them)";
            // CI must not pass by skipping the real-client tests: there a missing program is a failure.
            if (REQUIRE_CLIENTS && !found) {
                throw new AssertionError(why + ", and KEEL_REQUIRE_CLIENTS is set");
            }
            Assumptions.assumeTrue(found, why);
        }
    }

    /** What a client program printed and how it exited. */
    record Run(int exit, String output) {
    }

    /** Runs a client program for at most {@code timeoutSeconds}, its output going to {@code log}. */
    static Run run(final Path log, final long timeoutSeconds, final List<String> command,
            final String... environment) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        for (int i = 0; i + 1 < environment.length; i += 2) {
            builder.environment().put(environment[i], environment[i + 1]);
        }
        Process process = builder.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds
                    + " s; output in " + log);
        }
        return new Run(process.exitValue(), Files.readString(log));
    }
}
