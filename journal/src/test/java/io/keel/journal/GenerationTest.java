package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.journal.TestJournals.Replayed;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The generation rule: a valid record left over from before a crash must never be chained after
 * a record written by a later open, even when it sits exactly where the chain continues and
 * carries exactly the sequence number expected there.
 */
class GenerationTest {

    @Test
    void aStaleRecordOfAnEarlierOpenIsNotReplayedAfterANewerOne() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, 512);
        CountDownLatch firstGate = new CountDownLatch(1);
        CountDownLatch firstEntered = new CountDownLatch(1);
        CountDownLatch secondGate = new CountDownLatch(1);
        CountDownLatch secondEntered = new CountDownLatch(1);
        byte[] image;
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            device.gateFlushes(firstGate, firstEntered);
            journal.append((short) 1, ByteBuffer.allocate(10));
            assertThat(firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
            // While record 1's flush hangs, records 2 and 3 queue up as one batch. Record 2 fills
            // two blocks exactly, so record 3 starts a block that a later batch of record 2's size
            // does not touch.
            journal.append((short) 2, ByteBuffer.allocate(1024 - RecordFormat.HEADER_SIZE));
            journal.append((short) 3, ByteBuffer.allocate(20));
            device.gateFlushes(secondGate, secondEntered);
            firstGate.countDown();
            assertThat(secondEntered.await(10, TimeUnit.SECONDS)).isTrue();
            // Power cut during the batch's flush: its last sector (all of record 3) reached the
            // disk, its first (record 2's header) did not.
            image = device.currentImage();
            byte[] persisted = device.persistedImage();
            System.arraycopy(persisted, 1536, image, 1536, CrashingDevice.SECTOR);
            assertThat(ByteBuffer.wrap(image).getInt(2560)).isEqualTo(RecordFormat.MAGIC);
            secondGate.countDown();
        }
        CrashingDevice rebooted = new CrashingDevice(image, 512);
        List<Replayed> replayed = new ArrayList<>();
        try (Journal journal = TestJournals.open(rebooted, TestJournals.config(), replayed)) {
            assertThat(replayed).extracting(Replayed::sequence).containsExactly(1L);
            // Same size as the lost record 2, so the chain continues exactly where the stale record 3 is.
            journal.append((short) 9, ByteBuffer.allocate(1024 - RecordFormat.HEADER_SIZE)).awaitDurable();
        }
        assertThat(TestJournals.replay(rebooted)).extracting(Replayed::type).containsExactly((short) 1, (short) 9);
    }
}
