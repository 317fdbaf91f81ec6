package io.keel.tests.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.tests.harness.Rest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the node with SIGKILL while QEMU writes to a LUN, restarts it and checks every block: a
 * write QEMU saw acknowledged reads back exactly, and every other block holds its old data (zeros)
 * or its new data, never anything else. Once with whole 64 KiB blocks one at a time (written to new
 * blocks), once with 4 KiB writes many at a time (journaled, and acknowledged from the journal's
 * commit: the started path).
 */
class IscsiCrashTest {

    private static final long LUN_BYTES = 128L << 20;
    private static final String IQN = "iqn.2026-12.io.keel.test:crash";
    private static final Pattern WROTE = Pattern.compile("wrote (\\d+)/(\\d+) bytes at offset (\\d+)");

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesAKillDuringQemuWrites() throws Exception {
        killDuringWrites(new Random(11), 64 << 10, 1500, "write", false);
    }

    @Test
    void everyAcknowledgedSmallWriteSurvivesAKillWithManyInFlight() throws Exception {
        // Many more: all in flight at once, 1 500 of them were all acknowledged before the kill in one CI run.
        killDuringWrites(new Random(12), 4 << 10, 12_000, "aio_write", true);
    }

    /**
     * {@code writeCommand} is qemu-io's {@code write} (one at a time) or {@code aio_write} (all at
     * once); with {@code started}, the test also checks that commands went the started way.
     */
    private void killDuringWrites(final Random random, final int chunkBytes, final int writes,
            final String writeCommand, final boolean started) throws Exception {
        IscsiNode.assumeInstalled("qemu-io", "qemu-img", "stdbuf");
        try (IscsiNode keel = IscsiNode.start("crash", dir.resolve("node"), 1L << 30)) {
            keel.createVolume("crash", LUN_BYTES, true);
            keel.createTarget(IQN, "crash", "\"anyInitiator\": true");
            String lun = keel.url(IQN, 0, null, null);

            // Each write goes to its own chunk with its own pattern, so the verifier knows what each chunk may hold.
            int chunks = (int) (LUN_BYTES / chunkBytes);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < chunks; i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, random);
            // Line-buffered, so each acknowledgement is in the log as soon as qemu-io learns of it.
            List<String> command = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
            for (int i = 0; i < writes; i++) {
                int chunk = order.get(i);
                command.addAll(List.of("-c",
                        writeCommand + " -P " + pattern(chunk) + " " + (long) chunk * chunkBytes + " " + chunkBytes));
            }
            command.add(lun);
            Path log = dir.resolve("qemu-io.log");
            Process writer = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            // Kill once some writes were acknowledged, at a moment that varies from run to run.
            long acknowledgedBeforeKill = 50 + random.nextInt(400);
            long deadline = System.currentTimeMillis() + 60_000;
            while (acknowledged(log).size() < acknowledgedBeforeKill && writer.isAlive()
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            if (started) {
                Rest.Reply metrics = new Rest(keel.node.adminPort, "admin", null).get("/metrics");
                assertThat(metrics.body().at("/meters/iscsi.commands.started/count").asLong())
                        .as("WRITEs acknowledged from the journal's commit before the kill").isPositive();
            }
            keel.node.kill();
            if (!writer.waitFor(20, TimeUnit.SECONDS)) {
                writer.destroyForcibly().waitFor();
            }
            Set<Long> acked = acknowledged(log);
            assertThat(acked).as("writes acknowledged before the kill").isNotEmpty();
            assertThat(acked.size()).as("the kill came while qemu-io was still writing").isLessThan(writes);

            keel.restart();
            Path image = dir.resolve("after.raw");
            IscsiNode.Run copy = IscsiNode.run(dir.resolve("convert.log"), 300,
                    List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", lun, image.toString()));
            assertThat(copy.exit()).as(copy.output()).isZero();
            byte[] data = Files.readAllBytes(image);
            assertThat(data).hasSize((int) LUN_BYTES);
            for (int chunk = 0; chunk < chunks; chunk++) {
                long offset = (long) chunk * chunkBytes;
                byte expected = (byte) pattern(chunk);
                for (int block = 0; block < chunkBytes / 512; block++) {
                    int at = (int) offset + block * 512;
                    byte first = data[at];
                    boolean acknowledged = acked.contains(offset);
                    for (int i = 0; i < 512; i++) {
                        byte value = data[at + i];
                        if (acknowledged) {
                            assertThat(value).as("acknowledged chunk %d, byte %d", chunk, at + i).isEqualTo(expected);
                        } else {
                            assertThat(value).as("unacknowledged chunk %d, byte %d: old (0) or new, whole blocks",
                                    chunk, at + i).isEqualTo(first).isIn((byte) 0, expected);
                        }
                    }
                }
            }
        }
    }

    private static int pattern(final int chunk) {
        return 1 + chunk % 255;
    }

    private static Set<Long> acknowledged(final Path log) throws java.io.IOException {
        Set<Long> offsets = new HashSet<>();
        if (!Files.exists(log)) {
            return offsets;
        }
        Matcher m = WROTE.matcher(Files.readString(log));
        while (m.find()) {
            if (m.group(1).equals(m.group(2))) {
                offsets.add(Long.parseLong(m.group(3)));
            }
        }
        return offsets;
    }
}
