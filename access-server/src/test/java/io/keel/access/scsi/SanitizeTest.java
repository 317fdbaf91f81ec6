package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.runtime.time.ManualClock;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SanitizeTest extends ScsiFixture {

    private static final int THIN_BLOCKS = (16 << 20) / 512;

    @BeforeEach
    void clearPowerOn() {
        settle(A, THIN);
        settle(A, FULL);
    }

    private static byte[] sanitize(final int flagsAndAction, final int length) {
        return cdb(0x48, flagsAndAction, 0, 0, 0, 0, 0, length >> 8, length, 0);
    }

    private static byte[] overwriteParameters(final int count, final byte[] pattern) {
        byte[] p = new byte[4 + pattern.length];
        p[0] = (byte) count;
        Bytes.put16(p, 2, pattern.length);
        System.arraycopy(pattern, 0, p, 4, pattern.length);
        return p;
    }

    private void writeA(final int lun, final long lba) {
        byte[] a = new byte[256 * 512];
        Arrays.fill(a, (byte) 'a');
        good(run(lun, cdb(0x8a, 0, 0, 0, 0, 0, (int) (lba >> 24), (int) (lba >> 16), (int) (lba >> 8), (int) lba,
                0, 0, 1, 0, 0, 0), a));
    }

    @Test
    void overwriteWritesThePatternEverywhere() {
        writeA(THIN, 0);
        writeA(THIN, THIN_BLOCKS - 256);
        byte[] half = new byte[256];
        Arrays.fill(half, (byte) 0xaa);
        half[0] = 1;
        good(run(THIN, sanitize(0x01, 260), overwriteParameters(1, half)));
        byte[] expected = new byte[512];
        Arrays.fill(expected, (byte) 0xaa);
        expected[0] = 1;
        expected[256] = 1;
        assertThat(thin.snapshot(0, 512)).isEqualTo(expected);
        assertThat(thin.snapshot((THIN_BLOCKS - 1) * 512L, 512)).isEqualTo(expected);
        good(run(FULL, sanitize(0x01, 8), overwriteParameters(3, new byte[] {1, 2, 3, 4})));
        assertThat(full.snapshot(4096, 8)).containsExactly(1, 2, 3, 4, 1, 2, 3, 4);
        byte[] inverted = overwriteParameters(0x82, new byte[] {0x0f, 0x0f, 0x0f, 0x0f});
        good(run(FULL, sanitize(0x01, 8), inverted));
        assertThat(full.snapshot(0, 4)).containsOnly((byte) 0xf0);
    }

    @Test
    void overwriteParameterErrors() {
        for (int length = 0; length < 5; length++) {
            invalidField(run(THIN, sanitize(0x01, length), new byte[8]), 7);
        }
        invalidField(run(THIN, sanitize(0x01, 517), new byte[520]), 7);
        byte[] countZero = overwriteParameters(0, new byte[512]);
        check(run(THIN, sanitize(0x01, 516), countZero), Sense.ILLEGAL_REQUEST, 0x26, 0);
        byte[] noPattern = new byte[516];
        noPattern[0] = 1;
        check(run(THIN, sanitize(0x01, 516), noPattern), Sense.ILLEGAL_REQUEST, 0x26, 0);
        byte[] tooLong = new byte[516];
        tooLong[0] = 1;
        Bytes.put16(tooLong, 2, 516);
        check(run(THIN, sanitize(0x01, 516), tooLong), Sense.ILLEGAL_REQUEST, 0x26, 0);
        invalidField(run(THIN, sanitize(0x41, 8), overwriteParameters(1, new byte[4])), 1);
        invalidField(run(THIN, cdb(0x48, 0x01, 0, 1, 0, 0, 0, 0, 8, 0), overwriteParameters(1, new byte[4])), 3);
    }

    @Test
    void erasesDeallocateThinVolumesAndAreNotOfferedOnFullOnes() {
        writeA(THIN, 0);
        writeA(THIN, THIN_BLOCKS - 256);
        good(run(THIN, sanitize(0x02, 0), null));
        assertThat(thin.allocation(0, 16 << 20)).extracting(BlockBackend.AllocationRun::mapped).containsOnly(false);
        assertThat(thin.snapshot(0, 4096)).containsOnly(0);
        writeA(THIN, 0);
        good(run(THIN, sanitize(0x03, 0), null));
        assertThat(thin.snapshot(0, 4096)).containsOnly(0);
        invalidField(run(THIN, sanitize(0x02, 8), new byte[8]), 7);
        invalidField(run(THIN, sanitize(0x03, 8), new byte[8]), 7);
        invalidField(run(THIN, sanitize(0x1f, 8), new byte[8]), 7);
        good(run(THIN, sanitize(0x1f, 0), null));
        invalidField(run(FULL, sanitize(0x02, 0), null), 1);
        for (int sa : new int[] {0, 4, 5, 0x10, 0x1e}) {
            invalidField(run(THIN, sanitize(sa, 0), null), 1);
        }
        byte[] b1 = data(run(THIN, 0x12, 1, 0xb1, 0, 255, 0));
        assertThat(b1[7] & 0xf0).as("WABEREQ, WACEREQ").isEqualTo(0x50);
        assertThat(data(run(FULL, 0x12, 1, 0xb1, 0, 255, 0))[7]).isZero();
    }

    /** A target over {@code disk} whose SANITIZE pacing follows {@code clock}. */
    private static BlockTarget pacedTarget(final MemoryBackend disk, final ManualClock clock) {
        return new BlockTarget(List.of(new LunSpec(0, disk, FakeReservations::new)), TargetOptions.defaults(), clock);
    }

    @Test
    void overwriteIsPacedByTheClock() throws Exception {
        ManualClock clock = new ManualClock();
        MemoryBackend disk = new MemoryBackend("vol-paced", 4 << 20, false);
        BlockTarget paced = pacedTarget(disk, clock);
        ScsiCommand tur = new ScsiCommand(A, 0, cdb(0, 0, 0, 0, 0, 0), TaskAttribute.SIMPLE, 1, 0, null);
        paced.execute(tur); // the power-on unit attention
        byte[] p = overwriteParameters(1, new byte[] {9, 9, 9, 9});
        good(paced.execute(new ScsiCommand(A, 0, sanitize(0x81, 8), TaskAttribute.SIMPLE, 2, 8, ByteBuffer.wrap(p))));
        check(paced.execute(tur), Sense.NOT_READY, 0x04, 0x1b);
        for (int i = 0; i < 2000 && paced.execute(tur).status() != ScsiStatus.GOOD; i++) {
            clock.advance(Duration.ofMillis(1));
            Thread.sleep(1);
        }
        good(paced.execute(tur));
        long oneVolume = (4L << 20) * 1_000_000_000L / Sanitize.OVERWRITE_BYTES_PER_SECOND;
        assertThat(clock.nanoTime()).as("4 MiB at the OVERWRITE rate").isGreaterThanOrEqualTo(oneVolume);
        assertThat(disk.snapshot((4 << 20) - 4, 4)).containsOnly(9);
    }

    @Test
    void abortingTheWaitingCommandLeavesTheOperationRunning() throws Exception {
        ManualClock clock = new ManualClock();
        MemoryBackend disk = new MemoryBackend("vol-paced", 4 << 20, false);
        BlockTarget paced = pacedTarget(disk, clock);
        ScsiCommand tur = new ScsiCommand(A, 0, cdb(0, 0, 0, 0, 0, 0), TaskAttribute.SIMPLE, 1, 0, null);
        paced.execute(tur);
        byte[] p = overwriteParameters(1, new byte[] {3, 3, 3, 3});
        java.util.concurrent.CompletableFuture<ScsiResult> waiting = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> paced.execute(new ScsiCommand(A, 0, sanitize(0x01, 8), TaskAttribute.SIMPLE, 77, 8,
                        ByteBuffer.wrap(p))));
        for (int i = 0; i < 2000 && paced.execute(tur).status() == ScsiStatus.GOOD; i++) {
            Thread.sleep(1);
        }
        paced.taskAborted(B, 0, 77);
        paced.taskAborted(A, 0, 78);
        assertThat(waiting).isNotDone();
        paced.taskAborted(A, 0, 77);
        assertThat(waiting.get().status()).isEqualTo(ScsiStatus.TASK_ABORTED);
        check(paced.execute(tur), Sense.NOT_READY, 0x04, 0x1b);
        for (int i = 0; i < 2000 && paced.execute(tur).status() != ScsiStatus.GOOD; i++) {
            clock.advance(Duration.ofMillis(1));
            Thread.sleep(1);
        }
        assertThat(disk.snapshot((4 << 20) - 4, 4)).containsOnly(3);
    }

    @Test
    void whileSanitizingTheUnitIsNotReadyButStillIdentifiesItself() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        thin.writeGate = gate;
        good(run(THIN, sanitize(0x81, 8), overwriteParameters(1, new byte[] {5, 5, 5, 5})));
        check(run(THIN, 0, 0, 0, 0, 0, 0), Sense.NOT_READY, 0x04, 0x1b);
        check(run(B, THIN, cdb(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), null), Sense.NOT_READY, 0x04, 0x1b);
        check(run(THIN, sanitize(0x02, 0), null), Sense.NOT_READY, 0x04, 0x1b);
        good(run(THIN, 0x12, 0, 0, 0, 255, 0));
        byte[] sense = data(run(THIN, 0x03, 0, 0, 0, 252, 0));
        assertThat(key(sense)).isEqualTo(new Key(Sense.NOT_READY, 0x04, 0x1b));
        target.logicalUnitReset(A, THIN);
        target.nexusLost(A);
        check(run(THIN, 0, 0, 0, 0, 0, 0), Sense.NOT_READY, 0x04, 0x1b);
        gate.countDown();
        for (int i = 0; i < 500 && run(THIN, 0, 0, 0, 0, 0, 0).status() != ScsiStatus.GOOD; i++) {
            Thread.sleep(10);
        }
        assertThat(thin.snapshot((THIN_BLOCKS - 1) * 512L, 4)).containsOnly(5);
    }
}
