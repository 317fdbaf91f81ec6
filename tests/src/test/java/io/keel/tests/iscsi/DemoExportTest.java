package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.tests.harness.Await;
import io.keel.tests.harness.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance {@code ./keel demo} starts, from its own configuration (packaging/config/demo.yml,
 * only its ports moved to free ones): the banner names the portal and the demo target, and a real
 * initiator following it finds the target and its thin volume without CHAP.
 */
class DemoExportTest {

    private static final Path DEMO_YML = Path.of(System.getProperty("keel.home", ".."), "packaging", "config",
            "demo.yml");
    private static final Pattern QEMU_LINE = Pattern.compile("-drive file=(iscsi://([^/]+)/([^/]+)/0),format=raw");

    @TempDir
    Path dir;

    @Test
    void theBannerSaysHowToConnectAndAnInitiatorDoingSoFindsTheDemoVolume() throws Exception {
        IscsiNode.assumeInstalled("iscsi-ls", "iscsi-readcapacity16");
        NodeProcess node = new NodeProcess("demo", dir.resolve("demo"), NodeProcess.freePort(),
                NodeProcess.freePort());
        String yaml = Files.readString(DEMO_YML).replace("@DATA_DIR@", node.dataDir.toString())
                .replace("\"127.0.0.1:3260\"", "\"127.0.0.1:" + node.iscsiPort + "\"")
                .replace("port: 8080", "port: " + node.restPort).replace("port: 8081", "port: " + node.adminPort)
                .replace("clientPort: 2181", "clientPort: " + NodeProcess.freePort())
                .replace("rpcPort: 7400", "rpcPort: " + NodeProcess.freePort());
        node.writeConfig(yaml);
        node.start();
        try {
            node.awaitAdminApi();
            Matcher qemu = Await.until("the ready banner", Duration.ofSeconds(60), () -> {
                Matcher m = QEMU_LINE.matcher(node.console());
                return m.find() ? m : null;
            });
            String url = qemu.group(1);
            String portal = qemu.group(2);
            String iqn = qemu.group(3);
            assertThat(portal).isEqualTo("127.0.0.1:" + node.iscsiPort);
            assertThat(iqn).isEqualTo("iqn.2026-12.io.keel:demo");
            assertThat(node.console()).contains("iscsiadm -m discovery -t st -p " + portal);

            IscsiNode.Run discovery = run("iscsi-ls", "iscsi://" + portal);
            assertThat(discovery.exit()).as(discovery.output()).isZero();
            assertThat(discovery.output()).contains("Target:" + iqn);
            // The demo volume appears once its export is in the metadata (created at the first start).
            IscsiNode.Run capacity = Await.until("the demo LUN", Duration.ofSeconds(30), () -> {
                IscsiNode.Run r = run("iscsi-readcapacity16", "-s", url);
                return r.exit() == 0 ? r : null;
            });
            assertThat(capacity.output().strip()).as("demo.yml's sizeBytes").isEqualTo("4294967296");
        } finally {
            node.stop();
        }
    }

    private IscsiNode.Run run(final String... command) throws Exception {
        return IscsiNode.run(dir.resolve(command[0] + ".out"), 60, List.of(command));
    }
}
