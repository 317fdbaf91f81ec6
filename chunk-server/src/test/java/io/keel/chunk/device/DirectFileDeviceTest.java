package io.keel.chunk.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keel.journal.JournalDevice;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectFileDeviceTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void createdFileHasTheRequestedSizeAndRoundTripsData() throws IOException {
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, 8 * MIB)) {
            assertThat(device.size()).isEqualTo(8L * MIB);
            assertThat(device.alignment()).isEqualTo(4096);
            assertThat(device.path()).isEqualTo(file);
            ByteBuffer written = TestData.pattern(64 * 1024, 7);
            device.write(3 * MIB, written);
            assertThat(written.hasRemaining()).isFalse();
            device.flush();
            ByteBuffer read = AlignedBuffers.allocate(64 * 1024);
            device.read(3 * MIB, read);
            assertThat(read.flip()).isEqualTo(written.flip());
            ByteBuffer hole = AlignedBuffers.allocate(4096);
            device.read(0, hole);
            assertThat(hole.flip()).isEqualTo(ByteBuffer.allocate(4096));
        }
        assertThat(Files.size(file)).isEqualTo(8L * MIB);
        try (DirectFileDevice again = DirectFileDevice.open(file)) {
            ByteBuffer read = AlignedBuffers.allocate(64 * 1024);
            again.read(3 * MIB, read);
            assertThat(read.flip()).isEqualTo(TestData.pattern(64 * 1024, 7));
        }
    }

    @Test
    void createRefusesAnExistingFileAndBadSizes() throws IOException {
        Path file = dir.resolve("taken");
        Files.writeString(file, "precious");
        assertThatThrownBy(() -> DirectFileDevice.create(file, MIB))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(file.toString());
        assertThat(Files.readString(file)).isEqualTo("precious");
        assertThatThrownBy(() -> DirectFileDevice.create(dir.resolve("odd"), MIB + 512))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 4096");
        assertThat(dir.resolve("odd")).doesNotExist();
    }

    @Test
    void openRoundsAnUnalignedFileSizeDown() throws IOException {
        Path file = dir.resolve("odd-size");
        Files.write(file, new byte[3 * 4096 + 100]);
        try (DirectFileDevice device = DirectFileDevice.open(file)) {
            assertThat(device.size()).isEqualTo(3 * 4096);
        }
    }

    @Test
    void openNamesAMissingPath() {
        Path missing = dir.resolve("nothing-here");
        assertThatThrownBy(() -> DirectFileDevice.open(missing))
                .isInstanceOf(IOException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void aPathThatCannotBeOpenedAtAllIsNotBlamedOnDirectIo() {
        assertThatThrownBy(() -> DirectFileDevice.open(dir))
                .isInstanceOf(IOException.class).hasMessageContaining(dir.toString())
                .hasMessageNotContaining("O_DIRECT");
    }

    @Test
    void refusedDirectIoIsReportedWithThePath() throws IOException {
        // procfs files cannot be opened with O_DIRECT (EINVAL), like file systems without direct I/O.
        Path proc = Path.of("/proc/self/comm"); // writable by its own process, like a device would be
        assumeTrue(Files.exists(proc), "no /proc on this machine");
        try {
            DirectFileDevice.open(proc).close();
            assumeTrue(false, "this kernel opened " + proc + " with O_DIRECT, so there is nothing to refuse");
        } catch (IOException e) {
            assertThat(e).hasMessageContaining(proc.toString()).hasMessageContaining("O_DIRECT");
        }
    }

    @Test
    void misalignedArgumentsAreRefusedWithClearMessages() throws IOException {
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, MIB)) {
            ByteBuffer ok = AlignedBuffers.allocate(8192);
            assertThatThrownBy(() -> device.read(0, ByteBuffer.allocate(4096)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("direct buffer")
                    .hasMessageContaining(file.toString());
            assertThatThrownBy(() -> device.write(512, ok.duplicate()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position 512");
            assertThatThrownBy(() -> device.read(-4096, ok.duplicate()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position -4096");
            assertThatThrownBy(() -> device.write(0, ok.duplicate().limit(1000)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length 1000");
            assertThatThrownBy(() -> device.read(0, ok.duplicate().position(512).limit(4096 + 512)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("buffer address");
            assertThatThrownBy(() -> device.write(MIB - 4096, ok.duplicate()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the end");
            assertThatThrownBy(() -> device.read(Long.MAX_VALUE - 4095, ok.duplicate()))
                    .isInstanceOf(IllegalArgumentException.class);
            // An aligned buffer used from an aligned, non-zero position is fine.
            device.write(MIB - 4096, ok.duplicate().position(4096));
        }
    }

    @Test
    void aShortReadAtTheEndOfTheFileIsAnEofNamingPathAndOffset() throws IOException {
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, MIB)) {
            // Someone shrinks the file under the open device: the tail ends mid-sector.
            try (FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE)) {
                other.truncate(8192 + 100);
            }
            ByteBuffer target = AlignedBuffers.allocate(16384);
            assertThatThrownBy(() -> device.read(4096, target))
                    .isInstanceOf(EOFException.class).hasMessageContaining(file.toString())
                    .hasMessageContaining("offset 8292").hasMessageContaining("from offset 4096");
            try (FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE)) {
                other.truncate(8192);
            }
            assertThatThrownBy(() -> device.read(65536, AlignedBuffers.allocate(4096)))
                    .isInstanceOf(EOFException.class).hasMessageContaining("offset 65536");
        }
    }

    @Test
    void regionsAreBoundsCheckedViews() throws IOException {
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, 4 * MIB)) {
            JournalDevice region = device.region(MIB, 2 * MIB);
            assertThat(region.size()).isEqualTo(2L * MIB);
            assertThat(region.alignment()).isEqualTo(4096);
            region.write(4096, TestData.pattern(8192, 3));
            region.flush();
            ByteBuffer direct = AlignedBuffers.allocate(8192);
            device.read(MIB + 4096, direct);
            assertThat(direct.flip()).isEqualTo(TestData.pattern(8192, 3));
            ByteBuffer back = AlignedBuffers.allocate(8192);
            region.read(4096, back);
            assertThat(back.flip()).isEqualTo(TestData.pattern(8192, 3));

            region.writeDurably(3 * 4096, TestData.pattern(4096, 5));
            ByteBuffer durable = AlignedBuffers.allocate(4096);
            device.read(MIB + 3 * 4096, durable);
            assertThat(durable.flip()).isEqualTo(TestData.pattern(4096, 5));

            assertThatThrownBy(() -> region.write(2 * MIB - 4096, AlignedBuffers.allocate(8192)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the end");
            assertThatThrownBy(() -> region.writeDurably(2 * MIB, AlignedBuffers.allocate(4096)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the end");
            assertThatThrownBy(() -> region.read(-4096, AlignedBuffers.allocate(4096)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> region.read(100, AlignedBuffers.allocate(4096)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position");
            assertThatThrownBy(() -> device.region(3 * MIB, 2 * MIB))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(file.toString());
            assertThatThrownBy(() -> device.region(100, 4096)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> device.region(0, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void durableWritesGoThroughADescriptorOpenedWithDsyncAndDirect() throws IOException {
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, 4 * MIB)) {
            device.writeDurably(8192, TestData.pattern(8192, 9));
            ByteBuffer back = AlignedBuffers.allocate(8192);
            device.read(8192, back);
            assertThat(back.flip()).isEqualTo(TestData.pattern(8192, 9));
            // Linux open(2) flags, octal as /proc/self/fdinfo shows them.
            int dsync = 010000;
            int direct = 040000;
            List<Integer> flags = openFlags(file.toRealPath());
            assertThat(flags).anyMatch(f -> (f & direct) != 0 && (f & dsync) == 0);
            assertThat(flags).anyMatch(f -> (f & direct) != 0 && (f & dsync) != 0);
        }
        assertThat(openFlags(file.toRealPath())).isEmpty();
    }

    /** The open flags of every descriptor of this process that names {@code file}. */
    private static List<Integer> openFlags(final Path file) throws IOException {
        List<Integer> flags = new java.util.ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (IOException gone) {
                    continue;
                }
                if (!target.equals(file)) {
                    continue;
                }
                for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))) {
                    if (line.startsWith("flags:")) {
                        flags.add(Integer.parseInt(line.substring(6).trim(), 8));
                    }
                }
            }
        }
        return flags;
    }

    @Test
    void manyThreadsDoPositionalIoConcurrently() throws Exception {
        long seed = new Random().nextLong();
        System.out.println("manyThreadsDoPositionalIoConcurrently seed=" + seed);
        int threads = 16;
        int slotsPerThread = 32;
        int slot = 16 * 1024;
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, (long) threads * slotsPerThread * slot);
                ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    Random random = new Random(seed + thread);
                    long[] version = new long[slotsPerThread];
                    ByteBuffer buffer = AlignedBuffers.allocate(slot);
                    start.await();
                    for (int i = 0; i < 400; i++) {
                        int s = random.nextInt(slotsPerThread);
                        long position = ((long) thread * slotsPerThread + s) * slot;
                        if (random.nextBoolean()) {
                            version[s] = i + 1;
                            buffer.clear();
                            TestData.fill(buffer, key(thread, s, version[s]));
                            device.write(position, buffer);
                        } else {
                            buffer.clear();
                            device.read(position, buffer);
                            ByteBuffer expected = version[s] == 0
                                    ? ByteBuffer.allocate(slot) : TestData.pattern(slot, key(thread, s, version[s]));
                            assertThat(buffer.flip()).as("thread %d slot %d", thread, s).isEqualTo(expected);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> result : results) {
                result.get();
            }
        }
    }

    private static long key(int thread, int slot, long version) {
        return ((long) thread << 40) ^ ((long) slot << 20) ^ version;
    }

    @Test
    void anInterruptedCallerFailsAloneAndTheDeviceKeepsWorking() throws Exception {
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, 4 * MIB)) {
            device.write(0, TestData.pattern(4096, 1));
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> device.read(0, AlignedBuffers.allocate(4096)))
                        .isInstanceOf(InterruptedIOException.class).hasMessageContaining(file.toString());
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            ByteBuffer read = AlignedBuffers.allocate(4096);
            device.read(0, read);
            assertThat(read.flip()).isEqualTo(TestData.pattern(4096, 1));

            // Interrupts that land while I/O is in flight close the JDK channel under the other
            // threads; they must retry on a reopened channel and never see an error.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong victimInterrupts = new AtomicLong();
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int thread = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    ByteBuffer buffer = AlignedBuffers.allocate(65536);
                    try {
                        while (!stop.get()) {
                            buffer.clear();
                            device.write((long) thread * MIB, TestData.pattern(65536, thread));
                            device.read((long) thread * MIB, buffer);
                            assertThat(buffer.flip()).isEqualTo(TestData.pattern(65536, thread));
                        }
                    } catch (IOException | RuntimeException | AssertionError e) {
                        failures.add(e);
                    }
                }));
            }
            Thread victim = Thread.ofPlatform().start(() -> {
                ByteBuffer buffer = AlignedBuffers.allocate(65536);
                while (!stop.get()) {
                    try {
                        buffer.clear();
                        device.read(3 * MIB, buffer);
                    } catch (InterruptedIOException e) {
                        victimInterrupts.incrementAndGet();
                        Thread.interrupted();
                    } catch (IOException e) {
                        failures.add(e);
                    }
                }
            });
            // Interrupt until some interrupts have hit a read in flight (the channel had to be
            // reopened), with a cap so a broken device cannot hang the test.
            for (int i = 0; i < 1_000_000 && (device.reopens() < 20 || victimInterrupts.get() < 20); i++) {
                victim.interrupt();
                Thread.yield();
            }
            stop.set(true);
            victim.join();
            for (Thread worker : workers) {
                worker.join();
            }
            assertThat(failures).isEmpty();
            assertThat(victimInterrupts.get()).isGreaterThanOrEqualTo(20);
            assertThat(device.reopens()).as("interrupts that closed the channel mid-read").isGreaterThanOrEqualTo(20);
            device.read(0, read.clear());
            assertThat(read.flip()).isEqualTo(TestData.pattern(4096, 0));
        }
    }

    @Test
    void closingWhileIoIsInFlightEndsTheIoWithAnIoException() throws Exception {
        Path file = dir.resolve("dev");
        DirectFileDevice device = DirectFileDevice.create(file, 16 * MIB);
        CountDownLatch running = new CountDownLatch(8);
        List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong closedErrors = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            threads.add(Thread.ofPlatform().start(() -> {
                ByteBuffer buffer = AlignedBuffers.allocate(MIB);
                running.countDown();
                try {
                    for (long i = 0; ; i++) {
                        buffer.clear();
                        long position = (long) thread * 2 * MIB;
                        if (i % 2 == 0) {
                            device.write(position, buffer);
                        } else {
                            device.read(position, buffer);
                        }
                        if (i % 16 == 0) {
                            device.flush();
                        }
                    }
                } catch (ClosedChannelException e) {
                    closedErrors.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    unexpected.add(e);
                }
            }));
        }
        running.await();
        device.close();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(unexpected).isEmpty();
        assertThat(closedErrors.get()).isEqualTo(8);
        assertThatThrownBy(() -> device.read(0, AlignedBuffers.allocate(4096)))
                .isInstanceOf(ClosedChannelException.class);
        device.close();
    }

    @Test
    void directIoLeavesNothingInThePageCacheWhileBufferedIoDoes() throws Exception {
        int bytes = 32 * MIB;
        Path file = dir.resolve("dev");
        try (DirectFileDevice device = DirectFileDevice.create(file, bytes)) {
            ByteBuffer buffer = AlignedBuffers.allocate(MIB);
            for (int i = 0; i < bytes / MIB; i++) {
                buffer.clear();
                TestData.fill(buffer, i);
                device.write((long) i * MIB, buffer);
            }
            device.flush();
            for (int i = 0; i < bytes / MIB; i++) {
                device.read((long) i * MIB, buffer.clear());
            }
            assertThat(PageCache.residentBytes(file, 0, bytes)).as("resident after direct I/O").isLessThan(MIB);
        }
        // Control: the same check sees a buffered read, so a broken check cannot pass the test above.
        try (FileChannel buffered = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer heap = ByteBuffer.allocate(MIB);
            while (buffered.read(heap.clear()) > 0) {
                heap.clear();
            }
        }
        assertThat(PageCache.residentBytes(file, 0, bytes)).as("resident after buffered read")
                .isGreaterThan(bytes - MIB);
    }
}
