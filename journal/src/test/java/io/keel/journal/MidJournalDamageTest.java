package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.journal.TestJournals.Replayed;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Damage in the middle of the journal, in a batch whose flush had returned before a later batch
 * was written, is refused with {@link JournalCorruptException} naming the position and the lost
 * sequences, and the device is left untouched. Damage in the last batch cannot be told from a
 * torn tail and still ends replay silently; records left over from earlier crashes never count as
 * proof of a loss.
 */
class MidJournalDamageTest {

    private static final int ALIGNMENT = 512;
    private static final int SIZE = 64 * 1024;
    private static final int BODY = 100;

    /** A closed journal's durable image, the records as written and where each starts. */
    private record Written(byte[] image, List<Replayed> records, long[] positions) {
    }

    /** {@code count} records, each in a batch of its own whose flush returned before the next append. */
    private static Written oneRecordPerBatch(final int count, final Random random) throws Exception {
        CrashingDevice device = TestJournals.formatted(SIZE, ALIGNMENT);
        List<Replayed> records = new ArrayList<>();
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            for (int i = 0; i < count; i++) {
                byte[] body = TestJournals.bytes(random, BODY);
                JournalAppend append = journal.append((short) 1, ByteBuffer.wrap(body));
                append.awaitDurable();
                records.add(new Replayed(append.sequence(), (short) 1, body));
            }
            assertThat(journal.stats().batches()).isEqualTo(count);
        }
        byte[] image = device.persistedImage();
        return new Written(image, records, TestJournals.recordPositions(image, ALIGNMENT, count));
    }

    private static byte[] flipped(final byte[] image, final long at, final int bit) {
        byte[] copy = image.clone();
        copy[(int) at] ^= (byte) (1 << bit);
        return copy;
    }

    private static JournalCorruptException refused(final byte[] image) {
        CrashingDevice device = new CrashingDevice(image, ALIGNMENT);
        JournalCorruptException[] thrown = new JournalCorruptException[1];
        assertThatThrownBy(() -> TestJournals.replay(device)).isInstanceOfSatisfying(JournalCorruptException.class,
                e -> thrown[0] = e);
        assertThat(device.persistedImage()).as("a refused open writes nothing").isEqualTo(image);
        return thrown[0];
    }

    @Test
    void damageToAnyByteOfARecordInAnEarlierBatchIsRefused() throws Exception {
        int count = 6;
        Written written = oneRecordPerBatch(count, new Random(1));
        for (int damaged = 0; damaged < count - 1; damaged++) {
            long position = written.positions()[damaged];
            long sequence = damaged + 1;
            List<Integer> offsets = new ArrayList<>();
            for (int offset = 0; offset < RecordFormat.HEADER_SIZE; offset++) {
                offsets.add(offset);
            }
            offsets.addAll(List.of(RecordFormat.HEADER_SIZE, RecordFormat.HEADER_SIZE + BODY / 2,
                    RecordFormat.HEADER_SIZE + BODY - 1));
            for (int offset : offsets) {
                String what = "record " + sequence + " at " + position + ", byte " + offset;
                JournalCorruptException e = refused(flipped(written.image(), position + offset, offset % 8));
                assertThat(e.firstLostSequence()).as(what).isEqualTo(sequence);
                assertThat(e.lastDurableSequence()).as(what).isEqualTo(count - 1);
                assertThat(e.evidenceSequence()).as(what).isEqualTo(count);
                assertThat(e.evidencePosition()).as(what).isEqualTo(written.positions()[count - 1]);
                if (offset >= 4) {
                    assertThat(e.position()).as(what).isEqualTo(position);
                } else {
                    // With its magic gone, the record is not recognisable as one; replay names
                    // where the previous record ended (or the record's own position).
                    assertThat(e.position()).as(what).isBetween(position - ALIGNMENT, position);
                }
                assertThat(e.getMessage()).as(what).contains("journal test")
                        .contains("position " + e.position()).contains("sequence " + sequence + " was expected")
                        .contains("sequences " + sequence + ".." + (count - 1))
                        .contains("position " + e.evidencePosition() + " (sequence " + count);
            }
        }
    }

    @Test
    void aLostBlockInAnEarlierBatchIsRefused() throws Exception {
        Written written = oneRecordPerBatch(5, new Random(2));
        for (int damaged = 0; damaged < 4; damaged++) {
            byte[] image = written.image().clone();
            int block = (int) written.positions()[damaged];
            // Zeros, or what a write that never reached the medium would have left: the old content.
            Arrays.fill(image, block, block + ALIGNMENT, (byte) 0);
            JournalCorruptException e = refused(image);
            assertThat(e.firstLostSequence()).isEqualTo(damaged + 1);
            assertThat(e.lastDurableSequence()).isEqualTo(4);
        }
    }

    @Test
    void damageToTheLastBatchCannotBeToldFromATornTailAndEndsReplayBeforeIt() throws Exception {
        int count = 5;
        Written written = oneRecordPerBatch(count, new Random(3));
        long position = written.positions()[count - 1];
        for (int offset = 0; offset < RecordFormat.HEADER_SIZE + BODY; offset += 7) {
            CrashingDevice device = new CrashingDevice(flipped(written.image(), position + offset, offset % 8),
                    ALIGNMENT);
            List<Replayed> replayed = new ArrayList<>();
            try (Journal journal = TestJournals.open(device, TestJournals.config(), replayed)) {
                assertThat(replayed).as("byte %s", offset).isEqualTo(written.records().subList(0, count - 1));
                assertThat(journal.append((short) 2, ByteBuffer.allocate(3)).sequence()).isEqualTo(count);
            }
            assertThat(TestJournals.replay(device)).hasSize(count);
        }
    }

    /**
     * Record 1's flush is held while records 2..5 are appended, so those say in their own
     * headers only that nothing was durable yet; the committer writes record 1 into the first
     * record of their batch when it writes it, after record 1's flush returned.
     */
    @Test
    void eachBatchsFirstRecordVouchesForTheBatchesFlushedBeforeIt() throws Exception {
        CrashingDevice device = TestJournals.formatted(SIZE, ALIGNMENT);
        Random random = new Random(4);
        List<Replayed> written = new ArrayList<>();
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            device.gateFlushes(gate, entered);
            byte[] first = TestJournals.bytes(random, BODY);
            JournalAppend one = journal.append((short) 1, ByteBuffer.wrap(first));
            written.add(new Replayed(1, (short) 1, first));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            JournalAppend last = null;
            for (int i = 0; i < 4; i++) {
                byte[] body = TestJournals.bytes(random, 10 + random.nextInt(BODY));
                last = journal.append((short) 2, ByteBuffer.wrap(body));
                written.add(new Replayed(last.sequence(), (short) 2, body));
            }
            gate.countDown();
            one.awaitDurable();
            last.awaitDurable();
            assertThat(journal.stats().batches()).isEqualTo(2);
        }
        byte[] image = device.persistedImage();
        long[] positions = TestJournals.recordPositions(image, ALIGNMENT, 5);
        assertThat(TestJournals.durableThrough(image, positions[1])).as("raised by the committer").isEqualTo(1);
        assertThat(TestJournals.durableThrough(image, positions[2])).as("as appended").isZero();

        JournalCorruptException e = refused(flipped(image, positions[0] + RecordFormat.OFF_SEQUENCE, 0));
        assertThat(e.firstLostSequence()).isEqualTo(1);
        assertThat(e.lastDurableSequence()).isEqualTo(1);
        assertThat(e.evidenceSequence()).isEqualTo(2);
        assertThat(e.evidencePosition()).isEqualTo(positions[1]);

        // Records 2..5 form the last batch: damage there ends replay after record 1 or the
        // records before the damaged one in that batch, as a torn tail would.
        for (int damaged = 1; damaged < 5; damaged++) {
            byte[] copy = flipped(image, positions[damaged] + RecordFormat.HEADER_SIZE - 1, 3);
            assertThat(TestJournals.replay(new CrashingDevice(copy, ALIGNMENT))).isEqualTo(
                    written.subList(0, damaged));
        }
    }

    @Test
    void damageBeforeTheTrimmedPointThatHidesAcknowledgedRecordsIsRefused() throws Exception {
        CrashingDevice device = TestJournals.formatted(SIZE, ALIGNMENT);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            device.gateFlushes(gate, entered);
            JournalAppend one = journal.append((short) 1, ByteBuffer.allocate(BODY));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            JournalAppend five = null;
            for (int i = 0; i < 4; i++) {
                five = journal.append((short) 1, ByteBuffer.allocate(BODY));
            }
            gate.countDown();
            one.awaitDurable();
            five.awaitDurable();
            journal.append((short) 1, ByteBuffer.allocate(BODY)).awaitDurable();
            // Records 2..5 share a batch: the tail stays at its start, record 2.
            journal.trim(3);
        }
        byte[] image = device.persistedImage();
        long[] positions = TestJournals.recordPositions(image, ALIGNMENT, 6);
        assertThat(TestJournals.replay(new CrashingDevice(image.clone(), ALIGNMENT)))
                .extracting(Replayed::sequence).containsExactly(4L, 5L, 6L);
        JournalCorruptException e = refused(flipped(image, positions[2] + RecordFormat.HEADER_SIZE, 1));
        assertThat(e.firstLostSequence()).as("records up to the trimmed point are not needed").isEqualTo(4);
        assertThat(e.lastDurableSequence()).isEqualTo(5);
        assertThat(e.evidenceSequence()).isEqualTo(6);
    }

    /**
     * Open 1 writes records 1..4, then two batches (records 5 and 6) with one flush that the
     * power cut interrupts: record 6's block reaches the disk, record 5's does not. Record 6 says
     * records through 4 were durable, which is true and proves nothing about 5. Open 2 replays
     * 1..4, writes a smaller record 5 and crashes before its next batch is durable, so the chain
     * ends exactly where the stale record 6 lies. Open 3 must not take it as evidence either.
     */
    @Test
    void recordsLeftByEarlierCrashesAreNeverEvidence() throws Exception {
        CrashingDevice device = TestJournals.formatted(SIZE, ALIGNMENT);
        // One block per batch, so records of 400 bytes each get a batch of their own.
        JournalConfig config = TestJournals.config(ALIGNMENT);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Journal journal = TestJournals.open(device, config, new ArrayList<>())) {
            for (int i = 0; i < 3; i++) {
                journal.append((short) 1, ByteBuffer.allocate(400)).awaitDurable();
            }
            device.gateFlushes(gate, entered);
            journal.append((short) 1, ByteBuffer.allocate(400));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            // Both queue up behind record 4's flush: the committer writes their two batches
            // together, then flushes once.
            journal.append((short) 1, ByteBuffer.allocate(400));
            JournalAppend six = journal.append((short) 1, ByteBuffer.allocate(400));
            gate.countDown();
            six.awaitDurable();
        }
        byte[] image = device.persistedImage();
        long[] positions = TestJournals.recordPositions(image, ALIGNMENT, 6);
        assertThat(positions[5] - positions[4]).as("records 5 and 6 in separate batches").isEqualTo(ALIGNMENT);
        assertThat(TestJournals.durableThrough(image, positions[4])).isEqualTo(4);
        assertThat(TestJournals.durableThrough(image, positions[5])).isEqualTo(4);
        // The power failed during that flush: record 6's block reached the disk, record 5's did not.
        Arrays.fill(image, (int) positions[4], (int) positions[4] + ALIGNMENT, (byte) 0);
        CrashingDevice second = new CrashingDevice(image, ALIGNMENT);
        CountDownLatch thirdGate = new CountDownLatch(1);
        CountDownLatch thirdEntered = new CountDownLatch(1);
        List<Replayed> replayed = new ArrayList<>();
        try (Journal journal = TestJournals.open(second, config, replayed)) {
            assertThat(replayed).extracting(Replayed::sequence).containsExactly(1L, 2L, 3L, 4L);
            journal.append((short) 2, ByteBuffer.allocate(10)).awaitDurable();
            second.gateFlushes(thirdGate, thirdEntered);
            journal.append((short) 2, ByteBuffer.allocate(10));
            assertThat(thirdEntered.await(10, TimeUnit.SECONDS)).isTrue();
            // The power fails during that flush and the batch of record 6 is lost entirely.
            image = second.persistedImage();
            thirdGate.countDown();
        }
        assertThat(ByteBuffer.wrap(image).getLong((int) positions[5] + RecordFormat.OFF_SEQUENCE))
                .as("the stale record 6 of open 1 is still there").isEqualTo(6);
        CrashingDevice third = new CrashingDevice(image, ALIGNMENT);
        replayed.clear();
        try (Journal journal = TestJournals.open(third, config, replayed)) {
            assertThat(replayed).extracting(Replayed::sequence).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(replayed.get(4).type()).isEqualTo((short) 2);
            journal.append((short) 3, ByteBuffer.allocate(10)).awaitDurable();
        }
        assertThat(TestJournals.replay(third)).extracting(Replayed::type)
                .containsExactly((short) 1, (short) 1, (short) 1, (short) 1, (short) 2, (short) 3);
    }

    @Test
    void damageAfterWrapsAndReopensIsRefusedAndTornTailsAreNot() {
        TestJournals.forEachSeed(20, random -> TestJournals.unchecked(() -> {
            CrashingDevice device = TestJournals.formatted(16 * 1024, ALIGNMENT);
            JournalConfig config = TestJournals.config(ALIGNMENT * (1 + random.nextInt(3)));
            List<Replayed> live = new ArrayList<>();
            int opens = 2 + random.nextInt(4);
            for (int open = 0; open < opens; open++) {
                List<Replayed> replayed = new ArrayList<>();
                try (Journal journal = TestJournals.open(device, config, replayed)) {
                    assertThat(replayed).isEqualTo(live);
                    int appends = 5 + random.nextInt(40);
                    for (int i = 0; i < appends; i++) {
                        if (journal.freeBytes() < 2048) {
                            journal.trim(journal.lastSequence());
                            live.clear();
                        }
                        byte[] body = TestJournals.bytes(random, random.nextInt(300));
                        JournalAppend append = journal.append((short) 1, ByteBuffer.wrap(body));
                        append.awaitDurable();
                        live.add(new Replayed(append.sequence(), (short) 1, body));
                    }
                }
            }
            // Every live record but the last is in a batch flushed before the next one was written.
            if (live.size() < 2) {
                return;
            }
            byte[] image = device.persistedImage();
            int damaged = random.nextInt(live.size() - 1);
            long sequence = live.get(damaged).sequence();
            long position = findRecord(image, sequence);
            JournalCorruptException e = refused(flipped(image, position + random.nextInt(RecordFormat.HEADER_SIZE),
                    random.nextInt(8)));
            assertThat(e.firstLostSequence()).isEqualTo(sequence);
            assertThat(e.lastDurableSequence()).isEqualTo(live.get(live.size() - 1).sequence() - 1);
            long last = findRecord(image, live.get(live.size() - 1).sequence());
            byte[] torn = flipped(image, last + random.nextInt(RecordFormat.HEADER_SIZE), random.nextInt(8));
            assertThat(TestJournals.replay(new CrashingDevice(torn, ALIGNMENT)))
                    .isEqualTo(live.subList(0, live.size() - 1));
        }));
    }

    /** The position of the valid record header with {@code sequence} (the newest, if several). */
    private static long findRecord(final byte[] image, final long sequence) {
        ByteBuffer buffer = ByteBuffer.wrap(image);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        long found = -1;
        long generation = -1;
        for (int at = 2 * ALIGNMENT; at + RecordFormat.HEADER_SIZE <= image.length; at++) {
            if (buffer.getInt(at) != RecordFormat.MAGIC || buffer.getLong(at + RecordFormat.OFF_SEQUENCE) != sequence) {
                continue;
            }
            crc.reset();
            crc.update(image, at, RecordFormat.OFF_HEADER_CRC);
            long recordGeneration = buffer.getLong(at + RecordFormat.OFF_GENERATION);
            if ((int) crc.getValue() == buffer.getInt(at + RecordFormat.OFF_HEADER_CRC)
                    && recordGeneration > generation) {
                found = at;
                generation = recordGeneration;
            }
        }
        assertThat(found).as("record " + sequence).isNotNegative();
        return found;
    }
}
