package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BlockCommandsTest extends ScsiFixture {

    private static final long THIN_BLOCKS = (16 << 20) / 512;

    @BeforeEach
    void clearPowerOn() {
        settle(A, THIN);
        settle(A, FULL);
    }

    private ScsiResult write10(final int lba, final byte[] data) {
        return run(THIN, cdb(0x2a, 0, 0, 0, lba >> 8, lba, 0, data.length / 512 >> 8, data.length / 512, 0), data);
    }

    @Test
    void writtenBlocksReadBackThroughEveryReadSize() {
        byte[] d = pattern(1024, 7);
        good(write10(8, d));
        assertThat(data(run(THIN, 0x08, 0, 0, 8, 2, 0))).isEqualTo(d);
        assertThat(data(run(THIN, 0x28, 0, 0, 0, 0, 8, 0, 0, 2, 0))).isEqualTo(d);
        assertThat(data(run(THIN, 0xa8, 0, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0))).isEqualTo(d);
        assertThat(data(run(THIN, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0))).isEqualTo(d);
        assertThat(thin.snapshot(8 * 512, 1024)).isEqualTo(d);
    }

    @Test
    void writesOfEverySizeLand() {
        good(run(THIN, cdb(0x0a, 0, 0, 1, 1, 0), pattern(512, 1)));
        good(run(THIN, cdb(0xaa, 0x08, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0), pattern(512, 2)));
        good(run(THIN, cdb(0x8a, 0x10, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0), pattern(512, 3)));
        assertThat(thin.snapshot(512, 512)).isEqualTo(pattern(512, 1));
        assertThat(thin.snapshot(1024, 512)).isEqualTo(pattern(512, 2));
        assertThat(thin.snapshot(1536, 512)).isEqualTo(pattern(512, 3));
    }

    @Test
    void sixByteLengthZeroMeans256Blocks() {
        assertThat(data(run(THIN, 0x08, 0, 0, 0, 0, 0))).hasSize(256 * 512);
        good(write10(0, pattern(256 * 512, 4)));
        // WRITE(6) of 256 blocks with only one block of data-out: that block is written, the rest kept.
        good(run(THIN, cdb(0x0a, 0, 0, 0, 0, 0), pattern(512, 5)));
        assertThat(thin.snapshot(0, 512)).isEqualTo(pattern(512, 5));
        assertThat(thin.snapshot(512, 255 * 512)).isEqualTo(java.util.Arrays.copyOfRange(pattern(256 * 512, 4), 512,
                256 * 512));
    }

    @Test
    void zeroBlocksIsNotAnErrorButTheLbaStillIsChecked() {
        good(run(THIN, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        good(run(THIN, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 0, 0), null));
        check(run(THIN, 0x28, 0, 0x80, 0, 0, 0, 0, 0, 0, 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
        check(run(THIN, 0x28, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
    }

    @Test
    void beyondTheEndIsLbaOutOfRange() {
        long last = THIN_BLOCKS - 1;
        check(run(THIN, 0x28, 0, 0, 0, (int) (last >> 8), (int) last, 0, 0, 2, 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
        good(run(THIN, 0x28, 0, 0, 0, (int) (last >> 8), (int) last, 0, 0, 1, 0));
        check(run(THIN, 0x88, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0),
                Sense.ILLEGAL_REQUEST, 0x21, 0);
        check(run(THIN, 0x88, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
    }

    @Test
    void protectionFieldsAndReservedBitsAreInvalidFields() {
        invalidField(run(THIN, 0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0), 1);
        invalidField(run(THIN, 0x28, 0x04, 0, 0, 0, 0, 0, 0, 1, 0), 1);
        invalidField(run(THIN, 0x28, 0, 0, 0, 0, 0, 0x20, 0, 1, 0), 6);
        invalidField(run(THIN, 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x04), 9);
        good(run(THIN, 0x28, 0x18, 0, 0, 0, 0, 0, 0, 1, 0));
    }

    @Test
    void transfersAboveTheMaximumAreRefused() {
        BlockTarget small = new BlockTarget(List.of(new LunSpec(0, thin, FakeReservations::new)),
                new TargetOptions("KEEL", "Keel Volume", "0001", 8, 8192, 1 << 20, 256, 1));
        byte[] read12 = cdb(0xa8, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0);
        ScsiCommand c = new ScsiCommand(A, 0, read12, TaskAttribute.SIMPLE, 1, 0, null);
        small.execute(c); // the power-on unit attention
        invalidField(small.execute(c), 6);
        assertThat(data(run(THIN, read12, null))).hasSize(0x4000 * 512);
    }

    @Test
    void shortDataOutWritesWhatArrivedAndKeepsTheRest() {
        good(write10(4, pattern(1024, 3)));
        // An expected transfer length of 200 bytes for a two-block WRITE(10): 200 bytes change, nothing else.
        byte[] arrived = java.util.Arrays.copyOf(pattern(512, 9), 200);
        good(run(THIN, cdb(0x2a, 0, 0, 0, 0, 4, 0, 0, 2, 0), arrived));
        byte[] expected = pattern(1024, 3);
        System.arraycopy(arrived, 0, expected, 0, 200);
        assertThat(thin.snapshot(4 * 512, 1024)).isEqualTo(expected);
        good(run(THIN, cdb(0x2e, 0, 0, 0, 0, 4, 0, 0, 2, 0), null));
        assertThat(thin.snapshot(4 * 512, 1024)).isEqualTo(expected);
    }

    @Test
    void backendFailuresAreMediumErrorsWithTheLba() {
        int lent = TransferBuffers.shared().lent();
        thin.failReads = true;
        ScsiResult r = run(THIN, 0x28, 0, 0, 0, 0, 77, 0, 0, 1, 0);
        check(r, Sense.MEDIUM_ERROR, 0x11, 0);
        assertThat(information(r.sense())).isEqualTo(77);
        assertThat(TransferBuffers.shared().lent()).as("the failed read's buffer went back").isEqualTo(lent);
        thin.failReads = false;
        // A damaged sector inside the read: INFORMATION is its first LBA, not the read's.
        thin.unreadableAt = 85 * 512L;
        r = run(THIN, 0x28, 0, 0, 0, 0, 80, 0, 0, 16, 0);
        check(r, Sense.MEDIUM_ERROR, 0x11, 0);
        assertThat(information(r.sense())).isEqualTo(85);
        // ... and the read's own first LBA when the damaged physical block begins before it.
        thin.unreadableAt = 88 * 512L;
        r = run(THIN, 0x28, 0, 0, 0, 0, 90, 0, 0, 4, 0);
        assertThat(information(r.sense())).isEqualTo(90);
        thin.unreadableAt = -1;
        thin.failWrites = true;
        r = write10(66, new byte[512]);
        check(r, Sense.MEDIUM_ERROR, 0x0c, 0);
        assertThat(information(r.sense())).isEqualTo(66);
    }

    @Test
    void aWriteTheStoreHasNoSpaceForIsDataProtectSpaceAllocationFailedWithTheLba() {
        thin.outOfSpace = true;
        ScsiResult r = write10(70, new byte[512]);
        check(r, Sense.DATA_PROTECT, 0x27, 0x07);
        assertThat(information(r.sense())).isEqualTo(70);
        thin.outOfSpace = false;
        good(write10(70, new byte[512]));
    }

    @Test
    void aReadAnswersWithALentDirectBufferThatReleaseGivesBack() {
        byte[] d = pattern(4096, 5);
        good(write10(40, d));
        int lent = TransferBuffers.shared().lent();
        ScsiResult r = run(THIN, 0x28, 0, 0, 0, 0, 40, 0, 0, 8, 0);
        good(r);
        assertThat(r.dataIn().isDirect()).isTrue();
        assertThat(TransferBuffers.shared().lent()).isEqualTo(lent + 1);
        byte[] got = new byte[r.dataIn().remaining()];
        r.dataIn().duplicate().get(got);
        assertThat(got).isEqualTo(d);
        r.release();
        assertThat(TransferBuffers.shared().lent()).isEqualTo(lent);
    }

    @Test
    void verifyChecksReadabilityOrComparesData() {
        byte[] d = pattern(1024, 3);
        good(write10(20, d));
        good(run(THIN, 0x2f, 0, 0, 0, 0, 20, 0, 0, 2, 0));
        good(run(THIN, cdb(0x2f, 0x02, 0, 0, 0, 20, 0, 0, 2, 0), d));
        byte[] wrong = d.clone();
        wrong[700] ^= 1;
        ScsiResult r = run(THIN, cdb(0x2f, 0x02, 0, 0, 0, 20, 0, 0, 2, 0), wrong);
        check(r, Sense.MISCOMPARE, 0x1d, 0);
        assertThat(information(r.sense())).isEqualTo(700);
        good(run(THIN, cdb(0xaf, 0x00, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0), wrong));
        invalidField(run(THIN, cdb(0x8f, 0x04, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0), d), 1);
        byte[] zeros = new byte[512];
        good(run(THIN, cdb(0x8f, 0x06, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 3, 0, 0), zeros));
        check(run(THIN, cdb(0x8f, 0x06, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0), zeros),
                Sense.MISCOMPARE, 0x1d, 0);
    }

    @Test
    void writeAndVerifyWritesAndChecks() {
        byte[] d = pattern(512, 4);
        good(run(THIN, cdb(0x2e, 0x02, 0, 0, 0, 30, 0, 0, 1, 0), d));
        good(run(THIN, cdb(0xae, 0x00, 0, 0, 0, 31, 0, 0, 0, 1, 0, 0), d));
        good(run(THIN, cdb(0x8e, 0x10, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0), d));
        assertThat(thin.snapshot(30 * 512, 512)).isEqualTo(d);
        assertThat(thin.snapshot(32 * 512, 512)).isEqualTo(d);
    }

    @Test
    void writeSameRepeatsTheBlock() {
        byte[] block = pattern(512, 5);
        good(run(THIN, cdb(0x41, 0, 0, 0, 0x10, 0, 0, 0x0b, 0xb8, 0), block));
        for (int i = 0; i < 3000; i += 997) {
            assertThat(thin.snapshot((4096L + i) * 512, 512)).isEqualTo(block);
        }
        check(run(THIN, cdb(0x41, 0, 0, 0, 0x7f, 0xff, 0, 0, 2, 0), block), Sense.ILLEGAL_REQUEST, 0x21, 0);
        check(run(THIN, cdb(0x41, 0, 0, 0, 0, 0, 0, 0, 2, 0), null), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
        check(run(THIN, cdb(0x41, 0, 0, 0, 0, 0, 0, 0, 2, 0), new byte[256]), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
        check(run(THIN, cdb(0x41, 0x08, 0, 0, 0, 0, 0, 0, 2, 0), new byte[1024]), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
        invalidField(run(THIN, cdb(0x93, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), new byte[512]), 1);
    }

    @Test
    void writeSameWithUnmapDeallocatesOnThinVolumes() {
        good(write10(64, pattern(8 * 512, 1)));
        assertThat(thin.isMapped(64 * 512)).isTrue();
        good(run(THIN, cdb(0x93, 0x08, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 8, 0, 0), new byte[512]));
        assertThat(thin.isMapped(64 * 512)).isFalse();
        good(write10(64, pattern(8 * 512, 1)));
        good(run(THIN, cdb(0x93, 0x09, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 8, 0, 0), null));
        assertThat(thin.isMapped(64 * 512)).isFalse();
        assertThat(thin.snapshot(64 * 512, 4096)).containsOnly(0);
        invalidField(run(FULL, cdb(0x41, 0x08, 0, 0, 0, 0, 0, 0, 1, 0), new byte[512]), 1);
    }

    @Test
    void unmapValidatesEveryDescriptorFirst() {
        good(write10(128, pattern(16 * 512, 2)));
        byte[] p = unmapList(128, 8, 136, 8);
        good(run(THIN, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, p.length, 0), p));
        assertThat(thin.isMapped(128 * 512)).isFalse();
        assertThat(thin.isMapped(136 * 512)).isFalse();
        good(run(THIN, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0), null));
        check(run(THIN, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 4, 0), new byte[4]), Sense.ILLEGAL_REQUEST, 0x1a, 0);
        good(write10(128, pattern(512, 2)));
        byte[] bad = unmapList(128, 8, THIN_BLOCKS, 1);
        check(run(THIN, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, bad.length, 0), bad), Sense.ILLEGAL_REQUEST, 0x21, 0);
        assertThat(thin.isMapped(128 * 512)).isTrue();
        long[] many = new long[2 * 257];
        Arrays.fill(many, 1);
        byte[] tooMany = unmapList(many);
        check(run(THIN, cdb(0x42, 0, 0, 0, 0, 0, 0, tooMany.length >> 8, tooMany.length, 0), tooMany),
                Sense.ILLEGAL_REQUEST, 0x26, 0);
        check(run(FULL, cdb(0x42, 0, 0, 0, 0, 0, 0, 0, p.length, 0), p), Sense.ILLEGAL_REQUEST, 0x20, 0);
    }

    static byte[] unmapList(final long... lbaCount) {
        int n = lbaCount.length / 2;
        byte[] p = new byte[8 + 16 * n];
        Bytes.put16(p, 0, p.length - 2);
        Bytes.put16(p, 2, 16 * n);
        for (int i = 0; i < n; i++) {
            Bytes.put64(p, 8 + 16 * i, lbaCount[2 * i]);
            Bytes.put32(p, 16 + 16 * i, lbaCount[2 * i + 1]);
        }
        return p;
    }

    @Test
    void compareAndWriteWritesOnlyOnMatch() {
        byte[] old = pattern(512, 1);
        good(write10(40, old));
        byte[] neu = pattern(512, 2);
        byte[] both = new byte[1024];
        System.arraycopy(old, 0, both, 0, 512);
        System.arraycopy(neu, 0, both, 512, 512);
        byte[] caw = cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0);
        good(run(THIN, caw, both));
        assertThat(thin.snapshot(40 * 512, 512)).isEqualTo(neu);
        ScsiResult r = run(THIN, caw, both);
        check(r, Sense.MISCOMPARE, 0x1d, 0);
        assertThat(information(r.sense())).isEqualTo(Arrays.mismatch(old, neu));
        assertThat(thin.snapshot(40 * 512, 512)).isEqualTo(neu);
        invalidField(run(THIN, cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0), new byte[2048]), 13);
        check(run(THIN, caw, old), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
        check(run(THIN, caw, new byte[2048]), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
        assertThat(thin.snapshot(40 * 512, 512)).isEqualTo(neu);
        good(run(THIN, cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0), null));
        // 256 blocks wrapped into the 8-bit field: zero blocks with data-out is a bad CDB, not a no-op.
        invalidField(run(THIN, cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0), new byte[1024]), 13);
    }

    @Test
    void getLbaStatusReportsMappedAndDeallocatedRuns() {
        good(write10(0, pattern(4096, 1)));
        byte[] d = data(run(THIN, 0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertThat(Bytes.u32(d, 0)).isEqualTo(d.length - 4);
        assertThat(Bytes.u64(d, 8)).isZero();
        assertThat(Bytes.u32(d, 16)).isEqualTo(8);
        assertThat(d[20]).isEqualTo((byte) 0);
        assertThat(Bytes.u64(d, 24)).isEqualTo(8);
        assertThat(d[36]).isEqualTo((byte) 1);
        byte[] mid = data(run(THIN, 0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 24, 0, 0));
        assertThat(Bytes.u64(mid, 8)).isEqualTo(3);
        assertThat(Bytes.u32(mid, 16)).isEqualTo(5);
        check(run(THIN, 0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 24, 0, 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
    }

    @Test
    void synchronizeCacheFlushesAndChecksTheRange() {
        good(run(THIN, 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        good(run(THIN, 0x91, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0));
        assertThat(thin.flushes).isEqualTo(2);
        check(run(THIN, 0x35, 0, 0, 0x80, 0, 0, 0, 0, 0, 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
    }

    @Test
    void prefetchIsGoodInRange() {
        good(run(THIN, 0x34, 0x02, 0, 0, 0, 0, 0, 0, 8, 0));
        good(run(THIN, 0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        check(run(THIN, 0x34, 0, 0xff, 0, 0, 0, 0, 0, 1, 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
        invalidField(run(THIN, 0x34, 0x01, 0, 0, 0, 0, 0, 0, 1, 0), 1);
    }

    @Test
    void readCapacityReportsSizesAndProvisioning() {
        byte[] rc10 = data(run(THIN, 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        assertThat(Bytes.u32(rc10, 0)).isEqualTo(THIN_BLOCKS - 1);
        assertThat(Bytes.u32(rc10, 4)).isEqualTo(512);
        invalidField(run(THIN, 0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0), 2);
        byte[] rc16 = data(run(THIN, 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        assertThat(Bytes.u64(rc16, 0)).isEqualTo(THIN_BLOCKS - 1);
        assertThat(rc16[13] & 0x0f).isEqualTo(3);
        assertThat(rc16[14] & 0xc0).isEqualTo(0xc0);
        assertThat(rc16[12]).isZero();
        byte[] full16 = data(run(FULL, 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        assertThat(full16[14] & 0xc0).isZero();
    }

    @Test
    void aVolumeReporting512BytePhysicalBlocksSaysSoOnlyInReadCapacity16() {
        thin.reportPhysicalBlockSize(512);
        byte[] rc16 = data(run(THIN, 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        assertThat(rc16[13] & 0x0f).as("one logical block per physical block").isZero();
        // The Block Limits page still gives the stores' 4 KiB as what transfers, unmaps and atomic
        // writes are best aligned to: that is what the volume does, whatever it reports as physical.
        byte[] limits = data(run(THIN, 0x12, 0x01, 0xb0, 0, 64, 0));
        assertThat(Bytes.u16(limits, 6)).as("optimal transfer length granularity").isEqualTo(8);
        assertThat(Bytes.u32(limits, 28)).as("optimal unmap granularity").isEqualTo(8);
        assertThat(Bytes.u32(limits, 48)).as("atomic alignment").isEqualTo(8);
    }
}
