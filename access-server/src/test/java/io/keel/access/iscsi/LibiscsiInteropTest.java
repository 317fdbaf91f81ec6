package io.keel.access.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.codahale.metrics.MetricRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The portal against real initiators (libiscsi's tools and qemu-img) run as subprocesses on 127.0.0.1. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LibiscsiInteropTest {

    private TestTargets targets;
    private IscsiPortal portal;
    private MetricRegistry metrics;
    private String host;

    @BeforeEach
    void start() {
        targets = new TestTargets();
        metrics = new MetricRegistry();
        portal = targets.start(TestTargets.config(), metrics);
        host = "127.0.0.1:" + portal.boundAddresses().get(0).getPort();
    }

    @AfterEach
    void stop() {
        portal.close();
    }

    private static void requireBinary(final String binary) {
        String why = binary + " is not installed (Debian: libiscsi-bin / qemu-utils)";
        if (System.getenv("KEEL_REQUIRE_CLIENTS") != null && !Processes.installed(binary)) {
            throw new AssertionError(why + ", and KEEL_REQUIRE_CLIENTS is set (CI)");
        }
        assumeTrue(Processes.installed(binary), why + " - skipping the real-initiator test");
    }

    private Processes.Result run(final Map<String, String> env, final String... command) throws Exception {
        return Processes.run(60, env, List.of(command));
    }

    @Test
    void discoveryListsAdmittedTargets() throws Exception {
        requireBinary("iscsi-ls");
        Processes.Result result = run(Map.of(), "iscsi-ls", "iscsi://" + host + "/");
        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.output()).contains("Target:" + TestTargets.OPEN + " Portal:" + host + ",1")
                .contains("Target:" + TestTargets.CHAP).doesNotContain(TestTargets.ACL);
        Processes.Result allowed = run(Map.of(), "iscsi-ls", "-i", "iqn.2026-01.io.keel:allowed", "iscsi://" + host
                + "/");
        assertThat(allowed.output()).contains("Target:" + TestTargets.ACL);
    }

    @Test
    void showLunsLogsIntoOpenTargets() throws Exception {
        requireBinary("iscsi-ls");
        Processes.Result result = run(Map.of(), "iscsi-ls", "-s", "iscsi://" + host + "/");
        assertThat(result.output()).contains("Lun:0").contains(TestTargets.OPEN);
    }

    @Test
    void inquiryAndReadCapacity() throws Exception {
        requireBinary("iscsi-inq");
        Processes.Result inq = run(Map.of(), "iscsi-inq", "iscsi://" + host + "/" + TestTargets.OPEN + "/0");
        assertThat(inq.exit()).as(inq.output()).isZero();
        assertThat(inq.output()).contains("Vendor:KEEL").contains("Product:TESTDISK");
        Processes.Result cap = run(Map.of(), "iscsi-readcapacity16", "iscsi://" + host + "/" + TestTargets.OPEN
                + "/0");
        assertThat(cap.output()).contains("Total size:33554432");
        assertThat(targets.open.events).anyMatch(e -> e.startsWith("nexusLost iqn.2007-10.com.github:sahlberg"));
    }

    @Test
    void headerDigestsWithLibiscsi() throws Exception {
        requireBinary("iscsi-inq");
        Processes.Result inq = run(Map.of(), "iscsi-inq", "iscsi://" + host + "/" + TestTargets.OPEN
                + "/0?header_digest=crc32c");
        assertThat(inq.exit()).as(inq.output()).isZero();
        assertThat(inq.output()).contains("Vendor:KEEL");
    }

    @Test
    void chapOneWay() throws Exception {
        requireBinary("iscsi-inq");
        String lun = "@" + host + "/" + TestTargets.CHAP + "/0";
        Processes.Result good = run(Map.of(), "iscsi-inq", "iscsi://user%secretsecret12" + lun);
        assertThat(good.exit()).as(good.output()).isZero();
        Processes.Result wrong = run(Map.of(), "iscsi-inq", "iscsi://user%wrongsecret12" + lun);
        assertThat(wrong.exit()).isNotZero();
        assertThat(wrong.output()).contains("Authentication failure");
        Processes.Result none = run(Map.of(), "iscsi-inq", "iscsi://" + host + "/" + TestTargets.CHAP + "/0");
        assertThat(none.exit()).isNotZero();
        assertThat(metrics.counter("iscsi.login.failures.authentication-failure").getCount()).isEqualTo(2);
    }

    @Test
    void chapMutual() throws Exception {
        requireBinary("iscsi-inq");
        String url = "iscsi://user%secretsecret12@" + host + "/" + TestTargets.MUTUAL + "/0";
        Processes.Result good = run(Map.of("LIBISCSI_CHAP_TARGET_USERNAME", "target",
                "LIBISCSI_CHAP_TARGET_PASSWORD", "tsecretsecret34"), "iscsi-inq", url);
        assertThat(good.exit()).as(good.output()).isZero();
        Processes.Result wrongTarget = run(Map.of("LIBISCSI_CHAP_TARGET_USERNAME", "target",
                "LIBISCSI_CHAP_TARGET_PASSWORD", "notthetarget12"), "iscsi-inq", url);
        assertThat(wrongTarget.exit()).isNotZero();
        // One-way CHAP to a target that also has mutual secrets is the initiator's choice.
        Processes.Result oneWay = run(Map.of(), "iscsi-inq", url);
        assertThat(oneWay.exit()).as(oneWay.output()).isZero();
    }

    @Test
    void loginFailuresReportTheRightStatus() throws Exception {
        requireBinary("iscsi-inq");
        Processes.Result missing = run(Map.of(), "iscsi-inq", "iscsi://" + host + "/iqn.2026-01.io.keel:none/0");
        assertThat(missing.output()).contains("Target not found");
        Processes.Result acl = run(Map.of(), "iscsi-inq", "iscsi://" + host + "/" + TestTargets.ACL + "/0");
        assertThat(acl.output()).contains("Authorization failure");
    }

    @Test
    void largeWriteAndReadThroughQemu(@TempDir final Path dir) throws Exception {
        requireBinary("qemu-img");
        byte[] image = new byte[targets.open.disk.length];
        new java.util.Random(7).nextBytes(image);
        Path source = dir.resolve("source.img");
        Path back = dir.resolve("back.img");
        Files.write(source, image);
        String url = "iscsi://" + host + "/" + TestTargets.OPEN + "/0";
        Processes.Result write = run(Map.of(), "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw",
                source.toString(), url);
        assertThat(write.exit()).as(write.output()).isZero();
        assertThat(Arrays.equals(targets.open.disk, image)).isTrue();
        Processes.Result read = run(Map.of(), "qemu-img", "convert", "-f", "raw", "-O", "raw", url, back.toString());
        assertThat(read.exit()).as(read.output()).isZero();
        assertThat(Arrays.equals(Files.readAllBytes(back), image)).isTrue();
        assertThat(metrics.meter("iscsi.write.bytes").getCount()).isEqualTo(image.length);
        assertThat(metrics.meter("iscsi.read.bytes").getCount()).isGreaterThanOrEqualTo(image.length);
    }

    @Test
    void moreOutstandingCommandsThanTheWindowAllComplete() throws Exception {
        requireBinary("iscsi-perf");
        // 300 parallel reads against a window of 128: the initiator must be held back by MaxCmdSN, never have a
        // command dropped (a MaxCmdSN that went backwards once left commands hanging here).
        Processes.Result perf = run(Map.of(), "iscsi-perf", "-t", "2", "-m", "300", "-b", "8", "-r",
                "iscsi://" + host + "/" + TestTargets.OPEN + "/0");
        assertThat(perf.output()).as(perf.output()).contains("finished.").doesNotContain("ABORTED");
        assertThat(perf.exit()).isZero();
    }

    @Test
    void qemuWithDigestsAndInitialR2T(@TempDir final Path dir) throws Exception {
        requireBinary("qemu-img");
        portal.close();
        portal = targets.start(TestTargets.config().withTransfer(8192, 65536, 8192, false, true), metrics);
        host = "127.0.0.1:" + portal.boundAddresses().get(0).getPort();
        byte[] image = new byte[4 * 1024 * 1024];
        new java.util.Random(9).nextBytes(image);
        Path source = dir.resolve("source.img");
        Path back = dir.resolve("back.img");
        Files.write(source, image);
        String opts = "driver=iscsi,transport=tcp,portal=" + host + ",target=" + TestTargets.OPEN
                + ",lun=0,header-digest=crc32c";
        Processes.Result write = run(Map.of(), "qemu-img", "convert", "-n", "-f", "raw", "--target-image-opts",
                source.toString(), opts);
        assertThat(write.exit()).as(write.output()).isZero();
        assertThat(Arrays.equals(Arrays.copyOf(targets.open.disk, image.length), image)).isTrue();
        Processes.Result read = run(Map.of(), "qemu-img", "convert", "--image-opts", opts, "-O", "raw",
                back.toString());
        assertThat(read.exit()).as(read.output()).isZero();
        assertThat(Arrays.equals(Arrays.copyOf(Files.readAllBytes(back), image.length), image)).isTrue();
    }
}
