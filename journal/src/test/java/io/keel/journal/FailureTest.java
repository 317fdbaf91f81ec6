package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.journal.TestJournals.Replayed;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** After an I/O error the journal is failed: pending and later appends fail, durable ones stay durable. */
class FailureTest {

    @Test
    void aFailedFlushFailsPendingAndLaterAppendsButNotDurableOnes() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            JournalAppend durable = journal.append((short) 1, ByteBuffer.allocate(10));
            durable.awaitDurable();

            device.failFlushesAfter(0);
            device.gateFlushes(gate, entered);
            JournalAppend inFlight = journal.append((short) 1, ByteBuffer.allocate(10));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            List<JournalAppend> queued = new ArrayList<>();
            CountDownLatch callbacks = new CountDownLatch(5);
            AtomicInteger sawDurable = new AtomicInteger();
            for (int i = 0; i < 5; i++) {
                JournalAppend append = journal.append((short) 1, ByteBuffer.allocate(10));
                append.whenDurable(() -> {
                    if (append.isDurable()) {
                        sawDurable.incrementAndGet();
                    }
                    callbacks.countDown();
                });
                queued.add(append);
            }
            gate.countDown();

            assertThatThrownBy(inFlight::awaitDurable).isInstanceOf(JournalFailedException.class)
                    .hasMessageContaining("failed").hasRootCauseMessage("injected flush error");
            for (JournalAppend append : queued) {
                assertThatThrownBy(append::awaitDurable).isInstanceOf(JournalFailedException.class);
                assertThat(append.isDurable()).isFalse();
            }
            assertThat(callbacks.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sawDurable.get()).isZero();
            assertThatThrownBy(() -> journal.append((short) 1)).isInstanceOf(JournalFailedException.class);
            assertThatThrownBy(() -> journal.trim(1)).isInstanceOf(JournalFailedException.class);
            assertThat(durable.isDurable()).isTrue();
            durable.awaitDurable();
            assertThat(journal.durableSequence()).isEqualTo(1);
        }
        // What reached the disk is still there for the next open.
        List<Replayed> replayed = TestJournals.replay(new CrashingDevice(device.persistedImage(), 512));
        assertThat(replayed).extracting(Replayed::sequence).startsWith(1L);
    }

    @Test
    void aFailedWriteFailsTheJournalAndNoLaterFlushAcknowledgesAnything() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            journal.append((short) 1, ByteBuffer.allocate(10)).awaitDurable();
            int flushes = device.flushesCompleted();
            device.failWritesAfter(0);
            JournalAppend failed = journal.append((short) 1, ByteBuffer.allocate(10));
            assertThatThrownBy(failed::awaitDurable).isInstanceOf(JournalFailedException.class)
                    .hasRootCauseMessage("injected write error at 1536");
            device.failWritesAfter(-1);
            assertThatThrownBy(() -> journal.append((short) 1)).isInstanceOf(JournalFailedException.class);
            assertThat(journal.durableSequence()).isEqualTo(1);
            assertThat(device.flushesCompleted()).isEqualTo(flushes);
        }
    }

    @Test
    void aFailedHeaderWriteDuringTrimFailsTheJournal() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            journal.append((short) 1, ByteBuffer.allocate(10)).awaitDurable();
            device.failWritesAfter(0);
            assertThatThrownBy(() -> journal.trim(1)).isInstanceOf(JournalFailedException.class);
            assertThatThrownBy(() -> journal.append((short) 1)).isInstanceOf(JournalFailedException.class);
        }
        assertThat(TestJournals.replay(new CrashingDevice(device.persistedImage(), 512))).hasSize(1);
    }
}
