package io.keel.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing child JVM with SIGKILL at random moments, reopens the store and checks every
 * sector: it holds exactly the last acknowledged write to it, or a later write that was in flight,
 * or (never acknowledged at all) its previous content; never anything else. Iterations: {@code
 * -Dkeel.crash.iterations} (6 by default; the README shows a long run).
 */
class CrashConsistencyTest {

    private static final int EXTENTS = 2;

    @Test
    void acknowledgedWritesSurviveSigkill(@TempDir final Path dir) throws Exception {
        long seed = Long.getLong("keel.test.seed", System.nanoTime());
        int iterations = Integer.getInteger("keel.crash.iterations", 6);
        Random random = new Random(seed);
        Path devicePath = dir.resolve("device");
        StoreFixture fixture = StoreFixture.format(devicePath, 256L << 20, 8L << 20, 2, 2L << 20);
        try (ChunkStore store = fixture.open()) {
            for (long extent = 1; extent <= EXTENTS; extent++) {
                store.create(extent, 1);
            }
        }
        long extentSectors = (8L << 20) / CrashPattern.SECTOR;
        long[][] baseline = new long[EXTENTS + 1][(int) extentSectors];
        long acknowledged = 0;
        for (int iteration = 0; iteration < iterations; iteration++) {
            int threads = 1 + random.nextInt(16);
            long childSeed = random.nextLong();
            Path log = dir.resolve("log-" + iteration);
            Path output = dir.resolve("child-" + iteration + ".txt");
            Process child = new ProcessBuilder(javaCommand(devicePath, fixture, childSeed, threads, log,
                    iteration * 1_000_000_000L + 1)).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            // Kill at a random moment once writes are being acknowledged (JVM start and recovery vary).
            long killAfter = random.nextInt(1000);
            boolean exited = !awaitFirstAcknowledgement(child, log) || child.waitFor(killAfter, TimeUnit.MILLISECONDS);
            if (exited) {
                child.destroyForcibly();
                child.waitFor();
                throw new AssertionError("writer exited or never wrote (exit " + child.exitValue() + ", seed " + seed
                        + "):\n" + Files.readString(output));
            }
            child.destroyForcibly(); // SIGKILL on Linux
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String context = "iteration " + iteration + ", " + threads + " writers, killed " + killAfter
                    + " ms after the first acknowledgement, -Dkeel.test.seed=" + seed;
            long acked = verify(fixture, log, baseline, context);
            System.out.printf("crash test %s: %d writes acknowledged, all verified%n", context, acked);
            acknowledged += acked;
        }
        assertThat(acknowledged).as("acknowledged writes over all iterations").isPositive();
    }

    /** Waits until the child logged an acknowledgement; false when it died or took over a minute. */
    private static boolean awaitFirstAcknowledgement(final Process child, final Path log) throws Exception {
        for (int i = 0; i < 6000 && child.isAlive(); i++) {
            if (Files.exists(log) && Files.readString(log).contains("\nA ")) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** What the damaged sector holds on the device, against what the log allows there. */
    private static String diagnose(final StoreFixture fixture, final ChecksumMismatchException e,
            final Map<Long, List<Long>> perSector, final Set<Long> acked, final long[][] baseline) throws IOException {
        ByteBuffer raw = ByteBuffer.allocate(CrashPattern.SECTOR);
        try (var channel = java.nio.channels.FileChannel.open(fixture.path())) {
            channel.read(raw, e.deviceOffset());
        }
        int sector = (int) (e.extentOffset() / CrashPattern.SECTOR);
        long onDisk = CrashPattern.identify(raw, 0, e.extentId(), e.extentOffset());
        List<Long> writes = perSector.getOrDefault(e.extentId() << 32 | sector, List.of());
        StringBuilder history = new StringBuilder();
        for (long id : writes) {
            history.append(id).append(acked.contains(id) ? "(acked) " : "(not acked) ");
        }
        return e.getMessage() + "; the device holds " + (onDisk == -1 ? "garbage" : "write " + onDisk)
                + "; before this run the sector held write " + baseline[(int) e.extentId()][sector]
                + "; this run wrote it with " + history;
    }

    private static List<String> javaCommand(final Path device, final StoreFixture fixture, final long seed,
            final int threads, final Path log, final long firstWriteId) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CrashWriterMain.class.getName(), device.toString(), fixture.clusterId().toString(),
                fixture.nodeId().toString(), Long.toString(seed), Integer.toString(threads), log.toString(),
                Integer.toString(EXTENTS), Long.toString(firstWriteId));
    }

    /** Checks every sector against the log; returns how many writes were acknowledged. */
    private static long verify(final StoreFixture fixture, final Path log, final long[][] baseline,
            final String context) throws IOException {
        Map<Long, long[]> started = new HashMap<>();
        Set<Long> acked = new HashSet<>();
        List<Long> order = new ArrayList<>();
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log)) {
                String[] fields = line.split(" ");
                if (fields[0].equals("S") && fields.length == 5) {
                    long id = Long.parseLong(fields[1]);
                    long[] op = {Long.parseLong(fields[2]), Long.parseLong(fields[3]), Long.parseLong(fields[4])};
                    started.put(id, op);
                    order.add(id);
                } else if (fields[0].equals("A") && fields.length == 2) {
                    acked.add(Long.parseLong(fields[1]));
                }
                // A torn last line is a write whose logging was cut by the kill: it was never acknowledged.
            }
        }
        // Per sector, the writes of this run in order (each writer owns its sectors and is serial).
        Map<Long, List<Long>> perSector = new HashMap<>();
        for (long id : order) {
            long[] op = started.get(id);
            for (long s = 0; s < op[2]; s++) {
                perSector.computeIfAbsent(op[0] << 32 | (op[1] / CrashPattern.SECTOR + s), k -> new ArrayList<>())
                        .add(id);
            }
        }
        try (ChunkStore store = fixture.open()) {
            ByteBuffer buffer = ByteBuffer.allocate((int) store.extentSize());
            for (long extent = 1; extent <= EXTENTS; extent++) {
                try {
                    store.read(extent, 0, buffer.clear());
                } catch (ChecksumMismatchException e) {
                    throw new AssertionError(context + ": " + diagnose(fixture, e, perSector, acked, baseline), e);
                }
                for (int sector = 0; sector < baseline[(int) extent].length; sector++) {
                    long offset = (long) sector * CrashPattern.SECTOR;
                    long found = CrashPattern.identify(buffer, sector * CrashPattern.SECTOR, extent, offset);
                    List<Long> writes = perSector.getOrDefault(extent << 32 | sector, List.of());
                    Set<Long> allowed = new HashSet<>();
                    int lastAcked = -1;
                    for (int i = 0; i < writes.size(); i++) {
                        if (acked.contains(writes.get(i))) {
                            lastAcked = i;
                        }
                    }
                    if (lastAcked < 0) {
                        allowed.add(baseline[(int) extent][sector]);
                    }
                    allowed.addAll(writes.subList(Math.max(0, lastAcked), writes.size()));
                    if (!allowed.contains(found)) {
                        throw new AssertionError(String.format("%s: extent %d sector %d holds %s; allowed %s"
                                + " (last acknowledged %s)", context, extent, sector,
                                found == -1 ? "garbage" : "write " + found, allowed,
                                lastAcked < 0 ? "none this run" : writes.get(lastAcked)));
                    }
                    baseline[(int) extent][sector] = found;
                }
            }
        }
        return acked.size();
    }
}
