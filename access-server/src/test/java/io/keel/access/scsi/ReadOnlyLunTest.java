package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A LUN exported read-only: MODE SENSE shows WP, every command that changes the medium ends in
 * DATA PROTECT / WRITE PROTECTED (27h/00h) and changes nothing, reads and everything else work,
 * and changing the setting makes a new unit.
 */
class ReadOnlyLunTest {

    private static final ItNexus A = ScsiFixture.A;
    private static final int LUN = 3;
    private static final int BLOCK = 512;

    private final MemoryBackend volume = new MemoryBackend("vol-ro-0001", 4 << 20, true);
    private final BlockTarget target = new BlockTarget(List.of(new LunSpec(LUN, volume, FakeReservations::new, true)),
            TargetOptions.defaults());
    private byte[] before;

    @BeforeEach
    void fillAndSettle() throws Exception {
        byte[] pattern = ScsiFixture.pattern(8 * BLOCK, 7);
        volume.write(0, ByteBuffer.wrap(pattern));
        before = pattern;
        settle();
    }

    private ScsiResult run(final byte[] cdb, final byte[] dataOut) {
        return target.execute(new ScsiCommand(A, LUN, cdb, TaskAttribute.SIMPLE, 1,
                dataOut == null ? 0 : dataOut.length, dataOut == null ? null : ByteBuffer.wrap(dataOut)));
    }

    private void settle() {
        for (int i = 0; i < 10 && run(ScsiFixture.cdb(0, 0, 0, 0, 0, 0), null).status() != ScsiStatus.GOOD; i++) {
            assertThat(i).isLessThan(9);
        }
    }

    private static void writeProtected(final ScsiResult r) {
        ScsiFixture.check(r, Sense.DATA_PROTECT, 0x27, 0x00);
    }

    @Test
    void modeSenseShowsWriteProtectedButNotAsChangeable() {
        byte[] six = ScsiFixture.data(run(ScsiFixture.cdb(0x1a, 0x08, 0x3f, 0, 255, 0), null));
        assertThat(six[2] & 0x80).as("WP, MODE SENSE(6)").isEqualTo(0x80);
        byte[] ten = ScsiFixture.data(run(ScsiFixture.cdb(0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0, 255, 0), null));
        assertThat(ten[3] & 0x80).as("WP, MODE SENSE(10)").isEqualTo(0x80);
        byte[] changeable = ScsiFixture.data(run(ScsiFixture.cdb(0x1a, 0x08, 0x7f, 0, 255, 0), null));
        assertThat(changeable[2] & 0x80).isZero();
    }

    @Test
    void everyCommandThatChangesTheMediumIsRefusedAndChangesNothing() {
        byte[] block = new byte[BLOCK];
        byte[] unmapList = new byte[24];
        ByteBuffer.wrap(unmapList).putShort((short) 22).putShort((short) 16).putInt(0).putLong(0).putInt(8);
        List<byte[]> writes = List.of(
                ScsiFixture.cdb(0x0a, 0, 0, 0, 1, 0),
                ScsiFixture.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0),
                ScsiFixture.cdb(0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0),
                ScsiFixture.cdb(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0),
                ScsiFixture.cdb(0x2e, 0, 0, 0, 0, 0, 0, 0, 1, 0),
                ScsiFixture.cdb(0x41, 0x08, 0, 0, 0, 0, 0, 0, 8, 0),
                ScsiFixture.cdb(0x93, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0));
        for (byte[] cdb : writes) {
            writeProtected(run(cdb, block));
        }
        writeProtected(run(ScsiFixture.cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0), unmapList));
        byte[] compareAndWrite = new byte[2 * BLOCK];
        System.arraycopy(before, 0, compareAndWrite, 0, BLOCK);
        writeProtected(run(ScsiFixture.cdb(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), compareAndWrite));
        writeProtected(run(ScsiFixture.cdb(0x48, 0x02, 0, 0, 0, 0, 0, 0, 0, 0), null));
        byte[] read = ScsiFixture.data(run(ScsiFixture.cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0), null));
        assertThat(read).isEqualTo(before);
    }

    @Test
    void readsSynchronizeCacheAndVerifyWork() {
        ScsiFixture.good(run(ScsiFixture.cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0), null));
        ScsiFixture.good(run(ScsiFixture.cdb(0x2f, 0, 0, 0, 0, 0, 0, 0, 8, 0), null));
        byte[] read = ScsiFixture.data(run(ScsiFixture.cdb(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0), null));
        assertThat(read).isEqualTo(before);
    }

    @Test
    void aWriteIsNotStartedOnTheFastPath() throws Exception {
        ScsiCommand write = new ScsiCommand(A, LUN, ScsiFixture.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0),
                TaskAttribute.SIMPLE, 1, BLOCK, ByteBuffer.wrap(new byte[BLOCK]));
        assertThat(target.start(write, r -> { })).isFalse();
        writeProtected(target.execute(write));
        ScsiCommand read = new ScsiCommand(A, LUN, ScsiFixture.cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0),
                TaskAttribute.SIMPLE, 2, 0, null);
        CompletableFuture<ScsiResult> done = new CompletableFuture<>();
        assertThat(target.start(read, done::complete)).isTrue();
        assertThat(ScsiFixture.data(done.get(10, TimeUnit.SECONDS))).isEqualTo(Arrays.copyOf(before, BLOCK));
    }

    @Test
    void makingTheLunWritableMakesANewUnitThatTakesWrites() {
        assertThat(target.update(List.of(new LunSpec(LUN, volume, FakeReservations::new, false)))).isTrue();
        ScsiResult first = run(ScsiFixture.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0), new byte[BLOCK]);
        assertThat(first.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(ScsiFixture.key(first.sense()).key()).isEqualTo(Sense.UNIT_ATTENTION);
        settle();
        ScsiFixture.good(run(ScsiFixture.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0), new byte[BLOCK]));
        byte[] sensed = ScsiFixture.data(run(ScsiFixture.cdb(0x1a, 0x08, 0x3f, 0, 255, 0), null));
        assertThat(sensed[2] & 0x80).isZero();
    }
}
