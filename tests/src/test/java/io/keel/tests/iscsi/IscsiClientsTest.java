package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.tests.harness.Await;
import io.keel.tests.harness.Rest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keel's iSCSI target with real initiators: libiscsi's command-line tools (discovery, INQUIRY,
 * READ CAPACITY(16)), QEMU's iSCSI driver copying an image onto a LUN and back, CHAP (one-way and
 * mutual, right and wrong secrets) and the initiator ACL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IscsiClientsTest {

    private static final long LUN_BYTES = 256L << 20;
    private static final String OPEN = "iqn.2026-12.io.keel.test:open";
    private static final String ACL = "iqn.2026-12.io.keel.test:acl";
    private static final String CHAP = "iqn.2026-12.io.keel.test:chap";
    private static final String ALLOWED_INITIATOR = "iqn.2026-12.io.keel.test:allowed-host";
    private static final String CHAP_USER = "host1";
    private static final String CHAP_SECRET = "s3cret-chap-pw";
    private static final String TARGET_USER = "keel-target";
    private static final String TARGET_SECRET = "mutual-secret-1";

    @TempDir
    static Path dir;

    private IscsiNode keel;

    @BeforeAll
    void start() throws Exception {
        IscsiNode.assumeInstalled("iscsi-ls", "iscsi-inq", "iscsi-readcapacity16", "qemu-img");
        keel = IscsiNode.start("clients", dir.resolve("node"), 2L << 30);
        for (String volume : List.of("open", "acl", "chap")) {
            keel.createVolume(volume, LUN_BYTES, true);
        }
        keel.createTarget(OPEN, "open", "\"anyInitiator\": true");
        keel.createTarget(ACL, "acl", "\"allowedInitiators\": [\"" + ALLOWED_INITIATOR + "\"]");
        keel.createTarget(CHAP, "chap", """
                "anyInitiator": true, "chap": {"username": "%s", "secret": "%s", "mutualUsername": "%s",
                 "mutualSecret": "%s"}""".formatted(CHAP_USER, CHAP_SECRET, TARGET_USER, TARGET_SECRET));
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (keel != null) {
            keel.close();
        }
    }

    @Test
    void discoveryListsTheTargetsAnInitiatorMayUse() throws Exception {
        IscsiNode.Run anyone = run("iscsi-ls", keel.portalUrl());
        assertThat(anyone.exit()).as(anyone.output()).isZero();
        assertThat(anyone.output()).contains("Target:" + OPEN, "Target:" + CHAP).doesNotContain(ACL);

        IscsiNode.Run allowed = run("iscsi-ls", "-i", ALLOWED_INITIATOR, keel.portalUrl());
        assertThat(allowed.output()).contains("Target:" + ACL);
        assertThat(allowed.output()).contains("Portal:127.0.0.1:" + keel.iscsiPort);
    }

    @Test
    void discoveryNeedsTheDiscoveryChapOnceItIsSet() throws Exception {
        String secret = "disco-secret-1";
        Rest.Reply set = keel.rest.put("/api/v1/iscsi/discovery-auth", """
                {"chap": {"username": "disco", "secret": "%s"}}""".formatted(secret));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        try {
            Rest.Reply shown = keel.rest.get("/api/v1/iscsi/discovery-auth");
            assertThat(shown.body().path("required").asBoolean()).isTrue();
            assertThat(shown.body().path("chap").path("username").asText()).isEqualTo("disco");
            assertThat(shown.body().toString()).doesNotContain(secret);
            assertThat(keel.rest.put("/api/v1/iscsi/discovery-auth", """
                    {"chap": {"username": "disco", "secret": "short"}}""").status()).isEqualTo(400);

            IscsiNode.Run refused = run("iscsi-ls", keel.portalUrl());
            assertThat(refused.exit()).as(refused.output()).isNotZero();
            IscsiNode.Run wrong = run("iscsi-ls", "iscsi://disco%wrong-secret-1@127.0.0.1:" + keel.iscsiPort + "/");
            assertThat(wrong.exit()).as(wrong.output()).isNotZero();
            IscsiNode.Run listed = run("iscsi-ls", "iscsi://disco%" + secret + "@127.0.0.1:" + keel.iscsiPort + "/");
            assertThat(listed.exit()).as(listed.output()).isZero();
            assertThat(listed.output()).contains("Target:" + OPEN);
            // Normal sessions are not affected: a target without CHAP is still reached without it.
            IscsiNode.Run inquiry = run("iscsi-inq", keel.url(OPEN, 0, null, null));
            assertThat(inquiry.exit()).as(inquiry.output()).isZero();
        } finally {
            assertThat(keel.rest.delete("/api/v1/iscsi/discovery-auth").status()).isEqualTo(204);
        }
        IscsiNode.Run open = run("iscsi-ls", keel.portalUrl());
        assertThat(open.exit()).as(open.output()).isZero();
        assertThat(keel.rest.get("/api/v1/iscsi/discovery-auth").body().path("required").asBoolean()).isFalse();
    }

    @Test
    void inquiryAndReadCapacityDescribeTheVolume() throws Exception {
        IscsiNode.Run inquiry = run("iscsi-inq", keel.url(OPEN, 0, null, null));
        assertThat(inquiry.exit()).as(inquiry.output()).isZero();
        assertThat(inquiry.output()).contains("KEEL");

        IscsiNode.Run identification = run("iscsi-inq", "-e", "1", "-c", "131", keel.url(OPEN, 0, null, null));
        assertThat(identification.exit()).as(identification.output()).isZero();
        assertThat(identification.output()).containsIgnoringCase("NAA");

        IscsiNode.Run capacity = run("iscsi-readcapacity16", "-s", keel.url(OPEN, 0, null, null));
        assertThat(capacity.exit()).as(capacity.output()).isZero();
        assertThat(capacity.output().strip()).isEqualTo(Long.toString(LUN_BYTES));
    }

    @Test
    void anImageCopiedOntoALunAndBackIsIdentical() throws Exception {
        Path image = dir.resolve("image.raw");
        byte[] data = new byte[(int) LUN_BYTES];
        Random random = new Random(7);
        // Random data with zero stretches, so both allocated and sparse parts take the trip.
        for (int chunk = 0; chunk < data.length / (1 << 20); chunk++) {
            if (chunk % 3 != 2) {
                byte[] part = new byte[1 << 20];
                random.nextBytes(part);
                System.arraycopy(part, 0, data, chunk << 20, part.length);
            }
        }
        Files.write(image, data);
        String lun = keel.url(OPEN, 0, null, null);
        IscsiNode.Run in = run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), lun);
        assertThat(in.exit()).as(in.output()).isZero();
        Path back = dir.resolve("back.raw");
        IscsiNode.Run out = run("qemu-img", "convert", "-f", "raw", "-O", "raw", lun, back.toString());
        assertThat(out.exit()).as(out.output()).isZero();
        assertThat(sha256(back)).isEqualTo(sha256(image));

        // The node counted that I/O against the volume, in a Prometheus family labelled by the volume.
        String volumeId = keel.rest.get("/api/v1/volumes/open").body().get("id").asText();
        String scraped = scrape();
        long randomBytes = LUN_BYTES / 3 * 2;
        assertThat(sample(scraped, "keel_volume_write_bytes_total", "open", volumeId))
                .isGreaterThanOrEqualTo(randomBytes);
        assertThat(sample(scraped, "keel_volume_read_bytes_total", "open", volumeId))
                .isGreaterThanOrEqualTo(randomBytes);
        assertThat(sample(scraped, "keel_volume_errors_total", "open", volumeId)).isZero();
        assertThat(scraped).contains("keel_volume_write_seconds{volume=\"open\",volume_id=\"" + volumeId
                + "\",quantile=\"0.99\"}");
    }

    @Test
    void aVolumeCreatedWith512BytePhysicalBlocksReportsThemAndOthersAreRefused() throws Exception {
        keel.createVolume("native-512", 16L << 20, true, 512);
        String iqn = "iqn.2026-12.io.keel.test:native-512";
        keel.createTarget(iqn, "native-512", "\"anyInitiator\": true");
        assertThat(keel.rest.get("/api/v1/volumes/native-512").body().get("physicalBlockBytes").asInt())
                .isEqualTo(512);
        IscsiNode.Run native512 = run("iscsi-readcapacity16", keel.url(iqn, 0, null, null));
        assertThat(native512.exit()).as(native512.output()).isZero();
        assertThat(native512.output()).contains("LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT:0");
        IscsiNode.Run emulated = run("iscsi-readcapacity16", keel.url(OPEN, 0, null, null));
        assertThat(emulated.output()).as("the default, 512e").contains("LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT:3");

        Rest.Reply refused = keel.rest.post("/api/v1/volumes", """
                {"name": "odd-block", "pool": "default", "sizeBytes": 16777216, "physicalBlockBytes": 1024}""");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.message()).contains("physicalBlockBytes must be 512 or 4096 (the default), got 1024");
        assertThat(keel.rest.get("/api/v1/volumes/odd-block").status()).isEqualTo(404);
    }

    @Test
    void aDeletedVolumesMetricsLeaveTheScrape() throws Exception {
        String iqn = "iqn.2026-12.io.keel.test:short-lived";
        keel.createVolume("short-lived", 16L << 20, true);
        keel.createTarget(iqn, "short-lived", "\"anyInitiator\": true");
        String volumeId = keel.rest.get("/api/v1/volumes/short-lived").body().get("id").asText();
        IscsiNode.Run written = run("qemu-img", "bench", "-f", "raw", "-t", "none", "-n", "-w", "-c", "64", "-s",
                "4096", keel.url(iqn, 0, null, null));
        assertThat(written.exit()).as(written.output()).isZero();
        assertThat(sample(scrape(), "keel_volume_write_bytes_total", "short-lived", volumeId)).isEqualTo(64 * 4096);

        assertThat(keel.rest.delete("/api/v1/targets/" + iqn).status()).isEqualTo(204);
        assertThat(keel.rest.delete("/api/v1/volumes/short-lived").status()).isEqualTo(204);
        // The access role's refresh (every 2 s) lets the deleted volume go.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        while (scrape().contains(volumeId) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(scrape()).doesNotContain(volumeId);
    }

    @Test
    void aPoolsQosLimitHoldsItsVolumesWritesAndAChangeTakesHoldWithoutANewLogin() throws Exception {
        assertThat(keel.rest.post("/api/v1/pools", """
                {"name": "limited", "replicationFactor": 1, "qos": {"iopsLimit": 100, "bandwidthLimitBytes": 0}}""")
                .status()).isEqualTo(201);
        assertThat(keel.rest.post("/api/v1/volumes", "{\"name\":\"slow\",\"pool\":\"limited\",\"sizeBytes\":"
                + (16L << 20) + "}").status()).isEqualTo(201);
        String iqn = "iqn.2026-12.io.keel.test:limited";
        keel.createTarget(iqn, "slow", "\"anyInitiator\": true");
        // 300 writes at 100 IOPS with a one-second burst: at least two seconds, however fast the node is.
        assertThat(benchSeconds(keel.url(iqn, 0, null, null), 300)).isGreaterThanOrEqualTo(1.9);

        assertThat(keel.rest.patch("/api/v1/pools/limited", """
                {"qos": {"iopsLimit": 0, "bandwidthLimitBytes": 0}}""").status()).isEqualTo(200);
        Await.until("the node to lift the limit", Duration.ofSeconds(30),
                () -> keel.node.log().lines().anyMatch(line -> line.contains("volume slow")
                        && line.contains("QoS now 0 IOPS")) ? true : null);
        assertThat(benchSeconds(keel.url(iqn, 0, null, null), 300)).as("unlimited now").isPositive();
    }

    @Test
    void aBandwidthLimitHoldsLargeWritesWhoseDataIsAskedForOnceAdmitted() throws Exception {
        keel.createVolume("narrow", 64L << 20, true);
        String iqn = "iqn.2026-12.io.keel.test:narrow";
        keel.createTarget(iqn, "narrow", "\"anyInitiator\": true");
        Rest.Reply limited = keel.rest.patch("/api/v1/volumes/narrow", """
                {"qos": {"iopsLimit": 0, "bandwidthLimitBytes": 4194304}}""");
        assertThat(limited.status()).as(limited.toString()).isEqualTo(200);
        // 1 MiB writes (their data beyond the first burst comes by R2T, once the limit admits them):
        // 16 MiB at 4 MiB/s with a one-second burst take at least three seconds.
        assertThat(benchSeconds(keel.url(iqn, 0, null, null), 16, 1 << 20)).isGreaterThanOrEqualTo(2.9);
        assertThat(sample(scrape(), "keel_volume_write_bytes_total", "narrow",
                keel.rest.get("/api/v1/volumes/narrow").body().get("id").asText())).isEqualTo(16L << 20);
    }

    @Test
    void aVolumesOwnQosLimitHoldsInsteadOfItsPoolsUntilItReturnsToThem() throws Exception {
        keel.createVolume("capped", 16L << 20, true);
        String iqn = "iqn.2026-12.io.keel.test:capped";
        keel.createTarget(iqn, "capped", "\"anyInitiator\": true");
        assertThat(keel.rest.patch("/api/v1/volumes/capped", """
                {"qos": {"iopsLimit": 1, "bandwidthLimitBytes": 0}, "poolQos": true}""").status()).isEqualTo(400);
        assertThat(keel.rest.patch("/api/v1/volumes/capped", "{}").status()).as("nothing to change").isEqualTo(400);
        assertThat(keel.rest.patch("/api/v1/volumes/capped", """
                {"qos": {"iopsLimit": -1, "bandwidthLimitBytes": 0}}""").status()).isEqualTo(400);
        assertThat(keel.rest.patch("/api/v1/volumes/capped", "{\"qoss\": 1}").status()).as("unknown field")
                .isEqualTo(400);
        assertThat(keel.rest.patch("/api/v1/volumes/absent", "{\"poolQos\": true}").status()).isEqualTo(404);

        Rest.Reply capped = keel.rest.patch("/api/v1/volumes/capped", """
                {"qos": {"iopsLimit": 100, "bandwidthLimitBytes": 0}}""");
        assertThat(capped.status()).as(capped.toString()).isEqualTo(200);
        assertThat(capped.body().get("qosSource").asText()).isEqualTo("VOLUME");
        assertThat(capped.body().get("qos").get("iopsLimit").asLong()).isEqualTo(100);
        // The first login builds the volume's client with the volume's own limit.
        assertThat(benchSeconds(keel.url(iqn, 0, null, null), 300)).isGreaterThanOrEqualTo(1.9);
        awaitLimitLogged("capped", "QoS now 100 IOPS");

        Rest.Reply back = keel.rest.patch("/api/v1/volumes/capped", "{\"poolQos\": true}");
        assertThat(back.status()).as(back.toString()).isEqualTo(200);
        assertThat(back.body().get("qosSource").asText()).isEqualTo("POOL");
        assertThat(back.body().get("qos").get("iopsLimit").asLong()).as("the default pool's: unlimited").isZero();
        awaitLimitLogged("capped", "QoS now 0 IOPS");
    }

    private void awaitLimitLogged(final String volume, final String limit) throws Exception {
        Await.until("the node to apply " + limit + " to volume " + volume, Duration.ofSeconds(30),
                () -> keel.node.log().lines().anyMatch(line -> line.contains("volume " + volume + " (")
                        && line.contains(limit)) ? true : null);
    }

    /** Runs {@code count} 4 KiB writes at QD8 with qemu-img against {@code url}; the seconds they took. */
    private double benchSeconds(final String url, final int count) throws Exception {
        return benchSeconds(url, count, 4096);
    }

    private double benchSeconds(final String url, final int count, final int size) throws Exception {
        IscsiNode.Run bench = run("qemu-img", "bench", "-f", "raw", "-t", "none", "-n", "-w", "-d", "8", "-c",
                Integer.toString(count), "-s", Integer.toString(size), url);
        assertThat(bench.exit()).as(bench.output()).isZero();
        String prefix = "Run completed in ";
        return bench.output().lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length(), line.indexOf(" seconds"))))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no run time in: " + bench.output()));
    }

    private String scrape() throws IOException, InterruptedException {
        HttpResponse<String> scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + keel.node.adminPort + "/metrics/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scraped.statusCode()).isEqualTo(200);
        return scraped.body();
    }

    /** The value of {@code family}'s sample for volume {@code name} ({@code volumeId}) in a Prometheus text scrape. */
    private static double sample(final String scrape, final String family, final String name, final String volumeId) {
        String prefix = family + "{volume=\"" + name + "\",volume_id=\"" + volumeId + "\"} ";
        return scrape.lines().filter(line -> line.startsWith(prefix)).mapToDouble(line ->
                Double.parseDouble(line.substring(prefix.length()))).findFirst()
                .orElseThrow(() -> new AssertionError(prefix + " not in the scrape:\n" + scrape));
    }

    @Test
    void chapAdmitsOnlyTheRightSecretAndProvesTheTargetToo() throws Exception {
        assertThat(run("iscsi-inq", keel.url(CHAP, 0, null, null)).exit()).isNotZero();
        assertThat(run("iscsi-inq", keel.url(CHAP, 0, CHAP_USER, "wrong-secret-1")).exit()).isNotZero();
        assertThat(run("iscsi-inq", keel.url(CHAP, 0, "someone-else", CHAP_SECRET)).exit()).isNotZero();

        IscsiNode.Run oneWay = run("iscsi-inq", keel.url(CHAP, 0, CHAP_USER, CHAP_SECRET));
        assertThat(oneWay.exit()).as(oneWay.output()).isZero();

        String mutual = keel.url(CHAP, 0, CHAP_USER, CHAP_SECRET) + "?target_user=" + TARGET_USER
                + "&target_password=" + TARGET_SECRET;
        IscsiNode.Run both = run("iscsi-inq", mutual);
        assertThat(both.exit()).as(both.output()).isZero();
        String impostor = keel.url(CHAP, 0, CHAP_USER, CHAP_SECRET) + "?target_user=" + TARGET_USER
                + "&target_password=not-the-secret";
        assertThat(run("iscsi-inq", impostor).exit()).isNotZero();
    }

    @Test
    void onlyListedInitiatorsMayLogIn() throws Exception {
        assertThat(run("iscsi-inq", keel.url(ACL, 0, null, null)).exit()).isNotZero();
        IscsiNode.Run allowed = run("iscsi-inq", "-i", ALLOWED_INITIATOR, keel.url(ACL, 0, null, null));
        assertThat(allowed.exit()).as(allowed.output()).isZero();
    }

    private IscsiNode.Run run(final String... command) throws Exception {
        return IscsiNode.run(Files.createTempFile(dir, command[0], ".log"), 120, List.of(command));
    }

    private static String sha256(final Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
