package io.keel.access.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.scsi.BlockBackend.AllocationRun;
import io.keel.chunk.device.DeviceIdentity;
import io.keel.chunk.device.DirectFileDevice;
import io.keel.chunk.device.LayoutOptions;
import io.keel.chunk.store.ChunkStore;
import io.keel.chunk.store.StoreOptions;
import io.keel.runtime.time.SystemClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeClientTest {

    private static final long EXTENT = 1 << 20;
    private static final int BLOCK = 64 << 10;
    /** Five whole extents and half of a sixth, so I/O crosses extents and the last one is partial. */
    private static final long VOLUME = 5 * EXTENT + EXTENT / 2;

    @TempDir
    Path dir;

    private ChunkStore store;
    private final AtomicLong epoch = new AtomicLong(1);
    private final AtomicLong resolutions = new AtomicLong();
    private VolumeClient client;

    private final DeviceIdentity identity = new DeviceIdentity(UUID.randomUUID(), UUID.randomUUID(),
            UUID.randomUUID());

    @BeforeEach
    void formatStore() throws IOException {
        try (DirectFileDevice device = DirectFileDevice.create(dir.resolve("device"), 64L << 20)) {
            ChunkStore.format(device, identity, LayoutOptions.defaults(2).withExtentSize(EXTENT)
                    .withJournalBytesPerWorker(4L << 20), false);
        }
        openStore();
    }

    private void openStore() throws IOException {
        Path path = dir.resolve("device");
        store = ChunkStore.open(DirectFileDevice.open(path), identity.clusterId(), identity.nodeId(),
                StoreOptions.defaults().withScrubBytesPerSecond(0));
        ExtentResolver resolver = (volume, index, stale) -> {
            resolutions.incrementAndGet();
            return new ResolvedExtent(1000 + index, epoch.get(), store, "test store");
        };
        client = new VolumeClient(new VolumeLayout("vol-1", VOLUME, EXTENT, true), resolver, BLOCK);
    }

    @AfterEach
    void closeStore() throws IOException {
        store.close();
    }

    @Test
    void aVolumeCreatedAs512nReports512BytePhysicalBlocksAndStillWritesInTheStoresBlocks() {
        VolumeClient native512 = new VolumeClient(new VolumeLayout("vol-1", VOLUME, EXTENT, true, 512),
                (volume, index, stale) -> new ResolvedExtent(1000 + index, 1, store, "test store"), BLOCK);
        assertThat(native512.reportedPhysicalBlockSize()).isEqualTo(512);
        assertThat(native512.physicalBlockSize()).as("what writes should align to").isEqualTo(4096);
        assertThat(client.reportedPhysicalBlockSize()).as("the default, 512e").isEqualTo(4096);
        assertThatThrownBy(() -> new VolumeLayout("vol-1", VOLUME, EXTENT, true, 1024))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be 512 or 4096");
    }

    @Test
    void neverWrittenRangesReadAsZerosWithoutCreatingExtents() throws IOException {
        ByteBuffer target = ByteBuffer.allocate(8192);
        target.put(0, (byte) 7);
        client.read(EXTENT - 512, target);
        assertThat(target.array()).containsOnly(0);
        assertThat(store.list()).isEmpty();
    }

    @Test
    void randomWritesOfAnyLogicalBlockRangeReadBackLikeAPlainArray() throws IOException {
        Random random = new Random(42);
        byte[] model = new byte[(int) VOLUME];
        for (int i = 0; i < 300; i++) {
            int blocks = 1 + random.nextInt(random.nextBoolean() ? 8 : 700);
            long offset = 512L * random.nextInt((int) (VOLUME / 512) - blocks);
            byte[] data = new byte[blocks * 512];
            random.nextBytes(data);
            if (random.nextInt(10) == 0) {
                client.unmap(offset, data.length);
                java.util.Arrays.fill(model, (int) offset, (int) offset + data.length, (byte) 0);
            } else {
                client.write(offset, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, model, (int) offset, data.length);
            }
        }
        ByteBuffer whole = ByteBuffer.allocate((int) VOLUME);
        client.read(0, whole);
        assertThat(whole.array()).isEqualTo(model);
        for (int i = 0; i < 100; i++) {
            int length = 512 * (1 + random.nextInt(40));
            int offset = 512 * random.nextInt((int) (VOLUME / 512) - length / 512);
            ByteBuffer part = ByteBuffer.allocate(length);
            client.read(offset, part);
            assertThat(part.array()).isEqualTo(java.util.Arrays.copyOfRange(model, offset, offset + length));
        }
    }

    @Test
    void startedWritesGoOnlyToResolvedExtentsInWholeSectorsAndAreReadBackOnceDone() throws Exception {
        byte[] data = filled(2 * 4096, (byte) 9);
        CompletableFuture<IOException> done = new CompletableFuture<>();
        assertThat(client.startWrite(4096, ByteBuffer.wrap(data), done::complete)).as("extent not created yet")
                .isFalse();
        client.write(0, ByteBuffer.wrap(filled(4096, (byte) 1)));
        assertThat(client.startWrite(4096, ByteBuffer.wrap(data), done::complete)).isTrue();
        assertThat(done.get(10, TimeUnit.SECONDS)).isNull();
        ByteBuffer back = ByteBuffer.allocate(3 * 4096);
        client.read(0, back);
        assertThat(back.array()).isEqualTo(concat(filled(4096, (byte) 1), data));

        CompletableFuture<IOException> never = new CompletableFuture<>();
        assertThat(client.startWrite(512, ByteBuffer.wrap(data), never::complete)).as("not sector aligned").isFalse();
        client.write(EXTENT, ByteBuffer.wrap(filled(4096, (byte) 2)));
        assertThat(client.startWrite(EXTENT - 4096, ByteBuffer.wrap(data), never::complete)).as("across extents")
                .isFalse();
        store.advanceEpoch(1000, 5);
        assertThat(client.startWrite(4096, ByteBuffer.wrap(data), never::complete)).as("a stale epoch").isFalse();
        assertThat(never).isNotDone();
        epoch.set(5);
        client.write(4096, ByteBuffer.wrap(filled(4096, (byte) 3))); // refreshes the extent
        CompletableFuture<IOException> again = new CompletableFuture<>();
        assertThat(client.startWrite(8192, ByteBuffer.wrap(filled(4096, (byte) 4)), again::complete)).isTrue();
        assertThat(again.get(10, TimeUnit.SECONDS)).isNull();
        client.read(0, back.clear());
        assertThat(back.array()).isEqualTo(concat(filled(4096, (byte) 1), filled(4096, (byte) 3),
                filled(4096, (byte) 4)));
    }

    private static byte[] concat(final byte[]... parts) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    @Test
    void concurrentWritesToDifferentLogicalBlocksOfOneSectorAllSurvive() throws Exception {
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int round = 0; round < 20; round++) {
                long sector = 4096L * round;
                List<Future<?>> writes = new ArrayList<>();
                for (int block = 0; block < 8; block++) {
                    long offset = sector + 512L * block;
                    byte value = (byte) (round * 8 + block + 1);
                    writes.add(threads.submit(() -> {
                        client.write(offset, ByteBuffer.wrap(filled(512, value)));
                        return null;
                    }));
                }
                for (Future<?> write : writes) {
                    write.get();
                }
                ByteBuffer back = ByteBuffer.allocate(4096);
                client.read(sector, back);
                for (int block = 0; block < 8; block++) {
                    assertThat(back.get(512 * block)).as("round %d block %d", round, block)
                            .isEqualTo((byte) (round * 8 + block + 1));
                }
            }
        }
    }

    @Test
    void concurrentFirstWritesToANewExtentAllSucceed() throws Exception {
        // Every extent starts missing; 16 writers hit each at once, as a queue-depth-32 initiator does.
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int extent = 0; extent < 5; extent++) {
                List<Future<?>> writes = new ArrayList<>();
                for (int writer = 0; writer < 16; writer++) {
                    long offset = extent * EXTENT + writer * 8192L;
                    byte value = (byte) (extent * 16 + writer + 1);
                    writes.add(threads.submit(() -> {
                        client.write(offset, ByteBuffer.wrap(filled(8192, value)));
                        return null;
                    }));
                }
                for (Future<?> write : writes) {
                    write.get();
                }
                for (int writer = 0; writer < 16; writer++) {
                    ByteBuffer back = ByteBuffer.allocate(8192);
                    client.read(extent * EXTENT + writer * 8192L, back);
                    assertThat(back.array()).containsOnly((byte) (extent * 16 + writer + 1));
                }
            }
        }
    }

    @Test
    void everyReadAndWriteIsCountedOnceInTheVolumesMetricsAndFailuresApart() throws Exception {
        VolumeIoMetrics io = client.io();
        client.write(0, ByteBuffer.wrap(filled(1024, (byte) 1)));
        CompletableFuture<IOException> written = new CompletableFuture<>();
        assertThat(client.startWrite(4096, ByteBuffer.wrap(filled(4096, (byte) 2)), written::complete)).isTrue();
        assertThat(written.get(10, TimeUnit.SECONDS)).isNull();
        assertThat(client.startWrite(512, ByteBuffer.wrap(filled(4096, (byte) 3)), written::complete))
                .as("not started: the blocking write that follows counts it").isFalse();
        assertThat(io.writeCount()).isEqualTo(2);
        assertThat(io.bytesWritten()).isEqualTo(1024 + 4096);

        client.read(0, ByteBuffer.allocate(512));
        CompletableFuture<IOException> read = new CompletableFuture<>();
        if (client.startRead(4096, ByteBuffer.allocateDirect(4096), read::complete)) {
            assertThat(read.get(10, TimeUnit.SECONDS)).isNull();
        } else {
            client.read(4096, ByteBuffer.allocate(4096)); // what a caller does when a read does not start
        }
        assertThat(io.readCount()).isEqualTo(2);
        assertThat(io.bytesRead()).isEqualTo(512 + 4096);

        // COMPARE AND WRITE: a miscompare only read, a match wrote.
        client.compareAndWrite(0, ByteBuffer.wrap(filled(512, (byte) 7)), ByteBuffer.wrap(filled(512, (byte) 8)));
        client.compareAndWrite(0, ByteBuffer.wrap(filled(512, (byte) 1)), ByteBuffer.wrap(filled(512, (byte) 8)));
        assertThat(io.readCount()).isEqualTo(3);
        assertThat(io.writeCount()).isEqualTo(3);
        assertThat(io.errorCount()).isZero();
        assertThat(io.inFlight()).as("every call ended, started or not").isZero();

        VolumeIoMetrics unreachableIo = new VolumeIoMetrics("vol-2", SystemClock.INSTANCE);
        AtomicLong inFlightMeanwhile = new AtomicLong(-1);
        VolumeClient unreachable = new VolumeClient(new VolumeLayout("vol-2", VOLUME, EXTENT, true),
                (volume, index, stale) -> {
                    inFlightMeanwhile.set(unreachableIo.inFlight());
                    throw new IOException("no replica of the extent is reachable");
                }, BLOCK, unreachableIo, new VolumeThrottle(SystemClock.INSTANCE));
        assertThatThrownBy(() -> unreachable.write(0, ByteBuffer.wrap(filled(4096, (byte) 1))))
                .isInstanceOf(IOException.class);
        assertThat(inFlightMeanwhile).as("in flight while the write looked for its extent").hasValue(1);
        assertThat(unreachable.io().errorCount()).isEqualTo(1);
        assertThat(unreachable.io().writeCount()).isZero();
        assertThat(unreachable.io().inFlight()).isZero();
    }

    @Test
    void aQosLimitHoldsStartedAndBlockingCallsToItsRate() throws Exception {
        client.write(0, ByteBuffer.wrap(filled(4096, (byte) 1))); // the extent is resolved: writes may start
        client.throttle().limit(3, 0);
        CompletableFuture<IOException> done = new CompletableFuture<>();
        for (int i = 0; i < 3; i++) {
            assertThat(client.startWrite(4096, ByteBuffer.wrap(filled(4096, (byte) 2)), done::complete))
                    .as("within the burst").isTrue();
        }
        assertThat(client.startWrite(4096, ByteBuffer.wrap(filled(4096, (byte) 2)), done::complete))
                .as("over the limit: left to the blocking write, which waits").isFalse();
        assertThat(client.startRead(0, ByteBuffer.allocateDirect(4096), done::complete)).isFalse();
        // The blocking write waits for the bucket: a third of a second per call at 3 IOPS.
        long before = System.nanoTime();
        client.write(8192, ByteBuffer.wrap(filled(4096, (byte) 3)));
        assertThat(System.nanoTime() - before).as("held back by the limit").isGreaterThan(250_000_000L);
        client.throttle().limit(0, 0);
        assertThat(client.startWrite(4096, ByteBuffer.wrap(filled(4096, (byte) 2)), done::complete)).isTrue();
    }

    @Test
    void aVolumesMetricsJoinARegistryUnderItsIdAndLeaveIt() {
        MetricRegistry registry = new MetricRegistry();
        VolumeIoMetrics first = new VolumeIoMetrics("vol-9", SystemClock.INSTANCE).register(registry);
        assertThat(registry.getNames()).containsExactlyInAnyOrder("keel.volume.vol-9.read", "keel.volume.vol-9.write",
                "keel.volume.vol-9.read_bytes", "keel.volume.vol-9.write_bytes", "keel.volume.vol-9.errors",
                "keel.volume.vol-9.in_flight");
        // A later client of the same volume takes the names over; the earlier one's leaving does not remove them.
        VolumeIoMetrics second = new VolumeIoMetrics("vol-9", SystemClock.INSTANCE).register(registry);
        first.unregister();
        assertThat(registry.getNames()).hasSize(6);
        second.unregister();
        assertThat(registry.getNames()).isEmpty();
    }

    @Test
    void compareAndWriteWritesOnlyWhenTheDataMatchesAndNamesTheFirstDifference() throws IOException {
        long offset = 3 * 512;
        client.write(offset, ByteBuffer.wrap(filled(1024, (byte) 1)));
        byte[] expected = filled(1024, (byte) 1);
        expected[700] = 9;
        assertThat(client.compareAndWrite(offset, ByteBuffer.wrap(expected), ByteBuffer.wrap(filled(1024, (byte) 2))))
                .isEqualTo(700);
        ByteBuffer back = ByteBuffer.allocate(1024);
        client.read(offset, back);
        assertThat(back.array()).containsOnly(1);

        assertThat(client.compareAndWrite(offset, ByteBuffer.wrap(filled(1024, (byte) 1)),
                ByteBuffer.wrap(filled(1024, (byte) 2)))).isEqualTo(-1);
        client.read(offset, back.clear());
        assertThat(back.array()).containsOnly(2);
    }

    @Test
    void compareAndWriteIsAtomicAgainstOtherCompareAndWrites() throws Exception {
        // Each task increments a counter held in one logical block; lost updates would show as a smaller count.
        long offset = EXTENT - 512; // a block that is not sector aligned, next to an extent boundary
        client.write(offset, ByteBuffer.wrap(counter(0)));
        int tasks = 8;
        int increments = 25;
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                running.add(threads.submit(() -> {
                    int done = 0;
                    while (done < increments) {
                        ByteBuffer current = ByteBuffer.allocate(512);
                        client.read(offset, current);
                        long value = current.getLong(0);
                        if (client.compareAndWrite(offset, ByteBuffer.wrap(counter(value)),
                                ByteBuffer.wrap(counter(value + 1))) < 0) {
                            done++;
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> task : running) {
                task.get();
            }
        }
        ByteBuffer back = ByteBuffer.allocate(512);
        client.read(offset, back);
        assertThat(back.getLong(0)).isEqualTo((long) tasks * increments);
    }

    @Test
    void unmapZeroesTheRangeAndFreesWholeAllocationUnits() throws IOException {
        client.write(0, ByteBuffer.wrap(filled(4 * BLOCK, (byte) 5)));
        assertThat(client.allocation(0, 4 * BLOCK)).containsExactly(new AllocationRun(0, 4 * BLOCK, true));

        client.unmap(BLOCK - 512, 2 * BLOCK + 1024);
        ByteBuffer back = ByteBuffer.allocate(4 * BLOCK);
        client.read(0, back);
        for (int i = 0; i < 4 * BLOCK; i++) {
            boolean unmapped = i >= BLOCK - 512 && i < 3 * BLOCK + 512;
            assertThat(back.get(i)).as("byte %d", i).isEqualTo(unmapped ? (byte) 0 : (byte) 5);
        }
        List<AllocationRun> runs = client.allocation(0, 4 * BLOCK);
        assertThat(runs).containsExactly(new AllocationRun(0, BLOCK, true),
                new AllocationRun(BLOCK, 2 * BLOCK, false), new AllocationRun(3 * BLOCK, BLOCK, true));
        assertThat(client.allocation(2 * EXTENT, 512)).containsExactly(new AllocationRun(2 * EXTENT, BLOCK, false));
    }

    @Test
    void unmappingToTheEndFreesThePartialLastAllocationUnit() throws IOException {
        long size = VOLUME - 4096;
        VolumeClient shorter = new VolumeClient(new VolumeLayout("vol-1", size, EXTENT, true),
                (volume, index, stale) -> new ResolvedExtent(1000 + index, epoch.get(), store, "test store"), BLOCK);
        long lastUnit = size / BLOCK * BLOCK;
        shorter.write(lastUnit - BLOCK, ByteBuffer.wrap(filled(2 * BLOCK - 4096, (byte) 7)));
        shorter.unmap(lastUnit - 512, size - lastUnit + 512);
        assertThat(shorter.allocation(lastUnit - BLOCK, size - lastUnit + BLOCK)).containsExactly(
                new AllocationRun(lastUnit - BLOCK, BLOCK, true), new AllocationRun(lastUnit, size - lastUnit, false));
        ByteBuffer back = ByteBuffer.allocate((int) (size - lastUnit + 512));
        shorter.read(lastUnit - 512, back);
        assertThat(back.array()).containsOnly(0);
        ByteBuffer kept = ByteBuffer.allocate(512);
        shorter.read(lastUnit - 1024, kept);
        assertThat(kept.array()).containsOnly(7);
        shorter.write(lastUnit, ByteBuffer.wrap(filled(4096, (byte) 8)));
        shorter.unmap(lastUnit, 4096);
        assertThat(shorter.allocation(lastUnit, 4096))
                .containsExactly(new AllocationRun(lastUnit, size - lastUnit, true));
    }

    @Test
    void aStaleEpochMakesTheClientAskForTheExtentAgain() throws IOException {
        client.write(0, ByteBuffer.wrap(filled(4096, (byte) 3)));
        store.advanceEpoch(1000, 5);
        epoch.set(5);
        long before = resolutions.get();
        client.write(0, ByteBuffer.wrap(filled(4096, (byte) 4)));
        assertThat(resolutions.get()).isEqualTo(before + 1);
        ByteBuffer back = ByteBuffer.allocate(4096);
        client.read(0, back);
        assertThat(back.array()).containsOnly(4);
    }

    @Test
    void rangesOutsideTheVolumeOrNotOnLogicalBlocksAreRefused() {
        assertThatThrownBy(() -> client.read(VOLUME - 512, ByteBuffer.allocate(1024)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vol-1");
        assertThatThrownBy(() -> client.write(100, ByteBuffer.allocate(512)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.unmap(-512, 512)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDamagedSectorIsReportedAtItsOffsetInTheVolume() throws Exception {
        long offset = 2 * EXTENT + 3 * 4096; // a sector inside the third extent
        byte[] pattern = new byte[4096];
        new Random(11).nextBytes(pattern);
        client.write(offset - 4096, ByteBuffer.wrap(new byte[3 * 4096]));
        client.write(offset, ByteBuffer.wrap(pattern));
        store.close(); // the data goes home on the device, out of the store's memory
        Path path = dir.resolve("device");
        byte[] device = java.nio.file.Files.readAllBytes(path);
        int at = indexOf(device, pattern);
        assertThat(at).as("the written sector on the device").isNotNegative();
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(path,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {(byte) (pattern[100] ^ 0x20)}), at + 100);
        }
        openStore();

        assertThatThrownBy(() -> client.read(offset - 4096, ByteBuffer.allocate(3 * 4096)))
                .isInstanceOfSatisfying(io.keel.access.scsi.UnreadableDataException.class,
                        e -> assertThat(e.offset()).as("the damaged sector's volume offset").isEqualTo(offset));
        ByteBuffer aligned = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096).slice();
        CompletableFuture<IOException> started = new CompletableFuture<>();
        assertThat(client.startRead(offset, aligned, started::complete)).as("a read of a known extent starts").isTrue();
        assertThat(started.get(10, TimeUnit.SECONDS)).isInstanceOfSatisfying(
                io.keel.access.scsi.UnreadableDataException.class, e -> assertThat(e.offset()).isEqualTo(offset));
    }

    private static int indexOf(final byte[] haystack, final byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i += 512) {
            if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] filled(final int length, final byte value) {
        byte[] data = new byte[length];
        java.util.Arrays.fill(data, value);
        return data;
    }

    private static byte[] counter(final long value) {
        return ByteBuffer.allocate(512).putLong(0, value).array();
    }
}
