package io.keel.chunk.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import io.keel.chunk.device.AlignedBuffers;
import io.keel.chunk.device.DeviceRefusedException;
import io.keel.chunk.device.DirectFileDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkStoreTest {

    private static final int SECTOR = 4096;
    private static final int BLOCK = 64 * 1024;
    private static final long EXTENT = 4L << 20;

    @TempDir
    Path dir;

    private StoreFixture fixture(final long journalBytes) throws IOException {
        return StoreFixture.format(dir.resolve("device"), 128L << 20, EXTENT, 2, journalBytes);
    }

    private static ByteBuffer random(final Random random, final int bytes) {
        byte[] data = new byte[bytes];
        random.nextBytes(data);
        return ByteBuffer.wrap(data);
    }

    private static ByteBuffer read(final ExtentStore store, final long extent, final long offset, final int bytes)
            throws IOException {
        ByteBuffer target = ByteBuffer.allocate(bytes);
        store.read(extent, offset, target);
        return target.flip();
    }

    /** A read through {@link ExtentStore#startRead} into an aligned buffer, waited for; its failure is thrown. */
    private static ByteBuffer startedRead(final ExtentStore store, final long extent, final long offset,
            final int bytes) throws Exception {
        ByteBuffer target = AlignedBuffers.allocate(bytes);
        CompletableFuture<IOException> done = new CompletableFuture<>();
        assertThat(store.startRead(extent, offset, target, done::complete)).isTrue();
        IOException failure = done.get(10, TimeUnit.SECONDS);
        if (failure != null) {
            throw failure;
        }
        assertThat(target.position()).isZero();
        return target;
    }

    @Test
    void startedReadsReturnWhatBlockingReadsDo() throws Exception {
        StoreFixture fixture = fixture(2L << 20);
        Random random = new Random(11);
        try (ChunkStore store = fixture.open()) {
            store.create(3, 1);
            store.write(3, 1, 5 * SECTOR, random(random, 3 * SECTOR));
            store.write(3, 1, 2 * BLOCK, random(random, 3 * BLOCK));
            store.write(3, 1, 3 * BLOCK + 4 * SECTOR, random(random, SECTOR));
            // Zeros, dirty or applied sectors, runs within a block and across blocks, unwritten blocks.
            long[][] ranges = {{0, SECTOR}, {4 * SECTOR, 6 * SECTOR}, {2 * BLOCK, 3 * BLOCK},
                {2 * BLOCK - SECTOR, BLOCK + 2 * SECTOR}, {3 * BLOCK, BLOCK}, {6 * BLOCK, 2 * BLOCK}};
            for (long[] range : ranges) {
                assertThat(startedRead(store, 3, range[0], (int) range[1])).as("range at %d", range[0])
                        .isEqualTo(read(store, 3, range[0], (int) range[1]));
            }
            assertThat(store.startRead(3, 0, ByteBuffer.allocate(SECTOR), f -> { }))
                    .as("a heap buffer is for read()").isFalse();
            assertThatThrownBy(() -> store.startRead(99, 0, AlignedBuffers.allocate(SECTOR), f -> { }))
                    .isInstanceOf(ExtentNotFoundException.class);
        }
    }

    /** Starts a write; null when the store declined it, else the future of its outcome (null once durable). */
    private static CompletableFuture<IOException> startWrite(final ExtentStore store, final long extent,
            final long offset, final ByteBuffer data) throws IOException {
        CompletableFuture<IOException> done = new CompletableFuture<>();
        return store.startWrite(extent, 1, offset, data, done::complete) ? done : null;
    }

    @Test
    void startedWritesOfPartsOfUnsharedBlocksAreDurableWhenDoneAndTheRestIsDeclined() throws Exception {
        StoreFixture fixture = fixture(2L << 20);
        Random random = new Random(12);
        byte[] model = new byte[16 * BLOCK];
        List<CompletableFuture<IOException>> started = new ArrayList<>();
        try (ChunkStore store = fixture.open()) {
            store.create(4, 1);
            store.create(5, 1);
            store.write(5, 1, 0, random(random, BLOCK));
            store.snapshot(5, 6, 1);
            // Nobody waits on a thread: each write's durability comes from the commit the store asked for.
            for (int i = 0; i < 200; i++) {
                int sectors = 1 + random.nextInt(6);
                int offset = random.nextInt(model.length / SECTOR - sectors) * SECTOR;
                ByteBuffer data = random(random, sectors * SECTOR);
                CompletableFuture<IOException> done = startWrite(store, 4, offset, data.duplicate());
                if (done == null) { // declined while a checkpoint makes room in the journal
                    store.write(4, 1, offset, data.duplicate());
                } else {
                    started.add(done);
                }
                data.get(0, model, offset, sectors * SECTOR);
            }
            assertThat(started).as("started, not declined").hasSizeGreaterThan(150);
            for (CompletableFuture<IOException> done : started) {
                assertThat(done.get(10, TimeUnit.SECONDS)).isNull();
            }
            assertThat(read(store, 4, 0, model.length)).isEqualTo(ByteBuffer.wrap(model));
            assertThat(startWrite(store, 4, 2 * BLOCK, random(random, BLOCK))).as("a whole block").isNull();
            assertThat(startWrite(store, 4, BLOCK - SECTOR, random(random, BLOCK + 2 * SECTOR)))
                    .as("a write covering a whole block").isNull();
            assertThat(startWrite(store, 6, SECTOR, random(random, SECTOR))).as("a block shared with a snapshot")
                    .isNull();
            assertThatThrownBy(() -> startWrite(store, 4, 0, ByteBuffer.allocate(0)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> startWrite(store, 99, 0, random(random, SECTOR)))
                    .isInstanceOf(ExtentNotFoundException.class);
            assertThatThrownBy(() -> store.startWrite(4, 0, 0, random(random, SECTOR), f -> { }))
                    .isInstanceOf(StaleEpochException.class);
            assertThat(read(store, 4, 0, model.length)).as("declined writes changed nothing")
                    .isEqualTo(ByteBuffer.wrap(model));
        }
        try (ChunkStore store = fixture.open()) {
            assertThat(read(store, 4, 0, model.length)).isEqualTo(ByteBuffer.wrap(model));
            assertThat(store.info(4).version()).isEqualTo(200);
        }
    }

    @Test
    void formattingAFileWritesItsJournalsInFullSoThatNoJournalWriteAllocates() throws Exception {
        Path path = dir.resolve("device");
        long journal = 8L << 20;
        StoreFixture.format(path, 128L << 20, EXTENT, 2, journal);
        // A sparse file holds only what was written: here both journals in full, and little else.
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", path.toString()).redirectErrorStream(true).start();
        String[] blocks = new String(stat.getInputStream().readAllBytes()).trim().split(" ");
        assertThat(stat.waitFor()).isZero();
        long allocated = Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
        assertThat(allocated).isBetween(2 * journal, 2 * journal + (4L << 20));
        try (DirectFileDevice device = DirectFileDevice.open(path)) {
            assertThat(device.allocatesOnFirstWrite()).isTrue();
        }
    }

    @Test
    void writesReadBackAndSurviveReopen() throws IOException {
        StoreFixture fixture = fixture(2L << 20);
        Random random = new Random(1);
        ByteBuffer small = random(random, 3 * SECTOR);
        ByteBuffer whole = random(random, 2 * BLOCK);
        try (ChunkStore store = fixture.open()) {
            store.create(7, 1);
            assertThat(read(store, 7, 0, 2 * SECTOR)).isEqualTo(ByteBuffer.allocate(2 * SECTOR));
            store.write(7, 1, 5 * SECTOR, small.duplicate());
            store.write(7, 1, 4 * BLOCK, whole.duplicate());
            assertThat(read(store, 7, 5 * SECTOR, 3 * SECTOR)).isEqualTo(small);
            assertThat(read(store, 7, 4 * BLOCK, 2 * BLOCK)).isEqualTo(whole);
            assertThat(read(store, 7, 4 * SECTOR, SECTOR)).isEqualTo(ByteBuffer.allocate(SECTOR));
            assertThat(store.allocatedBlocks(7)).containsExactly(0, 4, 5);
        }
        try (ChunkStore store = fixture.open()) {
            assertThat(read(store, 7, 5 * SECTOR, 3 * SECTOR)).isEqualTo(small);
            assertThat(read(store, 7, 4 * BLOCK, 2 * BLOCK)).isEqualTo(whole);
            assertThat(store.info(7).version()).isEqualTo(2);
        }
    }

    @Test
    void wholeBlocksFromAnAlignedDirectBufferAreWrittenAsTheyAre() throws IOException {
        StoreFixture fixture = fixture(2L << 20);
        Random random = new Random(3);
        byte[] bytes = new byte[4 * BLOCK + SECTOR];
        random.nextBytes(bytes);
        ByteBuffer direct = io.keel.chunk.device.AlignedBuffers.allocate(bytes.length).put(bytes).flip();
        try (ChunkStore store = fixture.open()) {
            store.create(9, 1);
            // Aligned: written in place; then from an unaligned position (copied), and a partial tail.
            store.write(9, 1, 0, direct.duplicate().limit(4 * BLOCK));
            store.write(9, 1, 8 * BLOCK, direct.duplicate().position(SECTOR).limit(SECTOR + 2 * BLOCK));
            store.write(9, 1, 12 * BLOCK, direct.duplicate().limit(BLOCK + SECTOR));
            assertThat(read(store, 9, 0, 4 * BLOCK)).isEqualTo(ByteBuffer.wrap(bytes, 0, 4 * BLOCK));
            assertThat(read(store, 9, 8 * BLOCK, 2 * BLOCK)).isEqualTo(ByteBuffer.wrap(bytes, SECTOR, 2 * BLOCK));
        }
        try (ChunkStore store = fixture.open()) {
            assertThat(read(store, 9, 0, 4 * BLOCK)).isEqualTo(ByteBuffer.wrap(bytes, 0, 4 * BLOCK));
            assertThat(read(store, 9, 8 * BLOCK, 2 * BLOCK)).isEqualTo(ByteBuffer.wrap(bytes, SECTOR, 2 * BLOCK));
            assertThat(read(store, 9, 12 * BLOCK, BLOCK + SECTOR)).isEqualTo(ByteBuffer.wrap(bytes, 0, BLOCK + SECTOR));
            // Read back into an aligned direct buffer too (the read then lands there directly).
            ByteBuffer target = io.keel.chunk.device.AlignedBuffers.allocate(4 * BLOCK);
            store.read(9, 0, target);
            assertThat(target.flip()).isEqualTo(ByteBuffer.wrap(bytes, 0, 4 * BLOCK));
            ByteBuffer unaligned = io.keel.chunk.device.AlignedBuffers.allocate(3 * SECTOR).position(512)
                    .limit(512 + 2 * SECTOR);
            store.read(9, 8 * BLOCK, unaligned);
            assertThat(unaligned.flip().position(512)).isEqualTo(ByteBuffer.wrap(bytes, SECTOR, 2 * SECTOR));
        }
    }

    @Test
    void manyOverwritesWrapTheJournalAndStayCorrect() throws IOException {
        StoreFixture fixture = fixture(1L << 20);
        Random random = new Random(2);
        byte[] model = new byte[(int) EXTENT];
        try (ChunkStore store = fixture.open()) {
            store.create(1, 1);
            for (int i = 0; i < 3000; i++) {
                int sectors = 1 + random.nextInt(random.nextInt(10) == 0 ? 40 : 4);
                int offset = random.nextInt((int) (EXTENT / SECTOR) - sectors) * SECTOR;
                ByteBuffer data = random(random, sectors * SECTOR);
                store.write(1, 1, offset, data.duplicate());
                data.get(0, model, offset, sectors * SECTOR);
            }
            assertThat(store.stats().checkpoints()).isGreaterThan(3);
            assertThat(read(store, 1, 0, (int) EXTENT)).isEqualTo(ByteBuffer.wrap(model));
        }
        try (ChunkStore store = fixture.open()) {
            assertThat(read(store, 1, 0, (int) EXTENT)).isEqualTo(ByteBuffer.wrap(model));
        }
    }

    @Test
    void unmapReturnsZerosAndFreesBlocks() throws IOException {
        try (ChunkStore store = fixture(2L << 20).open()) {
            long free = reclaimable(store);
            store.create(1, 1);
            store.write(1, 1, 0, random(new Random(3), 3 * BLOCK));
            assertThat(reclaimable(store)).isEqualTo(free - 3);
            store.unmap(1, 1, BLOCK, BLOCK);
            store.unmap(1, 1, 2 * BLOCK + SECTOR, SECTOR);
            assertThat(read(store, 1, BLOCK, BLOCK)).isEqualTo(ByteBuffer.allocate(BLOCK));
            assertThat(read(store, 1, 2 * BLOCK + SECTOR, SECTOR)).isEqualTo(ByteBuffer.allocate(SECTOR));
            assertThat(read(store, 1, 2 * BLOCK, SECTOR)).isNotEqualTo(ByteBuffer.allocate(SECTOR));
            assertThat(store.allocatedBlocks(1)).containsExactly(0, 2);
        }
    }

    @Test
    void snapshotsShareBlocksAndCopyOnWrite() throws IOException {
        StoreFixture fixture = fixture(2L << 20);
        Random random = new Random(4);
        ByteBuffer original = random(random, 2 * BLOCK);
        ByteBuffer change = random(random, SECTOR);
        try (ChunkStore store = fixture.open()) {
            store.create(1, 1);
            store.write(1, 1, 0, original.duplicate());
            long free = reclaimable(store);
            store.snapshot(1, 2, 1);
            assertThat(reclaimable(store)).as("a snapshot allocates nothing").isEqualTo(free);
            store.write(1, 1, SECTOR, change.duplicate());
            assertThat(read(store, 2, 0, 2 * BLOCK)).as("snapshot unchanged").isEqualTo(original);
            ByteBuffer expected = ByteBuffer.allocate(2 * BLOCK).put(original.duplicate());
            expected.put(SECTOR, change.duplicate(), 0, SECTOR);
            assertThat(read(store, 1, 0, 2 * BLOCK)).isEqualTo(expected.clear());
            assertThat(reclaimable(store)).as("one block copied").isEqualTo(free - 1);
            store.snapshot(2, 3, 1);
            store.unmap(3, 1, BLOCK + SECTOR, SECTOR);
            assertThat(read(store, 2, BLOCK + SECTOR, SECTOR)).isEqualTo(original.slice(BLOCK + SECTOR, SECTOR));
            assertThat(read(store, 3, BLOCK + SECTOR, SECTOR)).isEqualTo(ByteBuffer.allocate(SECTOR));
        }
        try (ChunkStore store = fixture.open()) {
            assertThat(read(store, 2, 0, 2 * BLOCK)).isEqualTo(original);
            long free = reclaimable(store);
            store.delete(3, 1);
            assertThat(reclaimable(store)).as("only the block 3 copied").isEqualTo(free + 1);
            store.delete(2, 1);
            assertThat(reclaimable(store)).as("block 0 of the snapshot").isEqualTo(free + 2);
            store.delete(1, 1);
            assertThat(reclaimable(store)).isEqualTo(free + 4);
        }
    }

    /** Free blocks, counting those that wait for the journal to flush the record that freed them. */
    private static long reclaimable(final ChunkStore store) {
        StoreStats stats = store.stats();
        return stats.freeBlocks() + stats.releasingBlocks();
    }

    @Test
    void staleEpochsAreRefused() throws IOException {
        try (ChunkStore store = fixture(2L << 20).open()) {
            store.create(1, 5);
            store.advanceEpoch(1, 7);
            assertThatThrownBy(() -> store.write(1, 6, 0, ByteBuffer.allocate(SECTOR)))
                    .isInstanceOf(StaleEpochException.class).hasMessageContaining("epoch 7");
            store.write(1, 7, 0, ByteBuffer.allocate(SECTOR));
            assertThat(store.info(1).epoch()).isEqualTo(7);
            assertThatThrownBy(() -> store.create(1, 1)).isInstanceOf(ExtentExistsException.class);
            assertThatThrownBy(() -> store.read(9, 0, ByteBuffer.allocate(SECTOR)))
                    .isInstanceOf(ExtentNotFoundException.class);
            assertThatThrownBy(() -> store.write(1, 7, 100, ByteBuffer.allocate(SECTOR)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aligned");
            assertThatThrownBy(() -> store.write(1, 7, EXTENT, ByteBuffer.allocate(SECTOR)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inside an extent");
            assertThatThrownBy(() -> store.unmap(1, 7, Long.MAX_VALUE - (SECTOR - 1), SECTOR))
                    .as("offset + length overflows").isInstanceOf(IllegalArgumentException.class);
            long version = store.info(1).version();
            assertThat(store.unmap(1, 7, BLOCK, BLOCK)).as("unmapping nothing changes nothing").isEqualTo(version);
            assertThat(store.info(1).version()).isEqualTo(version);
        }
    }

    @Test
    void damagedSectorsAreReportedWithDeviceExtentAndOffset() throws Exception {
        StoreFixture fixture = fixture(2L << 20);
        long deviceOffset;
        try (ChunkStore store = fixture.open()) {
            store.create(1, 1);
            store.write(1, 1, BLOCK, random(new Random(5), BLOCK));
            store.write(1, 1, 0, random(new Random(6), SECTOR));
            deviceOffset = -1;
        }
        // Find the sector on the device: the whole-block write is at some block; flip a byte in each
        // data sector until a read of offset BLOCK + 2 sectors fails.
        try (FileChannel raw = FileChannel.open(dir.resolve("device"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer expected;
            try (ChunkStore store = fixture.open()) {
                expected = read(store, 1, BLOCK + 2 * SECTOR, SECTOR);
            }
            ByteBuffer sector = ByteBuffer.allocate(SECTOR);
            for (long at = 0; at < raw.size(); at += SECTOR) {
                raw.read(sector.clear(), at);
                if (sector.flip().equals(expected)) {
                    deviceOffset = at;
                    break;
                }
            }
            assertThat(deviceOffset).isPositive();
            ByteBuffer one = ByteBuffer.allocate(1);
            raw.read(one, deviceOffset + 100);
            raw.write(one.put(0, (byte) (one.get(0) ^ 0x10)).clear(), deviceOffset + 100);
        }
        long damaged = deviceOffset;
        try (ChunkStore store = fixture.open()) {
            assertThatThrownBy(() -> read(store, 1, BLOCK, BLOCK)).isInstanceOf(ChecksumMismatchException.class)
                    .hasMessageContaining(dir.resolve("device").toString())
                    .hasMessageContaining("device offset " + damaged).hasMessageContaining("extent 1 offset "
                            + (BLOCK + 2 * SECTOR));
            assertThat(read(store, 1, BLOCK, 2 * SECTOR).remaining()).isEqualTo(2 * SECTOR);
            // A started read that finds the damage reads once more the blocking way and reports the same.
            assertThatThrownBy(() -> startedRead(store, 1, BLOCK, BLOCK)).isInstanceOf(ChecksumMismatchException.class)
                    .hasMessageContaining("device offset " + damaged);
            assertThat(store.scrubber().scrubOnce()).isEqualTo(1);
            assertThat(store.scrubber().findings()).singleElement()
                    .extracting(ChecksumMismatchException::extentOffset).isEqualTo((long) BLOCK + 2 * SECTOR);
        }
    }

    @Test
    void anExtentThatCreateSaysExistsIsUsableAtOnce() throws Exception {
        StoreFixture fixture = fixture(8L << 20);
        try (ChunkStore store = fixture.open()) {
            for (int round = 0; round < 500; round++) {
                long extent = 1000 + round;
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
                List<Thread> racers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    racers.add(Thread.ofVirtual().start(() -> {
                        try {
                            go.await();
                            try {
                                store.create(extent, 1);
                            } catch (ExtentExistsException created) {
                                // The other racer made it: it must be there for us now.
                            }
                            store.write(extent, 1, 0, ByteBuffer.allocate(SECTOR));
                            read(store, extent, 0, SECTOR);
                        } catch (IOException | InterruptedException | RuntimeException e) {
                            failures.add(e);
                        }
                    }));
                }
                go.countDown();
                for (Thread racer : racers) {
                    racer.join();
                }
                assertThat(failures).as("round " + round).isEmpty();
            }
        }
    }

    @Test
    void clientReadsAndWritesMakeTheStoreBusyForTheScrubber() throws IOException {
        StoreFixture fixture = fixture(2L << 20);
        try (ChunkStore store = fixture.open()) {
            store.create(3, 1);
            assertThat(store.nanosSinceClientIo()).isEqualTo(Long.MAX_VALUE);
            store.write(3, 1, 0, ByteBuffer.allocate(SECTOR));
            assertThat(store.nanosSinceClientIo()).isLessThan(Scrubber.BUSY_WINDOW_NANOS * 100);
        }
    }

    @Test
    void backgroundPassesStartAtMostOncePerIntervalButNeverBackToBack() {
        java.time.Duration day = StoreOptions.DEFAULT_SCRUB_PASS_INTERVAL;
        java.time.Duration week = java.time.Duration.ofDays(7);
        long hour = java.time.Duration.ofHours(1).toNanos();
        assertThat(day).isEqualTo(java.time.Duration.ofHours(24));
        assertThat(Scrubber.untilNextPass(day, 0, hour)).isEqualTo(java.time.Duration.ofHours(23));
        assertThat(Scrubber.untilNextPass(week, 0, hour)).isEqualTo(java.time.Duration.ofHours(7 * 24 - 1));
        assertThat(Scrubber.untilNextPass(day, 5 * hour, 5 * hour)).isEqualTo(day);
        // A pass that took longer than the interval (a large store) is followed by the next one at once.
        assertThat(Scrubber.untilNextPass(day, 0, 30 * hour)).isEqualTo(Scrubber.PASS_GAP);
        assertThat(Scrubber.untilNextPass(day, 0, day.toNanos())).isEqualTo(Scrubber.PASS_GAP);
        assertThat(Scrubber.untilNextPass(java.time.Duration.ofMillis(10), 0, 0)).isEqualTo(Scrubber.PASS_GAP);
    }

    @Test
    void theScrubberStepsAsideWhileClientsUseTheStore() {
        long rate = 16L << 20;
        long idle = Scrubber.pauseNanos(BLOCK, rate, Long.MAX_VALUE);
        assertThat(idle).isEqualTo(BLOCK * 1_000_000_000L / rate);
        assertThat(Scrubber.pauseNanos(BLOCK, rate, Scrubber.BUSY_WINDOW_NANOS)).isEqualTo(idle);
        assertThat(Scrubber.pauseNanos(BLOCK, rate, Scrubber.BUSY_WINDOW_NANOS - 1))
                .isEqualTo(idle * Scrubber.BUSY_SLOWDOWN);
        assertThat(Scrubber.pauseNanos(BLOCK, 1, 0)).isEqualTo(BLOCK * 1_000_000_000L);
    }

    @Test
    void aFullStoreSaysSo() throws IOException {
        StoreFixture fixture = StoreFixture.format(dir.resolve("small"), 12L << 20, EXTENT, 1, 1L << 20);
        try (ChunkStore store = fixture.open()) {
            long blocks = reclaimable(store);
            store.create(1, 1);
            store.create(2, 1);
            long written = 0;
            Throwable failure = null;
            for (long extent = 1; extent <= 2 && failure == null; extent++) {
                for (long offset = 0; offset < EXTENT && failure == null; offset += BLOCK) {
                    try {
                        store.write(extent, 1, offset, ByteBuffer.allocate(BLOCK));
                        written++;
                    } catch (StoreFullException e) {
                        failure = e;
                    }
                }
            }
            assertThat(failure).isInstanceOf(StoreFullException.class).hasMessageContaining("no free block");
            assertThat(written).isEqualTo(blocks);
            store.delete(2, 1);
            store.delete(1, 1);
        }
    }

    @Test
    void newExtentsGoToTheWorkerWithTheFewestSoOneGroupDoesNotFillWhileAnotherHasRoom() throws IOException {
        StoreFixture fixture = StoreFixture.format(dir.resolve("two"), 24L << 20, EXTENT, 2, 1L << 20);
        int[] placed = new int[5];
        try (ChunkStore store = fixture.open()) {
            long perGroup = store.stats().totalBlocks() / 2;
            long blocksPerExtent = EXTENT / BLOCK;
            assertThat(perGroup).as("a group has room for one whole extent, not two")
                    .isBetween(blocksPerExtent, 2 * blocksPerExtent - 1);
            // Ids 1 and 2 hash to the same worker: placed by the hash, the second would find that group full.
            store.create(1, 1);
            store.create(2, 1);
            placed[1] = store.workerOf(1);
            placed[2] = store.workerOf(2);
            assertThat(placed[2]).isNotEqualTo(placed[1]);
            fill(store, 1, EXTENT);
            fill(store, 2, BLOCK);
            // As many extents each: the next goes where more blocks are free; then to the one with fewer extents.
            store.create(3, 1);
            store.create(4, 1);
            placed[3] = store.workerOf(3);
            placed[4] = store.workerOf(4);
            assertThat(placed[3]).isEqualTo(placed[2]);
            assertThat(placed[4]).isEqualTo(placed[1]);
            fill(store, 2, EXTENT);
        }
        // Owners are found again at open, wherever extents were placed.
        try (ChunkStore store = fixture.open()) {
            for (long extent = 1; extent <= 4; extent++) {
                assertThat(store.workerOf(extent)).isEqualTo(placed[(int) extent]);
            }
            byte[] twos = new byte[SECTOR];
            java.util.Arrays.fill(twos, (byte) 2);
            assertThat(read(store, 2, EXTENT - SECTOR, SECTOR)).isEqualTo(ByteBuffer.wrap(twos));
        }
    }

    /** Writes {@code bytes} from the start of {@code extent}, every byte the extent's id. */
    private static void fill(final ChunkStore store, final long extent, final long bytes) throws IOException {
        byte[] data = new byte[BLOCK];
        java.util.Arrays.fill(data, (byte) extent);
        for (long offset = 0; offset < bytes; offset += BLOCK) {
            store.write(extent, 1, offset, ByteBuffer.wrap(data));
        }
    }

    @Test
    void metricsCoverLatencyQueuesJournalsAndSpace() throws IOException {
        MetricRegistry registry = new MetricRegistry();
        StoreFixture fixture = fixture(2L << 20);
        try (ChunkStore store = fixture.withOptions(fixture.options().withMetrics(registry)).open()) {
            store.create(1, 1);
            store.write(1, 1, 0, ByteBuffer.allocate(SECTOR));
            read(store, 1, 0, SECTOR);
            var names = registry.getNames();
            assertThat(names).anyMatch(n -> n.matches("keel\\.chunk-\\p{XDigit}{8}\\.write_latency_ns"))
                    .anyMatch(n -> n.endsWith(".read_latency_ns")).anyMatch(n -> n.endsWith(".free_bytes"))
                    .anyMatch(n -> n.matches("keel\\.context\\.chunk-\\p{XDigit}{8}-worker-0\\.queue_depth"))
                    .anyMatch(n -> n.startsWith("keel.journal.chunk-"));
            assertThat(registry.getHistograms((n, m) -> n.endsWith(".write_latency_ns")).values())
                    .singleElement().extracting(Histogram::getCount).isEqualTo(1L);
            Gauge<?> free = registry.getGauges((n, m) -> n.endsWith(".free_bytes")).values().iterator().next();
            assertThat(free.getValue()).isEqualTo(store.stats().freeBytes());
        }
        assertThat(registry.getNames()).as("a closed store leaves no metrics behind").isEmpty();
    }

    @Test
    void everyCheckpointIsCountedWithItsDuration() throws IOException {
        MetricRegistry registry = new MetricRegistry();
        StoreFixture fixture = fixture(1L << 20);
        Random random = new Random(3);
        try (ChunkStore store = fixture.withOptions(fixture.options().withMetrics(registry)).open()) {
            store.create(1, 1);
            for (int i = 0; i < 3000 && store.stats().checkpoints() < 2; i++) {
                store.write(1, 1, random.nextInt((int) (EXTENT / SECTOR)) * (long) SECTOR, random(random, SECTOR));
            }
            assertThat(store.stats().checkpoints()).as("the journal wrapped").isGreaterThanOrEqualTo(2);
            // At least: a checkpoint the writes started may still finish meanwhile.
            Histogram durations = registry.getHistograms((n, m) -> n.endsWith(".checkpoint_latency_ns")).values()
                    .iterator().next();
            assertThat(durations.getCount()).isGreaterThanOrEqualTo(2);
            assertThat(durations.getSnapshot().getMin()).isPositive();
        }
    }

    @Test
    void aDeviceOfAnotherClusterIsRefused() throws IOException {
        StoreFixture fixture = fixture(2L << 20);
        assertThatThrownBy(() -> ChunkStore.open(DirectFileDevice.open(fixture.path()), UUID.randomUUID(),
                fixture.nodeId(), fixture.options())).isInstanceOf(DeviceRefusedException.class)
                .hasMessageContaining("cluster");
    }
}
