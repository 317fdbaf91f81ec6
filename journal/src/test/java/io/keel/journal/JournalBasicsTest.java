package io.keel.journal;

import static io.keel.journal.TestJournals.ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.keel.journal.TestJournals.Replayed;
import io.keel.runtime.time.ManualClock;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Appending, durability, replay across reopen, validation, stats and metrics. */
class JournalBasicsTest {

    private static ByteBuffer text(final String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void freshJournalStartsAtSequenceOneAndReplaysNothing() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        List<Replayed> replayed = new ArrayList<>();
        try (Journal journal = TestJournals.open(device, TestJournals.config(), replayed)) {
            assertThat(replayed).isEmpty();
            assertThat(journal.lastSequence()).isZero();
            assertThat(journal.durableSequence()).isZero();
            assertThat(journal.usedBytes()).isZero();
            assertThat(journal.capacity()).isEqualTo(64 * 1024 - 2 * 512);
            JournalAppend first = journal.append((short) 1, text("hello"));
            assertThat(first.sequence()).isEqualTo(1);
            first.awaitDurable();
            assertThat(first.isDurable()).isTrue();
            assertThat(journal.durableSequence()).isEqualTo(1);
        }
    }

    @Test
    void recordsReplayInOrderAfterReopenAndSequencesContinue() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            journal.append((short) 7, text("a"), text("b"));
            journal.append((short) 0x7FFF);
            journal.append((short) 3, text("c")).awaitDurable();
        }
        List<Replayed> replayed = new ArrayList<>();
        try (Journal journal = TestJournals.open(device, TestJournals.config(), replayed)) {
            assertThat(replayed).containsExactly(
                    new Replayed(1, (short) 7, "ab".getBytes(StandardCharsets.UTF_8)),
                    new Replayed(2, (short) 0x7FFF, new byte[0]),
                    new Replayed(3, (short) 3, "c".getBytes(StandardCharsets.UTF_8)));
            assertThat(journal.lastSequence()).isEqualTo(3);
            assertThat(journal.durableSequence()).isEqualTo(3);
            assertThat(journal.append((short) 1, text("d")).sequence()).isEqualTo(4);
        }
        assertThat(TestJournals.replay(device)).as("device calls %s", device.events())
                .extracting(Replayed::sequence).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void replayedBodiesAreReadOnlyAndPositionedAtTheBody() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            journal.append((short) 2, text("xyz")).awaitDurable();
        }
        List<JournalRecord> seen = new ArrayList<>();
        try (Journal journal = Journal.open(device, TestJournals.config(), ID, seen::add)) {
            assertThat(seen).hasSize(1);
        }
        // Only shape is checked after the call: the body view is valid only during it.
        assertThat(seen.get(0).body().isReadOnly()).isTrue();
        assertThat(seen.get(0).body().position()).isZero();
        assertThat(seen.get(0).body().remaining()).isEqualTo(3);
    }

    @Test
    void appendCopiesItsPartsAndLeavesTheirPositions() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        ByteBuffer part = text("before");
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            JournalAppend append = journal.append((short) 1, part);
            part.clear().put("AFTER!".getBytes(StandardCharsets.UTF_8)).flip();
            append.awaitDurable();
        }
        assertThat(new String(TestJournals.replay(device).get(0).body(), StandardCharsets.UTF_8)).isEqualTo("before");
    }

    @Test
    void typesOutsideTheUserRangeAreRefused() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            assertThatThrownBy(() -> journal.append((short) 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1..0x7FFF");
            assertThatThrownBy(() -> journal.append((short) 0x8000)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> journal.append((short) -1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(journal.lastSequence()).isZero();
        }
    }

    @Test
    void recordsLargerThanAQuarterOfTheCapacityAreRefused() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024 + 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            int largest = 16 * 1024 - RecordFormat.HEADER_SIZE;
            journal.append((short) 1, ByteBuffer.allocate(largest)).awaitDurable();
            assertThatThrownBy(() -> journal.append((short) 1, ByteBuffer.allocate(largest + 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 16384 bytes");
        }
    }

    @Test
    void aRecordLargerThanTheBatchCapGetsABatchOfItsOwn() throws Exception {
        CrashingDevice device = TestJournals.formatted(256 * 1024, 512);
        byte[] big = new byte[10_000];
        new java.util.Random(1).nextBytes(big);
        try (Journal journal = TestJournals.open(device, TestJournals.config(1024), new ArrayList<>())) {
            journal.append((short) 1, ByteBuffer.wrap(big)).awaitDurable();
            journal.append((short) 1, text("small")).awaitDurable();
            assertThat(journal.stats().batches()).isEqualTo(2);
        }
        List<Replayed> replayed = TestJournals.replay(device);
        assertThat(replayed.get(0).body()).isEqualTo(big);
        assertThat(replayed).hasSize(2);
    }

    @Test
    void configurationsOutsideTheirRangesAreRefused() {
        assertThatThrownBy(() -> TestJournals.config(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TestJournals.config(JournalConfig.MAX_BATCH_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JournalConfig.defaults("no spaces")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JournalConfig.defaults("w").withBatching(1, java.time.Duration.ofNanos(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void appendWithBarrierNeedsABarrier() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            assertThatThrownBy(() -> journal.appendWithBarrier((short) 1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void listenersAndCallbacksSeeDurability() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        List<Long> durable = new CopyOnWriteArrayList<>();
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch listened = new CountDownLatch(1);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            journal.addDurabilityListener(sequence -> {
                durable.add(sequence);
                listened.countDown();
            });
            JournalAppend append = journal.append((short) 1, text("x"));
            append.whenDurable(() -> {
                assertThat(append.isDurable()).isTrue();
                called.countDown();
            });
            assertThat(called.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(listened.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(durable).containsExactly(1L);
            boolean[] ranInline = new boolean[1];
            append.whenDurable(() -> ranInline[0] = true);
            assertThat(ranInline[0]).isTrue();
        }
    }

    @Test
    void closeCompletesPendingAppendsAndRefusesLaterOnes() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>());
        List<JournalAppend> appends = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            appends.add(journal.append((short) 1, text("record " + i)));
        }
        journal.close();
        for (JournalAppend append : appends) {
            assertThat(append.isDurable()).isTrue();
        }
        assertThatThrownBy(() -> journal.append((short) 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> journal.trim(50)).isInstanceOf(IllegalStateException.class);
        journal.close();
        assertThat(TestJournals.replay(device)).hasSize(50);
    }

    @Test
    void statsAndMetricsCountAppendsBatchesAndFlushes() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        MetricRegistry registry = new MetricRegistry();
        JournalConfig config = JournalConfig.defaults("w3").withMetrics(registry);
        try (Journal journal = Journal.open(device, config, ID, record -> { })) {
            journal.append((short) 1, text("abc")).awaitDurable();
            journal.append((short) 1, text("defg")).awaitDurable();
            JournalStats stats = journal.stats();
            assertThat(stats.appends()).isEqualTo(2);
            assertThat(stats.appendedBytes()).isEqualTo(2 * RecordFormat.HEADER_SIZE + 7);
            assertThat(stats.batches()).isEqualTo(2);
            assertThat(stats.flushes()).isEqualTo(2);
            assertThat(stats.lastBatchRecords()).isEqualTo(1);
            assertThat(stats.lastBatchBytes()).isEqualTo(512);
            assertThat(registry.meter("keel.journal.w3.appends").getCount()).isEqualTo(2);
            assertThat(registry.counter("keel.journal.w3.bytes").getCount())
                    .isEqualTo(2 * RecordFormat.HEADER_SIZE + 7);
            assertThat(registry.histogram("keel.journal.w3.batch_records").getCount()).isEqualTo(2);
            assertThat(registry.histogram("keel.journal.w3.batch_bytes").getSnapshot().getMax()).isEqualTo(512);
            assertThat(registry.timer("keel.journal.w3.flush_latency").getCount()).isEqualTo(2);
            assertThat(registry.getGauges().get("keel.journal.w3.used_bytes").getValue()).isEqualTo(1024L);
        }
        assertThat(registry.getGauges()).doesNotContainKey("keel.journal.w3.used_bytes");
    }

    @Test
    void batchWaitTimesFromTheFirstAppendUntilTheCommitStarts() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        MetricRegistry registry = new MetricRegistry();
        ManualClock clock = new ManualClock();
        JournalConfig defaults = JournalConfig.defaults("w4");
        JournalConfig config = new JournalConfig("w4", defaults.maxBatchBytes(), defaults.maxBatchDelay(), null, clock,
                registry);
        try (Journal journal = Journal.open(device, config, ID, record -> { })) {
            JournalAppend first = journal.append((short) 1, text("abc"));
            clock.advance(Duration.ofMillis(3));
            JournalAppend second = journal.append((short) 1, text("def"));
            clock.advance(Duration.ofMillis(2));
            second.awaitDurable(); // this thread leads the commit of both, 5 ms after the first append
            assertThat(first.isDurable()).isTrue();
            Timer wait = registry.timer("keel.journal.w4.batch_wait");
            assertThat(wait.getCount()).isEqualTo(1);
            assertThat(wait.getSnapshot().getMax()).isEqualTo(Duration.ofMillis(5).toNanos());
        }
    }
}
