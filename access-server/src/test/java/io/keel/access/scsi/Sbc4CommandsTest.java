package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WRITE SAME to the end of the medium, ORWRITE, WRITE ATOMIC and READ DEFECT DATA. */
class Sbc4CommandsTest extends ScsiFixture {

    private static final int THIN_BLOCKS = (16 << 20) / 512;
    private static final int FULL_BLOCKS = (4 << 20) / 512;

    @BeforeEach
    void clearPowerOn() {
        settle(A, THIN);
        settle(A, FULL);
    }

    private ScsiResult write16(final int lun, final long lba, final byte[] data) {
        return run(lun, cdb(0x8a, 0, 0, 0, 0, 0, (int) (lba >> 24), (int) (lba >> 16), (int) (lba >> 8), (int) lba,
                0, 0, (data.length / 512) >> 8, data.length / 512, 0, 0), data);
    }

    private static byte[] sixteen(final int opcode, final int flags, final long lba, final long blocks) {
        return cdb(opcode, flags, 0, 0, 0, 0, (int) (lba >> 24), (int) (lba >> 16), (int) (lba >> 8), (int) lba,
                (int) (blocks >> 24), (int) (blocks >> 16), (int) (blocks >> 8), (int) blocks, 0, 0);
    }

    @Test
    void writeSameOfZeroBlocksRunsToTheEndOfTheMedium() {
        byte[] block = pattern(512, 11);
        long from = FULL_BLOCKS - 40;
        good(run(FULL, sixteen(0x93, 0, from, 0), block));
        for (long lba = from; lba < FULL_BLOCKS; lba++) {
            assertThat(full.snapshot(lba * 512, 512)).isEqualTo(block);
        }
        assertThat(full.snapshot((from - 1) * 512, 512)).containsOnly(0);
        good(run(FULL, cdb(0x41, 0, 0, 0, FULL_BLOCKS >> 8, FULL_BLOCKS & 0xff, 0, 0, 0, 0), block));
        check(run(FULL, cdb(0x41, 0, 0, 0, (FULL_BLOCKS + 1) >> 8, (FULL_BLOCKS + 1) & 0xff, 0, 0, 0, 0), block),
                Sense.ILLEGAL_REQUEST, 0x21, 0);
        check(run(FULL, sixteen(0x93, 0, -1L, 0), block), Sense.ILLEGAL_REQUEST, 0x21, 0);
    }

    @Test
    void zeroBlockWriteSameBeyondTheMaximumLengthIsAnInvalidField() {
        BlockTarget small = new BlockTarget(java.util.List.of(new LunSpec(0, full, FakeReservations::new)),
                new TargetOptions("KEEL", "Keel Volume", "0001", 8, 8192, 1000, 256, 1));
        ScsiCommand c = new ScsiCommand(A, 0, sixteen(0x93, 0, 0, 0), TaskAttribute.SIMPLE, 1, 512,
                java.nio.ByteBuffer.wrap(pattern(512, 1)));
        small.execute(c); // the power-on unit attention
        invalidField(small.execute(c), 10);
        ScsiCommand nearEnd = new ScsiCommand(A, 0, sixteen(0x93, 0, FULL_BLOCKS - 1000, 0), TaskAttribute.SIMPLE, 1,
                512, java.nio.ByteBuffer.wrap(pattern(512, 1)));
        good(small.execute(nearEnd));
    }

    @Test
    void writingZerosWithWriteSameDeallocatesOnThinVolumes() {
        good(write16(THIN, 128, pattern(16 * 512, 3)));
        good(run(THIN, sixteen(0x93, 0, 128, 16), new byte[512]));
        assertThat(thin.isMapped(128 * 512)).isFalse();
        assertThat(thin.snapshot(128 * 512, 16 * 512)).containsOnly(0);
        good(run(THIN, sixteen(0x93, 0x08, 0, 0), new byte[512]));
        assertThat(thin.allocation(0, 16 << 20)).extracting(BlockBackend.AllocationRun::mapped).containsOnly(false);
        good(write16(THIN, 128, pattern(16 * 512, 3)));
        good(run(THIN, sixteen(0x93, 0x08, 128, 16), pattern(512, 4)));
        assertThat(thin.isMapped(128 * 512)).as("UNMAP deallocates whatever the block holds").isFalse();
        assertThat(thin.snapshot(128 * 512, 16 * 512)).containsOnly(0);
        good(run(FULL, sixteen(0x93, 0, 8, 8), new byte[512]));
        assertThat(full.isMapped(8 * 512)).isTrue();
    }

    @Test
    void orWriteOrsTheDataIntoTheBlocks() {
        byte[] a5 = new byte[3 * 512];
        Arrays.fill(a5, (byte) 0xa5);
        byte[] x5a = new byte[3 * 512];
        Arrays.fill(x5a, (byte) 0x5a);
        good(write16(THIN, 40, new byte[3 * 512]));
        good(run(THIN, sixteen(0x8b, 0, 40, 3), a5));
        assertThat(thin.snapshot(40 * 512, 3 * 512)).isEqualTo(a5);
        good(run(THIN, sixteen(0x8b, 0x18, 40, 3), x5a));
        assertThat(thin.snapshot(40 * 512, 3 * 512)).containsOnly((byte) 0xff);
        good(run(THIN, sixteen(0x8b, 0, 40, 0), null));
        check(run(THIN, sixteen(0x8b, 0, THIN_BLOCKS - 1, 2), new byte[1024]), Sense.ILLEGAL_REQUEST, 0x21, 0);
        check(run(THIN, sixteen(0x8b, 0, THIN_BLOCKS + 1, 0), null), Sense.ILLEGAL_REQUEST, 0x21, 0);
        invalidField(run(THIN, sixteen(0x8b, 0x20, 40, 1), new byte[512]), 1);
        check(run(THIN, sixteen(0x8b, 0, 40, 2), new byte[512]), Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
    }

    @Test
    void concurrentOrWritesLoseNoBits() throws Exception {
        good(write16(THIN, 300, new byte[512]));
        settle(B, THIN);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.List<Future<ScsiResult>> done = new java.util.ArrayList<>();
            for (int bit = 0; bit < 8; bit++) {
                byte[] mask = new byte[512];
                Arrays.fill(mask, (byte) (1 << bit));
                ItNexus n = bit % 2 == 0 ? A : B;
                done.add(pool.submit(() -> run(n, THIN, sixteen(0x8b, 0, 300, 1), mask)));
            }
            for (Future<ScsiResult> f : done) {
                good(f.get());
            }
        }
        assertThat(thin.snapshot(300 * 512, 512)).containsOnly((byte) 0xff);
    }

    @Test
    void writeAtomicWritesUpToTheAdvertisedMaximum() {
        byte[] d = pattern(256 * 512, 9);
        good(run(THIN, cdb(0x9c, 0x18, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 1, 0, 0, 0), d));
        assertThat(thin.snapshot(48 * 512, d.length)).isEqualTo(d);
        // Whole physical blocks only: a misaligned start or a partial physical block is refused.
        invalidField(run(THIN, cdb(0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 0, 8, 0, 0), new byte[8 * 512]), 2);
        invalidField(run(THIN, cdb(0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0, 4, 0, 0), new byte[4 * 512]), 12);
        good(run(THIN, cdb(0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), null));
        invalidField(run(THIN, cdb(0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 1, 0, 0), new byte[2049 * 512]), 12);
        check(run(THIN, cdb(0x9c, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xf8, 0, 0, 0, 16, 0, 0), new byte[8192]),
                Sense.ILLEGAL_REQUEST, 0x21, 0);
        invalidField(run(THIN, cdb(0x9c, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), new byte[512]), 1);
        invalidField(run(THIN, cdb(0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0), new byte[512]), 11);
    }

    @Test
    void readDefectDataReturnsEmptyListsInTheRequestedFormat() {
        byte[] ten = data(run(THIN, 0x37, 0, 0x1b, 0, 0, 0, 0, 0, 32, 0));
        assertThat(ten).containsExactly(0, 0x1b, 0, 0);
        assertThat(data(run(THIN, 0x37, 0, 0, 0, 0, 0, 0, 0, 32, 0))).containsExactly(0, 0, 0, 0);
        byte[] twelve = data(run(THIN, 0xb7, 0x0d, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        assertThat(twelve).containsExactly(0, 0x0d, 0, 0, 0, 0, 0, 0);
        invalidField(run(THIN, 0x37, 0, 0x01, 0, 0, 0, 0, 0, 32, 0), 2);
        invalidField(run(THIN, 0xb7, 0x07, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), 1);
    }
}
