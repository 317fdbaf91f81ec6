package io.keel.chunk.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keel.runtime.context.Batching;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BlockDevice#startReads} on a file through Linux AIO: callbacks, batching, bounds and close. */
class AsyncReadTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void linuxAioOnly() {
        String arch = System.getProperty("os.arch", "");
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux")
                && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64")),
                "Linux AIO exists only on Linux x86-64 and AArch64");
    }

    /** A device of {@code mib} MiB whose every 4 KiB block holds the pattern of its index. */
    private DirectFileDevice patterned(final int mib) throws IOException {
        DirectFileDevice device = DirectFileDevice.create(dir.resolve("dev"), (long) mib * MIB);
        List<BlockDevice.Write> blocks = new ArrayList<>();
        for (int block = 0; block < mib * 256; block++) {
            blocks.add(new BlockDevice.Write((long) block * 4096, TestData.pattern(4096, block)));
        }
        device.writeAll(blocks);
        return device;
    }

    private static CompletableFuture<IOException> start(final BlockDevice device, final List<BlockDevice.Read> reads)
            throws IOException {
        CompletableFuture<IOException> done = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        boolean started = device.startReads(reads, failure -> {
            assertThat(calls.incrementAndGet()).as("callbacks of one batch").isOne();
            done.complete(failure);
        });
        assertThat(started).isTrue();
        return done;
    }

    @Test
    void manyConcurrentBatchesEachCompleteOnceWithTheRightBytes() throws Exception {
        try (DirectFileDevice device = patterned(8)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        Random random = new Random(seed);
                        for (int round = 0; round < 200; round++) {
                            // One to three reads of 1..4 blocks each, anywhere on the device.
                            List<BlockDevice.Read> reads = new ArrayList<>();
                            List<Integer> firsts = new ArrayList<>();
                            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                                int first = random.nextInt(8 * 256 - 4);
                                firsts.add(first);
                                reads.add(new BlockDevice.Read((long) first * 4096,
                                        AlignedBuffers.allocate(4096 * (1 + random.nextInt(4)))));
                            }
                            assertThat(start(device, reads).get(10, TimeUnit.SECONDS)).isNull();
                            for (int k = 0; k < reads.size(); k++) {
                                ByteBuffer target = reads.get(k).target();
                                assertThat(target.position()).isZero();
                                for (int b = 0; b < target.remaining() / 4096; b++) {
                                    assertThat(target.slice(b * 4096, 4096))
                                            .isEqualTo(TestData.pattern(4096, firsts.get(k) + b));
                                }
                            }
                        }
                    } catch (Exception | AssertionError e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void readsGoToTheDeviceAtOnceAlsoInsideABatchingGroup() throws Exception {
        try (DirectFileDevice device = patterned(1)) {
            try (Batching.Group group = Batching.open()) {
                for (int block = 0; block < 20; block++) {
                    ByteBuffer target = AlignedBuffers.allocate(4096);
                    // Each completes while the group is still open: nothing waits for its end.
                    assertThat(start(device, List.of(new BlockDevice.Read((long) block * 4096, target)))
                            .get(10, TimeUnit.SECONDS)).isNull();
                    assertThat(target).isEqualTo(TestData.pattern(4096, block));
                }
            }
            // Control blocks are free before the callbacks run.
            assertThat(device.readsInFlight()).isZero();
        }
    }

    @Test
    void readsAreCheckedBeforeAnyStartsAndTooBigABatchIsDeclined() throws IOException {
        try (DirectFileDevice device = patterned(1)) {
            BlockDevice.Read good = new BlockDevice.Read(0, AlignedBuffers.allocate(4096));
            BlockDevice.Read pastTheEnd = new BlockDevice.Read(MIB, AlignedBuffers.allocate(4096));
            assertThatThrownBy(() -> device.startReads(List.of(good, pastTheEnd), f -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("goes past the end");
            BlockDevice.Read heap = new BlockDevice.Read(0, ByteBuffer.allocate(4096));
            assertThatThrownBy(() -> device.startReads(List.of(heap), f -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("direct buffer");
            List<BlockDevice.Read> tooMany = new ArrayList<>();
            for (int k = 0; k <= LinuxAio.READ_WINDOW; k++) {
                tooMany.add(new BlockDevice.Read(0, AlignedBuffers.allocate(4096)));
            }
            assertThat(device.startReads(tooMany, f -> { })).isFalse();
            assertThat(device.startReads(List.of(), f -> { })).isFalse();
        }
    }

    @Test
    void aReadThatComesBackShortFailsItsBatchWithTheOffset() throws Exception {
        Path file = dir.resolve("short");
        try (DirectFileDevice device = DirectFileDevice.create(file, 2 * MIB)) {
            // The file shrinks under the device: a read past its new end returns nothing.
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(MIB);
            }
            CompletableFuture<IOException> done = start(device,
                    List.of(new BlockDevice.Read(0, AlignedBuffers.allocate(4096)),
                            new BlockDevice.Read(MIB + 4096, AlignedBuffers.allocate(4096))));
            assertThat(done.get(10, TimeUnit.SECONDS)).isNotNull()
                    .hasMessageContaining("at offset " + (MIB + 4096)).hasMessageContaining("returned only 0");
        }
    }

    @Test
    void largeReadsGoToTheDeviceABudgetAtATimeInArrivalOrder() throws Exception {
        int large = 6;
        int perRead = (int) (LinuxAio.LARGE_READ_BYTES * 4);
        long budgetReads = LinuxAio.LARGE_READ_BUDGET / perRead;
        try (DirectFileDevice device = patterned(large * perRead / MIB + 1)) {
            List<Integer> order = new CopyOnWriteArrayList<>();
            List<ByteBuffer> targets = new ArrayList<>();
            List<CompletableFuture<IOException>> done = new ArrayList<>();
            AtomicInteger waitingAtFirstCallback = new AtomicInteger(-1);
            CountDownLatch allStarted = new CountDownLatch(1);
            for (int k = 0; k < large; k++) {
                int index = k;
                ByteBuffer target = AlignedBuffers.allocate(perRead);
                targets.add(target);
                CompletableFuture<IOException> finished = new CompletableFuture<>();
                done.add(finished);
                assertThat(device.startReads(List.of(new BlockDevice.Read((long) k * perRead, target)), failure -> {
                    // Callbacks run one after the other on the completion thread; the first one waits (briefly:
                    // a test) until every read was started, which a fast disk can otherwise outrun.
                    if (order.isEmpty()) {
                        try {
                            allStarted.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        waitingAtFirstCallback.set(device.largeReadsWaiting());
                    }
                    order.add(index);
                    finished.complete(failure);
                })).isTrue();
            }
            allStarted.countDown();
            // Small reads never wait for large ones.
            CompletableFuture<IOException> small =
                    start(device, List.of(new BlockDevice.Read(0, AlignedBuffers.allocate(4096))));
            assertThat(small.get(10, TimeUnit.SECONDS)).isNull();
            for (int k = 0; k < large; k++) {
                assertThat(done.get(k).get(10, TimeUnit.SECONDS)).isNull();
                for (int b = 0; b < perRead / 4096; b++) {
                    assertThat(targets.get(k).slice(b * 4096, 4096))
                            .isEqualTo(TestData.pattern(4096, k * perRead / 4096 + b));
                }
            }
            // A large read starts only once all but a budget's worth of the earlier ones finished.
            for (int position = 0; position < large; position++) {
                int read = order.get(position);
                long earlierFinished = order.subList(0, position).stream().filter(k -> k < read).count();
                assertThat(earlierFinished).as("large reads finished before read %d's callback (order %s)", read, order)
                        .isGreaterThanOrEqualTo(read - Math.max(1, budgetReads) + 1);
            }
            // When the first callback ran, one or two large reads had finished and as many more had started
            // (a large read started after the first finished went at once).
            assertThat(waitingAtFirstCallback.get()).isBetween(large - 2 * (int) Math.max(1, budgetReads),
                    large - (int) Math.max(1, budgetReads) - 1);
            assertThat(device.largeReadsWaiting()).isZero();
        }
    }

    @Test
    void aFailedReaperFailsTheReadsItHeldAndLaterReadsGoTheBlockingWay() throws Exception {
        try (DirectFileDevice device = patterned(1)) {
            ByteBuffer first = AlignedBuffers.allocate(4096);
            assertThat(start(device, List.of(new BlockDevice.Read(0, first))).get(10, TimeUnit.SECONDS)).isNull();
            device.injectReadReaperFailure(new AssertionError("injected reaper failure"));
            // Its completion reaches the reaper, which then fails: the read fails instead of never finishing.
            IOException failed = start(device, List.of(new BlockDevice.Read(4096, AlignedBuffers.allocate(4096)),
                    new BlockDevice.Read(8192, AlignedBuffers.allocate(4096)))).get(10, TimeUnit.SECONDS);
            assertThat(failed).hasMessageContaining("asynchronous reads stopped")
                    .hasMessageContaining("injected reaper failure");
            assertThat(device.readsInFlight()).isZero();
            assertThat(device.startReads(List.of(new BlockDevice.Read(0, AlignedBuffers.allocate(4096))), f -> { }))
                    .as("declined: the caller reads the blocking way").isFalse();
            ByteBuffer again = AlignedBuffers.allocate(4096);
            device.read(4096, again);
            assertThat(again.flip()).isEqualTo(TestData.pattern(4096, 1));
        }
        // close() returned: nothing was left counted as in flight.
    }

    @Test
    void closeWaitsForLargeReadsStillWaitingForTheBudget() throws Exception {
        DirectFileDevice device = patterned(8);
        CountDownLatch finished = new CountDownLatch(8);
        for (int k = 0; k < 8; k++) {
            assertThat(device.startReads(List.of(new BlockDevice.Read((long) k * MIB, AlignedBuffers.allocate(MIB))),
                    failure -> finished.countDown())).isTrue();
        }
        device.close();
        assertThat(finished.getCount()).as("large reads unfinished after close").isZero();
    }

    @Test
    void closeWaitsForReadsInFlightAndLaterOnesAreRefused() throws Exception {
        DirectFileDevice device = patterned(4);
        CountDownLatch finished = new CountDownLatch(64);
        for (int k = 0; k < 64; k++) {
            device.startReads(List.of(new BlockDevice.Read((long) k * 4096 * 16, AlignedBuffers.allocate(64 * 1024))),
                    failure -> finished.countDown());
        }
        device.close();
        assertThat(finished.getCount()).as("reads still in flight after close").isZero();
        assertThatThrownBy(() -> device.startReads(List.of(new BlockDevice.Read(0, AlignedBuffers.allocate(4096))),
                f -> { })).isInstanceOf(ClosedChannelException.class);
    }
}
