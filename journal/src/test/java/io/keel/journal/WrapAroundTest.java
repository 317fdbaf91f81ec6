package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.journal.TestJournals.Replayed;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Many laps around the circular region with trims and reopens; the journal filling up. */
class WrapAroundTest {

    @Test
    void manyLapsWithTrimsAndReopensReplayExactlyWhatWasNotTrimmed() {
        TestJournals.forEachSeed(10, random -> TestJournals.unchecked(() -> runLaps(random)));
    }

    private static void runLaps(final Random random) throws Exception {
        int alignment = random.nextBoolean() ? 512 : 4096;
        CrashingDevice device = TestJournals.formatted(alignment * (20L + random.nextInt(20)), alignment);
        JournalConfig config = TestJournals.config(alignment * (1 + random.nextInt(4)));
        Deque<Replayed> live = new ArrayDeque<>();
        List<Replayed> replayed = new ArrayList<>();
        Journal journal = TestJournals.open(device, config, replayed);
        long capacity = journal.capacity();
        long appendedBytes = 0;
        while (appendedBytes < 30 * capacity) {
            byte[] body = TestJournals.bytes(random, random.nextInt(8) == 0
                    ? random.nextInt((int) (capacity / 4) - RecordFormat.HEADER_SIZE + 1) : random.nextInt(200));
            JournalAppend append;
            try {
                append = journal.append((short) 3, TestJournals.parts(body, random));
            } catch (JournalFullException full) {
                long upTo = journal.lastSequence() - random.nextInt(3);
                journal.trim(Math.max(0, upTo));
                while (!live.isEmpty() && live.peekFirst().sequence() <= upTo) {
                    live.pollFirst();
                }
                continue;
            }
            appendedBytes += body.length + RecordFormat.HEADER_SIZE;
            live.add(new Replayed(append.sequence(), (short) 3, body));
            if (random.nextInt(4) == 0) {
                append.awaitDurable();
            }
            assertThat(journal.usedBytes() + journal.freeBytes()).isEqualTo(capacity);
            if (random.nextInt(40) == 0) {
                journal.close();
                replayed.clear();
                journal = TestJournals.open(device, config, replayed);
                assertThat(replayed).isEqualTo(new ArrayList<>(live));
            }
        }
        journal.close();
        assertThat(TestJournals.replay(device)).isEqualTo(new ArrayList<>(live));
    }

    @Test
    void aFullJournalRefusesAppendsUntilTrimmed() throws Exception {
        CrashingDevice device = TestJournals.formatted(16 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            long last = 0;
            while (true) {
                try {
                    last = journal.append((short) 1, ByteBuffer.allocate(400)).sequence();
                } catch (JournalFullException full) {
                    assertThat(full).hasMessageContaining("full").hasMessageContaining("trim");
                    break;
                }
            }
            assertThat(journal.freeBytes()).isLessThan(512);
            assertThat(journal.lastSequence()).isEqualTo(last);
            journal.trim(last);
            assertThat(journal.usedBytes()).isZero();
            assertThat(journal.freeBytes()).isEqualTo(journal.capacity());
            journal.append((short) 1, ByteBuffer.allocate(400)).awaitDurable();
        }
        assertThat(TestJournals.replay(device)).extracting(Replayed::body).hasSize(1);
    }

    @Test
    void trimmingEverythingAndReopeningReplaysNothingAndContinuesTheSequence() throws Exception {
        CrashingDevice device = TestJournals.formatted(16 * 1024, 512);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            for (int i = 0; i < 10; i++) {
                journal.append((short) 1, ByteBuffer.allocate(100));
            }
            journal.trim(10);
            assertThatThrownBy(() -> journal.trim(11)).isInstanceOf(IllegalArgumentException.class);
        }
        List<Replayed> replayed = new ArrayList<>();
        try (Journal journal = TestJournals.open(device, TestJournals.config(), replayed)) {
            assertThat(replayed).isEmpty();
            assertThat(journal.lastSequence()).isEqualTo(10);
            assertThat(journal.append((short) 1).sequence()).isEqualTo(11);
        }
        assertThat(TestJournals.replay(device)).extracting(Replayed::sequence).containsExactly(11L);
    }
}
