package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The last batch cut at every byte: replay keeps exactly the records that are complete and
 * stops cleanly before the first cut one; appending afterwards continues the chain.
 */
class TornWriteTest {

    private static final int SIZE = 64 * 1024;
    private static final int ALIGNMENT = 512;
    private static final byte GARBAGE = (byte) 0xA5;

    /** A device whose bytes start as garbage rather than zeros, so a cut record is never "completed" by luck. */
    private static CrashingDevice garbageDevice() throws Exception {
        byte[] image = new byte[SIZE];
        Arrays.fill(image, GARBAGE);
        CrashingDevice device = new CrashingDevice(image, ALIGNMENT);
        Journal.format(device, TestJournals.ID);
        return device;
    }

    @Test
    void aRecordCutAtEveryByteIsNeverReplayed() throws Exception {
        Random random = new Random(42);
        CrashingDevice device = garbageDevice();
        List<Replayed> written = new ArrayList<>();
        byte[] before;
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            for (int i = 0; i < 2; i++) {
                byte[] body = TestJournals.bytes(random, 20 + i);
                JournalAppend append = journal.append((short) 5, ByteBuffer.wrap(body));
                append.awaitDurable();
                written.add(new Replayed(append.sequence(), (short) 5, body));
            }
            before = device.persistedImage();
            byte[] last = TestJournals.bytes(random, 60);
            journal.append((short) 6, ByteBuffer.wrap(last)).awaitDurable();
            written.add(new Replayed(3, (short) 6, last));
        }
        byte[] after = device.persistedImage();
        int first = firstDifference(before, after);
        int length = lastDifference(before, after) + 1 - first;
        assertThat(length).isGreaterThanOrEqualTo(RecordFormat.HEADER_SIZE + 60);
        for (int cut = 0; cut <= length; cut++) {
            byte[] image = before.clone();
            System.arraycopy(after, first, image, first, cut);
            CrashingDevice torn = new CrashingDevice(image, ALIGNMENT);
            boolean complete = cut >= RecordFormat.HEADER_SIZE + 60;
            List<Replayed> replayed = new ArrayList<>();
            byte[] next = TestJournals.bytes(random, 1 + random.nextInt(100));
            try (Journal journal = TestJournals.open(torn, TestJournals.config(), replayed)) {
                assertThat(replayed).as("cut at %s", cut).isEqualTo(written.subList(0, complete ? 3 : 2));
                assertThat(journal.append((short) 9, ByteBuffer.wrap(next)).sequence()).isEqualTo(complete ? 4 : 3);
            }
            List<Replayed> again = TestJournals.replay(torn);
            assertThat(again).as("cut at %s, reopened after appending", cut).hasSize(complete ? 4 : 3);
            assertThat(again.get(again.size() - 1).body()).isEqualTo(next);
        }
    }

    @Test
    void aBatchCutAtEveryByteKeepsItsCompleteRecords() throws Exception {
        Random random = new Random(7);
        CrashingDevice device = garbageDevice();
        List<Replayed> written = new ArrayList<>();
        byte[] before;
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            device.gateFlushes(gate, entered);
            byte[] body1 = TestJournals.bytes(random, 30);
            JournalAppend firstAppend = journal.append((short) 1, ByteBuffer.wrap(body1));
            written.add(new Replayed(1, (short) 1, body1));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            // The committer is stuck in the flush of record 1: the next ones form one batch.
            before = device.currentImage();
            JournalAppend last = null;
            for (int i = 0; i < 4; i++) {
                byte[] body = TestJournals.bytes(random, 10 + random.nextInt(200));
                last = journal.append((short) 2, ByteBuffer.wrap(body));
                written.add(new Replayed(last.sequence(), (short) 2, body));
            }
            gate.countDown();
            firstAppend.awaitDurable();
            last.awaitDurable();
            assertThat(journal.stats().batches()).isEqualTo(2);
        }
        byte[] after = device.persistedImage();
        int first = firstDifference(before, after);
        int length = lastDifference(before, after) + 1 - first;
        int[] ends = new int[5];
        int end = 0;
        for (int i = 1; i < 5; i++) {
            end += RecordFormat.HEADER_SIZE + written.get(i).body().length;
            ends[i] = end;
        }
        for (int cut = 0; cut <= length; cut++) {
            byte[] image = before.clone();
            System.arraycopy(after, first, image, first, cut);
            int complete = 1;
            while (complete < 5 && ends[complete] <= cut) {
                complete++;
            }
            assertThat(TestJournals.replay(new CrashingDevice(image, ALIGNMENT))).as("cut at %s", cut)
                    .isEqualTo(written.subList(0, complete));
        }
    }

    private static int firstDifference(final byte[] a, final byte[] b) {
        int i = 2 * ALIGNMENT;
        while (a[i] == b[i]) {
            i++;
        }
        return i;
    }

    private static int lastDifference(final byte[] a, final byte[] b) {
        int i = a.length - 1;
        while (a[i] == b[i]) {
            i--;
        }
        return i;
    }
}
