package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.journal.TestJournals.Replayed;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bit flips in the header copies, record headers and record bodies: the journal either refuses
 * to open with a clear {@link JournalFormatException} (both header copies bad, or a damaged
 * record that a later record shows was durable: {@link JournalCorruptException}) or recovers
 * correctly, replaying exactly the records before the damaged one. It never replays garbage.
 */
class CorruptionTest {

    private static final int ALIGNMENT = 512;

    /** A journal image with records in several batches, and the records as written. */
    private record Written(byte[] image, List<Replayed> records) {
    }

    private static Written journalWithRecords(final Random random) throws Exception {
        CrashingDevice device = TestJournals.formatted(32 * 1024, ALIGNMENT);
        List<Replayed> records = new ArrayList<>();
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            for (int i = 0; i < 12; i++) {
                byte[] body = TestJournals.bytes(random, random.nextInt(400));
                JournalAppend append = journal.append((short) (1 + i), ByteBuffer.wrap(body));
                records.add(new Replayed(append.sequence(), (short) (1 + i), body));
                if (random.nextInt(3) == 0) {
                    append.awaitDurable();
                }
            }
        }
        return new Written(device.persistedImage(), records);
    }

    private static long[] recordPositions(final byte[] image, final int records) {
        return TestJournals.recordPositions(image, ALIGNMENT, records);
    }

    /**
     * The highest durable-through among the records after {@code damaged} (an index): a later
     * record of the chain vouching for the damaged one makes replay refuse instead of stopping.
     */
    private static long vouchedThrough(final byte[] image, final long[] positions, final int damaged) {
        long vouched = 0;
        for (int i = damaged + 1; i < positions.length; i++) {
            vouched = Math.max(vouched, TestJournals.durableThrough(image, positions[i]));
        }
        return vouched;
    }

    @Test
    void aFlipInOneHeaderCopyFallsBackToTheOther() {
        TestJournals.forEachSeed(30, random -> TestJournals.unchecked(() -> {
            Written written = journalWithRecords(random);
            int copy = random.nextInt(2);
            byte[] image = written.image().clone();
            flip(image, copy * ALIGNMENT + random.nextInt(JournalHeader.LENGTH), random);
            assertThat(TestJournals.replay(new CrashingDevice(image, ALIGNMENT))).isEqualTo(written.records());
        }));
    }

    @Test
    void flipsInBothHeaderCopiesRefuseToOpen() {
        TestJournals.forEachSeed(30, random -> TestJournals.unchecked(() -> {
            Written written = journalWithRecords(random);
            byte[] image = written.image().clone();
            flip(image, random.nextInt(JournalHeader.LENGTH), random);
            flip(image, ALIGNMENT + random.nextInt(JournalHeader.LENGTH), random);
            assertThatThrownBy(() -> TestJournals.replay(new CrashingDevice(image, ALIGNMENT)))
                    .isInstanceOf(JournalFormatException.class)
                    // A flip in both magics leaves nothing that says "journal" at all.
                    .hasMessageMatching(".*(corrupt journal header, both copies are damaged|not a journal).*");
        }));
    }

    @Test
    void aFlipInARecordStopsReplayJustBeforeItOrIsRefusedWhenALaterRecordVouchesForIt() {
        TestJournals.forEachSeed(100, random -> TestJournals.unchecked(() -> {
            Written written = journalWithRecords(random);
            List<Replayed> records = written.records();
            long[] positions = recordPositions(written.image(), records.size());
            int damaged = random.nextInt(records.size());
            int recordBytes = RecordFormat.HEADER_SIZE + records.get(damaged).body().length;
            boolean inHeader = random.nextBoolean() || recordBytes == RecordFormat.HEADER_SIZE;
            int offset = inHeader ? random.nextInt(RecordFormat.HEADER_SIZE)
                    : RecordFormat.HEADER_SIZE + random.nextInt(recordBytes - RecordFormat.HEADER_SIZE);
            byte[] image = written.image().clone();
            flip(image, (int) positions[damaged] + offset, random);
            CrashingDevice device = new CrashingDevice(image, ALIGNMENT);
            long vouched = vouchedThrough(written.image(), positions, damaged);
            if (vouched > damaged) {
                // A later batch was written after this record's flush: losing it is not a torn tail.
                assertThatThrownBy(() -> TestJournals.replay(device))
                        .isInstanceOfSatisfying(JournalCorruptException.class, e -> {
                            assertThat(e.firstLostSequence()).isEqualTo(damaged + 1);
                            assertThat(e.lastDurableSequence()).isEqualTo(vouched);
                            assertThat(e.evidenceSequence()).isGreaterThan(vouched);
                        });
                assertThat(device.persistedImage()).as("nothing written").isEqualTo(image);
                return;
            }
            List<Replayed> replayed = new ArrayList<>();
            try (Journal journal = TestJournals.open(device, TestJournals.config(), replayed)) {
                assertThat(replayed).isEqualTo(records.subList(0, damaged));
                // Appending after the damage continues from the last good record; the older
                // records after the damage must never be chained after the new ones.
                journal.append((short) 77, ByteBuffer.allocate(3)).awaitDurable();
            }
            List<Replayed> again = TestJournals.replay(device);
            assertThat(again).hasSize(damaged + 1);
            assertThat(again.get(damaged).type()).isEqualTo((short) 77);
        }));
    }

    @Test
    void randomFlipsAnywhereNeverReplayGarbage() {
        TestJournals.forEachSeed(100, random -> TestJournals.unchecked(() -> {
            Written written = journalWithRecords(random);
            byte[] image = written.image().clone();
            int flips = 1 + random.nextInt(4);
            for (int i = 0; i < flips; i++) {
                flip(image, 2 * ALIGNMENT + random.nextInt(8 * 1024), random);
            }
            long[] positions = recordPositions(written.image(), written.records().size());
            long vouched = vouchedThrough(written.image(), positions, -1);
            List<Replayed> replayed;
            try {
                replayed = TestJournals.replay(new CrashingDevice(image, ALIGNMENT));
            } catch (JournalCorruptException e) {
                // Only records that a later (intact) record vouches for may be reported lost.
                assertThat(e.firstLostSequence()).isLessThanOrEqualTo(e.lastDurableSequence());
                assertThat(e.lastDurableSequence()).isLessThanOrEqualTo(vouched);
                return;
            }
            assertThat(replayed.size()).isLessThanOrEqualTo(written.records().size());
            assertThat(replayed).isEqualTo(written.records().subList(0, replayed.size()));
        }));
    }

    private static void flip(final byte[] image, final int at, final Random random) {
        image[at] ^= (byte) (1 << random.nextInt(8));
    }
}
