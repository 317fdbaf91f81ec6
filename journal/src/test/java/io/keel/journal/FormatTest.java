package io.keel.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** What open refuses, and what format does to a device that held a journal before. */
class FormatTest {

    private static final int ALIGNMENT = 512;

    @Test
    void aBlankDeviceIsNotAJournal() {
        CrashingDevice device = new CrashingDevice(64 * 1024, ALIGNMENT);
        assertThatThrownBy(() -> TestJournals.replay(device)).isInstanceOf(JournalFormatException.class)
                .hasMessageContaining("not a journal");
    }

    @Test
    void aNewerFormatVersionIsRefused() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, ALIGNMENT);
        TestJournals.replay(device);
        byte[] image = device.persistedImage();
        // What a future Keel might write: same magic, version and length places, valid checksum.
        ByteBuffer copy = ByteBuffer.wrap(image, 0, JournalHeader.LENGTH).slice();
        copy.putShort(8, (short) 7);
        CRC32C crc = new CRC32C();
        crc.update(image, 0, JournalHeader.LENGTH - 4);
        copy.putInt(JournalHeader.LENGTH - 4, (int) crc.getValue());
        assertThatThrownBy(() -> TestJournals.replay(new CrashingDevice(image, ALIGNMENT)))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageContaining("written by a newer format version 7; this Keel reads up to 2");
    }

    @Test
    void aVersionOneJournalIsRefusedWithoutWritingAnything() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, ALIGNMENT);
        TestJournals.replay(device);
        byte[] image = device.persistedImage();
        // Both copies as a version-1 Keel wrote them: same layout, version 1, valid checksums.
        for (int copy = 0; copy < 2; copy++) {
            ByteBuffer header = ByteBuffer.wrap(image, copy * ALIGNMENT, JournalHeader.LENGTH).slice();
            header.putShort(8, (short) 1);
            CRC32C crc = new CRC32C();
            crc.update(image, copy * ALIGNMENT, JournalHeader.LENGTH - 4);
            header.putInt(JournalHeader.LENGTH - 4, (int) crc.getValue());
        }
        byte[] before = image.clone();
        CrashingDevice old = new CrashingDevice(image, ALIGNMENT);
        assertThatThrownBy(() -> TestJournals.replay(old)).isInstanceOf(JournalFormatException.class)
                .hasMessageContaining("written by the older format version 1, which this Keel no longer opens")
                .hasMessageContaining("format the journal again");
        assertThat(old.persistedImage()).isEqualTo(before);
    }

    @Test
    void aDifferentJournalIdIsRefusedUnlessAnyIdIsAccepted() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, ALIGNMENT);
        UUID other = UUID.fromString("00000000-0000-0000-0000-000000000042");
        assertThatThrownBy(() -> Journal.open(device, TestJournals.config(), other, record -> { }))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageContaining(TestJournals.ID.toString()).hasMessageContaining(other.toString());
        Journal.open(device, TestJournals.config(), null, record -> { }).close();
    }

    @Test
    void aDeviceWithAnotherAlignmentIsRefused() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, ALIGNMENT);
        CrashingDevice moved = new CrashingDevice(device.persistedImage(), 1024);
        assertThatThrownBy(() -> TestJournals.replay(moved)).isInstanceOf(JournalFormatException.class);
    }

    @Test
    void formatDiscardsTheRecordsOfTheJournalThatWasThere() throws Exception {
        CrashingDevice device = TestJournals.formatted(64 * 1024, ALIGNMENT);
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            for (int i = 0; i < 20; i++) {
                journal.append((short) 1, ByteBuffer.allocate(100 * i));
            }
        }
        Journal.format(device, TestJournals.ID);
        assertThat(TestJournals.replay(device)).isEmpty();
        try (Journal journal = TestJournals.open(device, TestJournals.config(), new ArrayList<>())) {
            assertThat(journal.lastSequence()).isZero();
        }
    }

    @Test
    void tooSmallDevicesAndBadAlignmentsAreRefusedByFormat() {
        assertThatThrownBy(() -> Journal.format(new CrashingDevice(4 * 1024, ALIGNMENT), TestJournals.ID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too small");
        assertThatThrownBy(() -> Journal.format(new CrashingDevice(64 * 1024, 64), TestJournals.ID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alignment");
    }
}
