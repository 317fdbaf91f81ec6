package io.keel.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DeviceLayout;
import io.keel.chunk.device.DeviceOpener;
import io.keel.chunk.device.DeviceRole;
import io.keel.chunk.device.LayoutOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Damages a store's metadata on purpose (checkpoint slot headers and payloads, journal records
 * of a store that crashed before its final checkpoint, sector data) and checks that opening and
 * reading it ends in a clear error naming the device and the worker or slot, or in a correct
 * recovery; never in silently wrong data. Each case runs over several seeded images ({@code
 * -Dkeel.test.seed}; {@code -Dkeel.corruption.iterations}, default 6).
 */
class MetadataCorruptionTest {

    private static final int SECTOR = 4096;
    private static final long EXTENT_BYTES = 4L << 20;
    private static final int EXTENT_SECTORS = (int) (EXTENT_BYTES / SECTOR);
    private static final int HEADER_CRC_END = CheckpointCodec.HEADER_BYTES;
    private static final int RECORD_MAGIC = 0x4B4A524E;
    /** Journal record header (docs/journal-format.md): its size and the fields the tests read. */
    private static final int RECORD_HEADER = 48;
    private static final int RECORD_SEQUENCE = 16;
    private static final int RECORD_DURABLE_THROUGH = 32;
    private static final int RECORD_HEADER_CRC = 44;
    /** Where a checkpoint slot header holds the journal sequence the checkpoint covers. */
    private static final int CHECKPOINT_JOURNAL_SEQUENCE = 24;

    private final long seed = Long.getLong("keel.test.seed", System.nanoTime());
    private final int iterations = Integer.getInteger("keel.corruption.iterations", 6);

    /** A store image and what its extents must read. */
    private record Image(PowerLossDevice device, UUID clusterId, UUID nodeId, DeviceLayout layout,
            TreeMap<Long, long[]> content, Map<Long, Set<Long>> history, String story) {

        PowerLossDevice copy() {
            return device.reopen();
        }
    }

    // ---------------------------------------------------------------- checkpoint slots

    @Test
    void damagedNewestSlotHeaderFallsBackOrSaysSo() throws Exception {
        forEachImage(true, (image, random) -> {
            int worker = random.nextInt(image.layout().workers());
            int slot = newestSlot(image, worker);
            PowerLossDevice damaged = image.copy();
            String what = damage(damaged, image.layout().checkpointSlotOffset(worker, slot), HEADER_CRC_END, random);
            expectRecoveryOrError(image, damaged, "newest slot " + slot + " header of worker " + worker + ": " + what,
                    "worker " + worker);
        });
    }

    @Test
    void damagedNewestSlotPayloadIsReportedWithItsSlot() throws Exception {
        forEachImage(true, (image, random) -> {
            int worker = random.nextInt(image.layout().workers());
            int slot = newestSlot(image, worker);
            long payload = payloadBytes(image, worker, slot);
            PowerLossDevice damaged = image.copy();
            long start = image.layout().checkpointSlotOffset(worker, slot) + CheckpointCodec.HEADER_BYTES;
            String what = flipBit(damaged, start, (int) payload, random);
            String message = expectError(image, damaged, "newest slot " + slot + " payload of worker " + worker + ": "
                    + what);
            assertThat(message).contains("checkpoint slot " + slot).contains("worker " + worker)
                    .contains(damaged.path().toString());
        });
    }

    @Test
    void damagedOlderSlotIsHarmless() throws Exception {
        forEachImage(true, (image, random) -> {
            int worker = random.nextInt(image.layout().workers());
            int slot = 1 - newestSlot(image, worker);
            PowerLossDevice damaged = image.copy();
            long offset = image.layout().checkpointSlotOffset(worker, slot);
            String what = random.nextBoolean() ? damage(damaged, offset, HEADER_CRC_END, random)
                    : flipBit(damaged, offset + CheckpointCodec.HEADER_BYTES, SECTOR, random);
            expectRecovery(image, damaged, "older slot " + slot + " of worker " + worker + ": " + what);
        });
    }

    @Test
    void bothSlotsDamagedIsAnErrorNamingTheWorker() throws Exception {
        forEachImage(true, (image, random) -> {
            int worker = random.nextInt(image.layout().workers());
            PowerLossDevice damaged = image.copy();
            StringBuilder what = new StringBuilder();
            for (int slot = 0; slot < 2; slot++) {
                long offset = image.layout().checkpointSlotOffset(worker, slot);
                what.append(" slot ").append(slot).append(": ").append(random.nextBoolean()
                        ? damage(damaged, offset, HEADER_CRC_END, random)
                        : flipBit(damaged, offset + CheckpointCodec.HEADER_BYTES,
                                (int) payloadBytes(image, worker, slot), random));
            }
            expectRecoveryOrError(image, damaged, "both slots of worker " + worker + ":" + what,
                    "worker " + worker);
        });
    }

    @Test
    void aSlotOfAnotherWorkerIsNotLoaded() throws Exception {
        forEachImage(true, (image, random) -> {
            if (image.layout().workers() < 2) {
                return;
            }
            int slot = newestSlot(image, 0);
            PowerLossDevice damaged = image.copy();
            long from = image.layout().checkpointSlotOffset(1, newestSlot(image, 1));
            damaged.corrupt(image.layout().checkpointSlotOffset(0, slot), damaged.peek(from,
                    (int) image.layout().checkpointSlotBytes()));
            expectRecoveryOrError(image, damaged, "worker 1's newest slot copied over worker 0's slot " + slot,
                    "worker 0");
        });
    }

    // ---------------------------------------------------------------- journal and data

    /**
     * A damaged journal record of a store that crashed before its final checkpoint: the store
     * opens with every acknowledged write intact, or fails with a clear error naming the device
     * and the worker. Replay tells such damage from a torn tail by the records written after it
     * (docs/journal-format.md, "Damage or torn tail"). Damage to records that no later record
     * vouches for (the worker's newest flush, here usually its last record) cannot be told from a torn
     * tail by any log that spends no extra write per flush, and is dropped like one; for those
     * the test checks what the store then promises: it opens (or fails clearly) and every sector
     * reads zeros or data once acknowledged there.
     */
    @Test
    void damagedJournalRecordOfACrashedStore() throws Exception {
        forEachImage(false, (image, random) -> {
            int worker = random.nextInt(image.layout().workers());
            List<Long> records = recordPositions(image, worker);
            if (records.isEmpty()) {
                return;
            }
            long record = records.get(random.nextInt(records.size()));
            long sequence = ByteBuffer.wrap(image.device().peek(record + RECORD_SEQUENCE, 8)).getLong();
            boolean vouched = sequence <= durableThrough(image, records);
            PowerLossDevice damaged = image.copy();
            String what = "journal record at " + record + " (sequence " + sequence + ", " + records.size()
                    + " found) of worker " + worker + ": " + flipBit(damaged, record, RECORD_HEADER + 16, random);
            if (vouched) {
                expectRecoveryOrError(image, damaged, what, "worker " + worker);
                return;
            }
            ChunkStore store;
            try {
                store = ChunkStore.open(damaged, image.clusterId(), image.nodeId(), options());
            } catch (IOException e) {
                assertThat(e.getMessage()).as("error for " + what).contains(damaged.path().toString())
                        .contains("worker " + worker);
                return;
            }
            try (store) {
                checkOnceAcknowledged(store, image, what);
            }
        });
    }

    @Test
    void damagedJournalRecordIsAnErrorNamingDeviceWorkerAndSequences() throws Exception {
        forEachImage(false, (image, random) -> {
            int worker = random.nextInt(image.layout().workers());
            List<Long> records = recordPositions(image, worker);
            long vouchedThrough = durableThrough(image, records);
            List<Long> candidates = new ArrayList<>();
            for (long record : records) {
                long sequence = ByteBuffer.wrap(image.device().peek(record + RECORD_SEQUENCE, 8)).getLong();
                if (sequence <= vouchedThrough && sequence > checkpointedThrough(image, worker)) {
                    candidates.add(record);
                }
            }
            if (candidates.isEmpty()) {
                return;
            }
            long record = candidates.get(random.nextInt(candidates.size()));
            long sequence = ByteBuffer.wrap(image.device().peek(record + RECORD_SEQUENCE, 8)).getLong();
            PowerLossDevice damaged = image.copy();
            String what = "journal record at " + record + " (sequence " + sequence + ") of worker " + worker + ": "
                    + flipBit(damaged, record, RECORD_HEADER, random);
            String message = expectError(image, damaged, what);
            assertThat(message).as(what).contains(damaged.path().toString()).contains("chunk worker " + worker)
                    .contains("journal damage at device offset").contains("journal sequences " + sequence + "..");
        });
    }

    @Test
    void damagedDataSectorIsAChecksumErrorNamingDeviceExtentAndOffset() throws Exception {
        forEachImage(true, (image, random) -> {
            PowerLossDevice damaged = image.copy();
            long[] found = findLiveSector(image, random);
            long deviceOffset = found[0];
            long extentId = found[1];
            long extentOffset = found[2];
            String what = flipBit(damaged, deviceOffset, SECTOR, random);
            try (ChunkStore store = ChunkStore.open(damaged, image.clusterId(), image.nodeId(), options())) {
                ChecksumMismatchException error = null;
                try {
                    store.read(extentId, extentOffset, ByteBuffer.allocate(SECTOR));
                } catch (ChecksumMismatchException e) {
                    error = e;
                }
                assertThat(error).as("read of the damaged sector (" + what + ", " + image.story() + ")").isNotNull();
                assertThat(error.getMessage()).contains(damaged.path().toString())
                        .contains(Long.toUnsignedString(extentId, 16)).contains(Long.toString(extentOffset))
                        .contains(Long.toString(deviceOffset));
                for (var entry : image.content().entrySet()) {
                    for (int sector = 0; sector < EXTENT_SECTORS; sector++) {
                        if (entry.getKey() == extentId && sector == extentOffset / SECTOR) {
                            continue;
                        }
                        checkSector(store, entry.getKey(), sector, entry.getValue()[sector], what);
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- images

    private interface Case {
        void run(Image image, Random random) throws Exception;
    }

    private void forEachImage(final boolean clean, final Case test) throws Exception {
        Random random = new Random(seed);
        for (int i = 0; i < iterations; i++) {
            long imageSeed = random.nextLong();
            Image image = build(new Random(imageSeed), clean);
            try {
                test.run(image, new Random(imageSeed + 1));
            } catch (Exception | AssertionError e) {
                throw new AssertionError("iteration " + i + " (-Dkeel.test.seed=" + seed + ", image seed " + imageSeed
                        + ", " + image.story() + "): " + e.getMessage(), e);
            }
        }
    }

    private static StoreOptions options() {
        return StoreOptions.defaults().withScrubBytesPerSecond(0);
    }

    /** A store with a few extents, journaled and direct writes, unmaps and (when shared) a snapshot. */
    private static Image build(final Random random, final boolean clean) throws IOException {
        int workers = 1 + random.nextInt(2);
        UUID clusterId = UUID.randomUUID();
        UUID nodeId = UUID.randomUUID();
        PowerLossDevice device = PowerLossDevice.create(64L << 20);
        ChunkStore.format(device, new DeviceIdentity(clusterId, nodeId, UUID.randomUUID()),
                LayoutOptions.defaults(workers).withExtentSize(EXTENT_BYTES).withJournalBytesPerWorker(2L << 20),
                false);
        DeviceLayout layout = DeviceOpener.open(device, clusterId, nodeId, DeviceRole.DATA).layout();
        TreeMap<Long, long[]> content = new TreeMap<>();
        Map<Long, Set<Long>> history = new HashMap<>();
        long writeId = 0;
        ChunkStore store = ChunkStore.open(device, clusterId, nodeId, options());
        int extents = 2 + random.nextInt(3);
        for (long id = 1; id <= extents; id++) {
            store.create(id, 1);
            content.put(id, new long[EXTENT_SECTORS]);
        }
        int operations = 20 + random.nextInt(60);
        for (int op = 0; op < operations; op++) {
            long id = 1 + random.nextInt(extents);
            long[] sectors = content.get(id);
            boolean block = random.nextInt(3) == 0;
            int count = block ? 16 * (1 + random.nextInt(2)) : 1 + random.nextInt(12);
            int first = block ? 16 * random.nextInt(EXTENT_SECTORS / 16 - 2) : random.nextInt(EXTENT_SECTORS - count);
            if (random.nextInt(8) == 0) {
                store.unmap(id, 1, (long) first * SECTOR, (long) count * SECTOR);
                java.util.Arrays.fill(sectors, first, first + count, 0);
            } else {
                writeId++;
                store.write(id, 1, (long) first * SECTOR, CrashPattern.data(0, writeId, (long) first * SECTOR, count));
                java.util.Arrays.fill(sectors, first, first + count, writeId);
            }
            for (int i = first; i < first + count; i++) {
                history.computeIfAbsent(id * EXTENT_SECTORS + i, key -> new HashSet<>()).add(sectors[i]);
            }
        }
        PowerLossDevice image;
        if (clean) {
            store.close();
            image = device.reopen();
        } else {
            device.cut();
            try {
                store.close();
            } catch (IOException expected) {
                // The device is gone, as after a crash.
            }
            image = device.reopen();
        }
        String story = workers + " workers, " + extents + " extents, " + operations + " operations, "
                + (clean ? "closed cleanly" : "crashed without a final checkpoint");
        return new Image(image, clusterId, nodeId, layout, content, history, story);
    }

    // ---------------------------------------------------------------- expectations

    private static void expectRecovery(final Image image, final PowerLossDevice damaged, final String what)
            throws IOException {
        try (ChunkStore store = ChunkStore.open(damaged, image.clusterId(), image.nodeId(), options())) {
            checkContent(store, image, what);
        }
    }

    /** Opens: either it fails naming the device and {@code who}, or everything reads back exactly. */
    private static void expectRecoveryOrError(final Image image, final PowerLossDevice damaged, final String what,
            final String who) throws IOException {
        ChunkStore store;
        try {
            store = ChunkStore.open(damaged, image.clusterId(), image.nodeId(), options());
        } catch (IOException e) {
            assertThat(e.getMessage()).as("error for " + what).contains(damaged.path().toString()).contains(who);
            return;
        } catch (RuntimeException e) {
            throw new AssertionError("opening after damage to " + what + " failed with " + e + ", not a clear error",
                    e);
        }
        try (store) {
            checkContent(store, image, what);
        }
    }

    private static String expectError(final Image image, final PowerLossDevice damaged, final String what) {
        try (ChunkStore store = ChunkStore.open(damaged, image.clusterId(), image.nodeId(), options())) {
            StringBuilder view = new StringBuilder();
            for (ExtentInfo info : store.list()) {
                view.append(' ').append(info);
            }
            throw new AssertionError("opened despite damage to " + what + ":" + view);
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static void checkContent(final ChunkStore store, final Image image, final String what)
            throws IOException {
        List<Long> ids = new ArrayList<>();
        for (ExtentInfo info : store.list()) {
            ids.add(info.extentId());
        }
        assertThat(ids).as("extents after damage to " + what).containsExactlyInAnyOrderElementsOf(
                image.content().keySet());
        for (var entry : image.content().entrySet()) {
            ByteBuffer data = ByteBuffer.allocate((int) EXTENT_BYTES);
            try {
                store.read(entry.getKey(), 0, data);
            } catch (IOException e) {
                throw new AssertionError("after damage to " + what + " the store opened, but reading extent "
                        + entry.getKey() + " fails: " + e.getMessage(), e);
            }
            for (int sector = 0; sector < EXTENT_SECTORS; sector++) {
                long found = CrashPattern.identify(data, sector * SECTOR, 0, (long) sector * SECTOR);
                if (found != entry.getValue()[sector]) {
                    throw new AssertionError("silent corruption after damage to " + what + ": extent "
                            + entry.getKey() + " sector " + sector + " reads " + PowerLossTest.Iteration.describe(found)
                            + ", expected " + PowerLossTest.Iteration.describe(entry.getValue()[sector]));
                }
            }
        }
    }

    /** Every sector reads zeros or data once acknowledged there (an older state), never anything else. */
    private static void checkOnceAcknowledged(final ChunkStore store, final Image image, final String what)
            throws IOException {
        for (ExtentInfo info : store.list()) {
            long id = info.extentId();
            assertThat(image.content()).as("extent " + id + " after damage to " + what).containsKey(id);
            ByteBuffer data = ByteBuffer.allocate((int) EXTENT_BYTES);
            try {
                store.read(id, 0, data);
            } catch (IOException e) {
                throw new AssertionError("after damage to " + what + " reading extent " + id + " fails: "
                        + e.getMessage(), e);
            }
            for (int sector = 0; sector < EXTENT_SECTORS; sector++) {
                long found = CrashPattern.identify(data, sector * SECTOR, 0, (long) sector * SECTOR);
                Set<Long> once = image.history().getOrDefault(id * EXTENT_SECTORS + sector, Set.of());
                if (found != 0 && !once.contains(found)) {
                    throw new AssertionError("after damage to " + what + ": extent " + id + " sector " + sector
                            + " reads " + PowerLossTest.Iteration.describe(found) + ", never acknowledged there");
                }
            }
        }
    }

    private static void checkSector(final ChunkStore store, final long extentId, final int sector,
            final long expected, final String what) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(SECTOR);
        store.read(extentId, (long) sector * SECTOR, data);
        long found = CrashPattern.identify(data, 0, 0, (long) sector * SECTOR);
        if (found != expected) {
            throw new AssertionError("after " + what + ": extent " + extentId + " sector " + sector + " reads "
                    + PowerLossTest.Iteration.describe(found) + ", expected "
                    + PowerLossTest.Iteration.describe(expected));
        }
    }

    // ---------------------------------------------------------------- damage and inspection

    /** Flips one random bit of {@code [start, start + length)}. */
    private static String flipBit(final PowerLossDevice device, final long start, final int length,
            final Random random) {
        long at = start + random.nextInt(length);
        byte[] bytes = device.peek(at, 1);
        int bit = random.nextInt(8);
        bytes[0] ^= (byte) (1 << bit);
        device.corrupt(at, bytes);
        return "bit " + bit + " of byte " + (at - start) + " flipped";
    }

    /** Flips a bit in, or zeroes, the first {@code length} bytes at {@code start}. */
    private static String damage(final PowerLossDevice device, final long start, final int length,
            final Random random) {
        if (random.nextInt(3) == 0) {
            device.corrupt(start, new byte[SECTOR]);
            return "sector zeroed";
        }
        return flipBit(device, start, length, random);
    }

    private static int newestSlot(final Image image, final int worker) {
        long best = -1;
        int slot = 0;
        for (int s = 0; s < 2; s++) {
            ByteBuffer header = ByteBuffer.wrap(image.device().peek(image.layout().checkpointSlotOffset(worker, s),
                    SECTOR));
            long counter = header.getLong(16);
            if (header.getLong(0) != 0 && counter > best) {
                best = counter;
                slot = s;
            }
        }
        return slot;
    }

    private static long payloadBytes(final Image image, final int worker, final int slot) {
        long bytes = ByteBuffer.wrap(image.device().peek(image.layout().checkpointSlotOffset(worker, slot), SECTOR))
                .getLong(32);
        return Math.max(4, Math.min(bytes, image.layout().checkpointSlotBytes() - CheckpointCodec.HEADER_BYTES));
    }

    /** Device positions of what look like journal record headers in a worker's journal. */
    private static List<Long> recordPositions(final Image image, final int worker) {
        long base = image.layout().journalOffset(worker);
        ByteBuffer journal = ByteBuffer.wrap(image.device().peek(base, (int) image.layout().journalBytes()));
        List<Long> found = new ArrayList<>();
        for (int at = SECTOR * 2; at + 40 <= journal.capacity(); at += 4) {
            if (journal.getInt(at) == RECORD_MAGIC && journal.getShort(at + 6) > 0) {
                found.add(base + at);
            }
        }
        return found;
    }

    /**
     * The highest durable-through among the valid record headers at {@code records}: records up
     * to it are vouched for by a later record, so replay can tell damage to them from a torn tail.
     */
    private static long durableThrough(final Image image, final List<Long> records) {
        long highest = 0;
        for (long record : records) {
            ByteBuffer header = ByteBuffer.wrap(image.device().peek(record, RECORD_HEADER));
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(header.array(), 0, RECORD_HEADER_CRC);
            if ((int) crc.getValue() == header.getInt(RECORD_HEADER_CRC)) {
                highest = Math.max(highest, header.getLong(RECORD_DURABLE_THROUGH));
            }
        }
        return highest;
    }

    /** The journal sequence the newest checkpoint slot of {@code worker} covers. */
    private static long checkpointedThrough(final Image image, final int worker) {
        int slot = newestSlot(image, worker);
        return ByteBuffer.wrap(image.device().peek(image.layout().checkpointSlotOffset(worker, slot), SECTOR))
                .getLong(CHECKPOINT_JOURNAL_SEQUENCE);
    }

    /** A data sector some extent reads: device offset, extent id, extent offset. */
    private static long[] findLiveSector(final Image image, final Random random) {
        DeviceLayout layout = image.layout();
        List<long[]> live = new ArrayList<>();
        for (long block = 0; block < layout.totalBlocks(); block++) {
            byte[] bytes = image.device().peek(layout.blockOffset(block), layout.blockSize());
            ByteBuffer data = ByteBuffer.wrap(bytes);
            for (int s = 0; s < layout.blockSize() / SECTOR; s++) {
                if (data.getLong(s * SECTOR) != CrashPattern.MAGIC) {
                    continue;
                }
                long writeId = data.getLong(s * SECTOR + 8);
                long offset = data.getLong(s * SECTOR + 16);
                for (var entry : image.content().entrySet()) {
                    if (offset % SECTOR == 0 && offset < EXTENT_BYTES
                            && entry.getValue()[(int) (offset / SECTOR)] == writeId
                            && offset % layout.blockSize() == (long) s * SECTOR) {
                        live.add(new long[] {layout.blockOffset(block) + (long) s * SECTOR, entry.getKey(), offset});
                    }
                }
            }
        }
        assertThat(live).as("live data sectors on the device").isNotEmpty();
        return live.get(random.nextInt(live.size()));
    }
}
