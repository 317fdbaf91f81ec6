package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.runtime.context.Batching;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Batching of concurrent appenders into one write and one flush, and the data barrier's place. */
class GroupCommitTest {

    @Test
    void appendersWaitingOnAFlushShareTheNextOne() throws Exception {
        CrashingDevice device = TestJournals.formatted(256 * 1024, 512);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        int appenders = 8;
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            int flushesAtOpen = device.flushesCompleted();
            device.gateFlushes(gate, entered);
            JournalAppend first = journal.append((short) 1, ByteBuffer.allocate(10));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

            CountDownLatch appended = new CountDownLatch(appenders);
            AtomicInteger returnedEarly = new AtomicInteger();
            List<Integer> flushesSeen = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < appenders; i++) {
                threads.add(Thread.ofPlatform().start(() -> TestJournals.unchecked(() -> {
                    JournalAppend append = journal.append((short) 2, ByteBuffer.allocate(100));
                    appended.countDown();
                    append.awaitDurable();
                    if (gate.getCount() > 0) {
                        returnedEarly.incrementAndGet();
                    }
                    flushesSeen.add(device.flushesCompleted() - flushesAtOpen);
                })));
            }
            assertThat(appended.await(10, TimeUnit.SECONDS)).isTrue();
            // Give any wrongly early acknowledgement the chance to happen while the flush hangs.
            Thread.sleep(50);
            assertThat(returnedEarly.get()).isZero();
            assertThat(first.isDurable()).isFalse();
            assertThat(journal.durableSequence()).isZero();

            gate.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(returnedEarly.get()).isZero();
            // Each waiter returned only after the flush covering its record (the second one) returned.
            assertThat(flushesSeen).hasSize(appenders).allSatisfy(seen -> assertThat(seen).isGreaterThanOrEqualTo(2));
            JournalStats stats = journal.stats();
            assertThat(stats.flushes()).isEqualTo(2);
            assertThat(stats.batches()).isEqualTo(2);
            assertThat(stats.lastBatchRecords()).isEqualTo(appenders);
            assertThat(journal.durableSequence()).isEqualTo(1 + appenders);
        }
    }

    @Test
    void recordsNobodyWaitsForAreCommittedOnRequestInOneBatchAfterTheCommitInFlight() throws Exception {
        CrashingDevice device = TestJournals.formatted(256 * 1024, 512);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        int records = 5;
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            device.gateFlushes(gate, entered);
            JournalAppend first = journal.append((short) 1, ByteBuffer.allocate(10));
            journal.requestCommit();
            assertThat(entered.await(10, TimeUnit.SECONDS)).as("the committer writes it").isTrue();

            CountDownLatch actions = new CountDownLatch(records);
            List<String> seen = new CopyOnWriteArrayList<>();
            for (int i = 0; i < records; i++) {
                JournalAppend append = journal.append((short) 2, ByteBuffer.allocate(100));
                append.whenDurable(() -> {
                    seen.add(append.isDurable() + " " + first.isDurable() + " " + Batching.mayBlock());
                    actions.countDown();
                });
                journal.requestCommit();
            }
            assertThat(seen).as("nothing is durable while the first flush hangs").isEmpty();
            assertThat(first.isDurable()).isFalse();

            gate.countDown();
            assertThat(actions.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(seen).as("durable, after the record before them, on a thread that must not block")
                    .containsOnly("true true false").hasSize(records);
            JournalStats stats = journal.stats();
            assertThat(stats.batches()).as("the requests made while a commit was in flight share one batch")
                    .isEqualTo(2);
            assertThat(stats.lastBatchRecords()).isEqualTo(records);
            journal.requestCommit(); // nothing pending: nothing happens
            assertThat(journal.stats().batches()).isEqualTo(2);
        }
    }

    @Test
    void severalThreadsCanWaitForTheSameRecord() throws Exception {
        CrashingDevice device = TestJournals.formatted(256 * 1024, 512);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            device.gateFlushes(gate, entered);
            JournalAppend shared = journal.append((short) 1, ByteBuffer.allocate(10));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            List<Thread> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiters.add(Thread.ofVirtual().start(() -> TestJournals.unchecked(shared::awaitDurable)));
            }
            Thread.sleep(50); // let all three park
            gate.countDown();
            for (Thread waiter : waiters) {
                assertThat(waiter.join(java.time.Duration.ofSeconds(10))).as("every waiter is woken").isTrue();
            }
            assertThat(shared.isDurable()).isTrue();
        }
    }

    @Test
    void theDataBarrierIsFlushedBeforeTheBatchHoldingABarrierRecordIsWritten() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        JournalConfig config = TestJournals.config().withDataBarrier(() -> device.recordEvent("barrier"));
        try (Journal journal = TestJournals.open(device, config, new ArrayList<>())) {
            device.clearEvents();
            journal.append((short) 1, ByteBuffer.allocate(10)).awaitDurable();
            assertThat(device.events()).containsExactly("write 1024 512", "flush");
            device.clearEvents();
            journal.appendWithBarrier((short) 1, ByteBuffer.allocate(10)).awaitDurable();
            assertThat(device.events()).containsExactly("barrier", "write 1536 512", "flush");
            assertThat(journal.stats().barrierFlushes()).isEqualTo(1);
        }
    }

    @Test
    void aFailingDataBarrierFailsTheJournalBeforeAnythingIsWritten() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        JournalConfig config = TestJournals.config().withDataBarrier(() -> {
            throw new IOException("data device flush failed");
        });
        try (Journal journal = TestJournals.open(device, config, new ArrayList<>())) {
            device.clearEvents();
            JournalAppend append = journal.appendWithBarrier((short) 1, ByteBuffer.allocate(10));
            assertThatThrownBy(append::awaitDurable).isInstanceOf(JournalFailedException.class)
                    .hasRootCauseMessage("data device flush failed");
            assertThat(device.events()).isEmpty();
        }
    }

    @Test
    void aBatchDelayHoldsTheBatchOpenUntilItIsFull() throws Exception {
        CrashingDevice device = TestJournals.formatted(8 << 20, 512);
        JournalConfig config = TestJournals.config().withBatching(64 * 1024, java.time.Duration.ofSeconds(30));
        try (Journal journal = TestJournals.open(device, config, new ArrayList<>())) {
            List<JournalAppend> small = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                small.add(journal.append((short) 1, ByteBuffer.allocate(10)));
            }
            journal.append((short) 1, ByteBuffer.allocate(40_000));
            // This one does not fit under the cap: it closes the first batch, which ends the wait.
            JournalAppend overflow = journal.append((short) 1, ByteBuffer.allocate(40_000));
            overflow.awaitDurable();
            assertThat(small).allSatisfy(append -> assertThat(append.isDurable()).isTrue());
            JournalStats stats = journal.stats();
            assertThat(stats.flushes()).isEqualTo(1);
            assertThat(stats.batches()).isEqualTo(2);
            assertThat(stats.lastBatchRecords()).isEqualTo(1);
        }
    }

    @Test
    void aLoneWaiterCommitsItsRecordOnItsOwnThread() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        List<Thread> committedBy = new CopyOnWriteArrayList<>();
        JournalConfig config = TestJournals.config().withDataBarrier(() -> committedBy.add(Thread.currentThread()));
        try (Journal journal = TestJournals.open(device, config, new ArrayList<>())) {
            for (int i = 0; i < 20; i++) {
                journal.appendWithBarrier((short) 1, ByteBuffer.allocate(10)).awaitDurable();
            }
            // No hand-off to the committer thread: the waiter wrote and flushed the batch itself.
            assertThat(committedBy).hasSize(20).containsOnly(Thread.currentThread());
            assertThat(journal.stats().flushes()).isEqualTo(20);
        }
    }

    @Test
    void aLoneCommitIsOneDurableWriteWithoutASeparateFlush() throws Exception {
        CrashingDevice memory = TestJournals.formatted(256 * 1024, 512);
        AtomicInteger durableWrites = new AtomicInteger();
        AtomicInteger plainWrites = new AtomicInteger();
        AtomicInteger flushes = new AtomicInteger();
        JournalDevice counting = new JournalDevice() {
            @Override
            public int alignment() {
                return memory.alignment();
            }

            @Override
            public long size() {
                return memory.size();
            }

            @Override
            public void write(final long position, final ByteBuffer source) throws IOException {
                plainWrites.incrementAndGet();
                memory.write(position, source);
            }

            @Override
            public void read(final long position, final ByteBuffer target) throws IOException {
                memory.read(position, target);
            }

            @Override
            public void flush() throws IOException {
                flushes.incrementAndGet();
                memory.flush();
            }

            @Override
            public void writeDurably(final long position, final ByteBuffer source) throws IOException {
                durableWrites.incrementAndGet();
                memory.writeDurably(position, source);
            }
        };
        try (Journal journal = TestJournals.open(counting, TestJournals.config(), new ArrayList<>())) {
            int writesAtOpen = plainWrites.get();
            int flushesAtOpen = flushes.get();
            for (int i = 0; i < 3; i++) {
                journal.append((short) 1, ByteBuffer.allocate(100)).awaitDurable();
            }
            assertThat(durableWrites.get()).isEqualTo(3);
            assertThat(plainWrites.get()).isEqualTo(writesAtOpen);
            assertThat(flushes.get()).isEqualTo(flushesAtOpen);
        }
        // Durable on the device: a power cut now loses none of them.
        byte[] image = memory.crash(new java.util.Random(1));
        assertThat(TestJournals.replay(new CrashingDevice(image, 512))).hasSize(3);
    }
}
