package io.keel.chunk.store;

import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.LayoutOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Runs a random multi-threaded workload (journaled and direct writes, unmaps, snapshots, deletes)
 * on an in-memory device with a volatile write cache, cuts power while I/O is in flight (the
 * device refuses every call after a random number of them, then loses an adversarial subset of
 * the unflushed writes, some torn), reopens and checks against a model: every acknowledged
 * operation is there, an unacknowledged one is either wholly absent or present per sector, and
 * nothing reads as garbage or fails its checksum. Each iteration cuts power several times in a row.
 * {@code -Dkeel.test.seed} fixes the seed, {@code -Dkeel.powerloss.iterations} the iteration count
 * (default 24) and {@code -Dkeel.powerloss.seconds} the time budget (default 25 s; keep a long
 * run under JUnit's default timeout of 180 s and repeat it instead). {@code
 * -Dkeel.powerloss.iteration.seed} replays one iteration (thread timing still varies).
 */
class PowerLossTest {

    static final int SECTOR = 4096;
    static final long EXTENT_BYTES = 4L << 20;
    static final int EXTENT_SECTORS = (int) (EXTENT_BYTES / SECTOR);
    static final int BLOCK_SECTORS = 16;
    static final long NONE = Long.MIN_VALUE;
    private static final int ROUNDS = 3;

    @Test
    void acknowledgedOperationsSurvivePowerLoss() throws Exception {
        long seed = Long.getLong("keel.test.seed", System.nanoTime());
        int iterations = Integer.getInteger("keel.powerloss.iterations", 24);
        long budgetNanos = Long.getLong("keel.powerloss.seconds", 25L) * 1_000_000_000L;
        long started = System.nanoTime();
        Random random = new Random(seed);
        System.out.println("PowerLossTest: -Dkeel.test.seed=" + seed);
        int done = 0;
        long acknowledged = 0;
        for (int iteration = 0; iteration < iterations && System.nanoTime() - started < budgetNanos; iteration++) {
            long iterationSeed = Long.getLong("keel.powerloss.iteration.seed", random.nextLong());
            try {
                acknowledged += new Iteration(iterationSeed).run();
            } catch (Exception | AssertionError e) {
                throw new AssertionError("power-loss iteration " + iteration + " failed (-Dkeel.test.seed=" + seed
                        + ", iteration seed " + iterationSeed + "): " + e.getMessage(), e);
            }
            done++;
        }
        System.out.printf("PowerLossTest: %d iterations, %d acknowledged operations verified (seed %d)%n", done,
                acknowledged, seed);
        if (acknowledged == 0) {
            throw new AssertionError("no operation was acknowledged: the test exercised nothing (seed " + seed + ")");
        }
    }

    /** What an extent must look like after a power loss. */
    static final class ExtentModel {
        final long id;
        /** Write id per sector of the last acknowledged write (0: zeros). */
        final long[] acked;
        /** Another acceptable write id per sector from an unacknowledged operation, or {@link #NONE}. */
        final long[] alternative;
        /** Exists for sure (true) or only maybe (an unacknowledged create, snapshot or delete). */
        boolean certain = true;
        /** Whether it should exist when {@link #certain}. */
        boolean exists = true;
        long version;

        ExtentModel(final long id, final long[] acked) {
            this.id = id;
            this.acked = acked;
            this.alternative = new long[acked.length];
            java.util.Arrays.fill(alternative, NONE);
        }
    }

    /** One formatted device going through {@link #ROUNDS} power losses, with its model. */
    static final class Iteration {
        private final long seed;
        private final Random random;
        private final Map<Long, ExtentModel> model = new ConcurrentHashMap<>();
        private final AtomicLong writeIds = new AtomicLong();
        private final UUID clusterId = UUID.randomUUID();
        private final UUID nodeId = UUID.randomUUID();
        private final StoreOptions options = StoreOptions.defaults().withScrubBytesPerSecond(0);
        private final StringBuilder history = new StringBuilder();

        Iteration(final long seed) {
            this.seed = seed;
            this.random = new Random(seed);
        }

        long run() throws Exception {
            int workers = 1 + random.nextInt(2);
            long journal = (1 + random.nextInt(2)) << 20;
            // Small devices reuse freed blocks soon and fill up (writes then fail with StoreFull).
            long deviceBytes = (40L + 24 * random.nextInt(4)) << 20;
            PowerLossDevice device = PowerLossDevice.create(deviceBytes);
            ChunkStore.format(device, new DeviceIdentity(clusterId, nodeId, UUID.randomUUID()),
                    LayoutOptions.defaults(workers).withExtentSize(EXTENT_BYTES).withJournalBytesPerWorker(journal),
                    false);
            history.append(deviceBytes >> 20).append(" MiB, ").append(workers).append(" workers, journals of ")
                    .append(journal >> 20).append(" MiB");
            long acknowledged = 0;
            for (int round = 0; round < ROUNDS; round++) {
                if (round > 0 && random.nextInt(3) == 0) {
                    device = crashDuringRecovery(device);
                }
                ChunkStore store = openOrFail(device, round);
                if (round > 0) {
                    verify(store, "after power loss " + round);
                }
                int actors = 1 + random.nextInt(3);
                long cutAfter = 10 + random.nextInt(random.nextBoolean() ? 200 : 3000);
                history.append("; round ").append(round).append(": ").append(actors).append(" threads, cut after ")
                        .append(cutAfter).append(" device calls");
                device.cutAfter(cutAfter);
                acknowledged += runWorkload(store, device, actors, round);
                closeAfterCut(store);
                StringBuilder story = new StringBuilder();
                device = device.powerLoss(random, story);
                history.append(", ").append(story);
            }
            try (ChunkStore store = openOrFail(device, ROUNDS)) {
                verify(store, "after the last power loss");
            }
            return acknowledged;
        }

        /**
         * Cuts power while the store opens (replay, the recovery checkpoint, the journal trim) and
         * returns the device that survives; when the open finished before the cut, closes it cleanly.
         */
        private PowerLossDevice crashDuringRecovery(final PowerLossDevice device) throws IOException {
            long cutAfter = random.nextInt(80);
            history.append("; cut while opening after ").append(cutAfter).append(" device calls");
            device.cutAfter(cutAfter);
            try {
                ChunkStore store = ChunkStore.open(device, clusterId, nodeId, options);
                device.cutAfter(Long.MAX_VALUE);
                history.append(" (opened first)");
                verify(store, "after power loss, opened before a cut during recovery");
                store.close();
                return device.reopen();
            } catch (IOException e) {
                if (!device.isCut()) {
                    throw new AssertionError("reopen failed [" + history + "]: " + e, e);
                }
            }
            StringBuilder story = new StringBuilder();
            PowerLossDevice survivor = device.powerLoss(random, story);
            history.append(", ").append(story);
            return survivor;
        }

        private ChunkStore openOrFail(final PowerLossDevice device, final int round) {
            try {
                return ChunkStore.open(device, clusterId, nodeId, options);
            } catch (IOException | RuntimeException e) {
                throw new AssertionError("reopen " + round + " failed: " + e + " [" + history + "]", e);
            }
        }

        private long runWorkload(final ChunkStore store, final PowerLossDevice device, final int actors,
                final int round) throws InterruptedException {
            List<PowerLossActor> list = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            List<ExtentModel> existing = List.copyOf(model.values());
            for (int a = 0; a < actors; a++) {
                long actorId = (round * 16L + a + 1) << 32;
                List<ExtentModel> owned = new ArrayList<>();
                for (ExtentModel extent : existing) {
                    if (Math.floorMod(extent.id, actors) == a) {
                        owned.add(extent);
                    }
                }
                PowerLossActor actor = new PowerLossActor(store, device, model, owned, actorId, writeIds,
                        random.nextLong());
                list.add(actor);
                threads.add(new Thread(actor, "power-loss-actor-" + a));
            }
            threads.forEach(Thread::start);
            long acknowledged = 0;
            for (int a = 0; a < actors; a++) {
                threads.get(a).join(60_000);
                if (threads.get(a).isAlive()) {
                    StringBuilder stack = new StringBuilder();
                    for (StackTraceElement element : threads.get(a).getStackTrace()) {
                        stack.append("\n  at ").append(element);
                    }
                    device.cut();
                    throw new AssertionError("actor " + a + " hung after the power cut [" + history + "]" + stack);
                }
                if (list.get(a).failure != null) {
                    throw new AssertionError("actor " + a + " (" + list.get(a) + ") failed before the power cut ["
                            + history + "]: " + list.get(a).failure, list.get(a).failure);
                }
                acknowledged += list.get(a).acknowledged;
            }
            if (!device.isCut()) {
                device.cut();
            }
            return acknowledged;
        }

        private void closeAfterCut(final ChunkStore store) throws InterruptedException {
            Thread closer = new Thread(() -> {
                try {
                    store.close();
                } catch (IOException | RuntimeException e) {
                    // Expected: the device is gone.
                }
            }, "power-loss-closer");
            closer.start();
            closer.join(30_000);
            if (closer.isAlive()) {
                throw new AssertionError("closing the store after the power cut hung [" + history + "]");
            }
        }

        /** Checks every extent against the model, then makes the model match what was found. */
        private void verify(final ChunkStore store, final String when) throws IOException {
            String context = when + " [" + history + "]";
            Set<Long> present = new HashSet<>();
            for (ExtentInfo info : store.list()) {
                present.add(info.extentId());
                ExtentModel extent = model.get(info.extentId());
                if (extent == null) {
                    throw new AssertionError("unknown extent " + info.extentId() + " exists " + context);
                }
                if (extent.certain && !extent.exists) {
                    throw new AssertionError("deleted extent " + info.extentId() + " is back " + context);
                }
                if (info.version() < extent.version) {
                    throw new AssertionError("extent " + info.extentId() + " has version " + info.version()
                            + " but version " + extent.version + " was acknowledged " + context);
                }
            }
            for (ExtentModel extent : List.copyOf(model.values())) {
                boolean found = present.contains(extent.id);
                if (extent.certain && extent.exists && !found) {
                    throw new AssertionError("acknowledged extent " + extent.id + " is missing " + context);
                }
                if (!found) {
                    model.remove(extent.id);
                    continue;
                }
                verifyContent(store, extent, context);
                extent.certain = true;
                extent.exists = true;
            }
        }

        private void verifyContent(final ChunkStore store, final ExtentModel extent, final String context)
                throws IOException {
            ByteBuffer data = ByteBuffer.allocate((int) EXTENT_BYTES);
            try {
                store.read(extent.id, 0, data);
            } catch (ChecksumMismatchException e) {
                throw new AssertionError("checksum error reading extent " + extent.id + " " + context + ": "
                        + e.getMessage() + firstBadSectors(store, extent), e);
            }
            for (int sector = 0; sector < EXTENT_SECTORS; sector++) {
                long offset = (long) sector * SECTOR;
                long found = CrashPattern.identify(data, sector * SECTOR, 0, offset);
                long acked = extent.acked[sector];
                long alternative = extent.alternative[sector];
                if (found != acked && found != alternative) {
                    throw new AssertionError("extent " + extent.id + " sector " + sector + " (offset " + offset
                            + ") holds " + describe(found) + " but the last acknowledged write there was "
                            + describe(acked) + (alternative == NONE ? "" : " and one in flight " + describe(
                            alternative)) + " " + context);
                }
                extent.acked[sector] = found;
                extent.alternative[sector] = NONE;
            }
        }

        private static String firstBadSectors(final ChunkStore store, final ExtentModel extent) {
            StringBuilder bad = new StringBuilder("; sectors failing alone:");
            int count = 0;
            for (int sector = 0; sector < EXTENT_SECTORS && count < 8; sector++) {
                try {
                    store.read(extent.id, (long) sector * SECTOR, ByteBuffer.allocate(SECTOR));
                } catch (IOException e) {
                    bad.append(' ').append(sector).append(" (acked ").append(describe(extent.acked[sector]))
                            .append(", in flight ").append(describe(extent.alternative[sector])).append(')');
                    count++;
                }
            }
            return bad.toString();
        }

        static String describe(final long writeId) {
            return writeId == 0 ? "zeros" : writeId == -1 ? "garbage" : writeId == NONE ? "none" : "write " + writeId;
        }

        long seed() {
            return seed;
        }
    }
}
