package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link ScsiTarget#start}: a READ that nothing stands in the way of starts without blocking and
 * answers what {@link ScsiTarget#execute} would; anything else is left to execute.
 */
class StartedReadTest extends ScsiFixture {

    private static final byte[] READ_10 = cdb(0x28, 0, 0, 0, 0, 8, 0, 0, 4, 0);
    private static final byte[] WRITE_10 = cdb(0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0);

    private static ScsiCommand command(final ItNexus nexus, final int lun, final byte[] cdb) {
        return new ScsiCommand(nexus, lun, cdb, TaskAttribute.SIMPLE, 7, 4 * 512, null);
    }

    /** Starts {@code cdb} and waits for its result; null when it did not start. */
    private ScsiResult started(final ItNexus nexus, final int lun, final byte[] cdb) throws Exception {
        CompletableFuture<ScsiResult> done = new CompletableFuture<>();
        if (!target.start(command(nexus, lun, cdb), done::complete)) {
            return null;
        }
        ScsiResult result = done.get(10, TimeUnit.SECONDS);
        assertThat(result).isNotNull();
        return result;
    }

    /** Writes 16 blocks of a pattern from LBA 0, so that every block reads back different. */
    private void writeSomething(final int lun) {
        byte[] blocks = new byte[16 * 512];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = (byte) (i * 7 + i / 512);
        }
        good(run(A, lun, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 16, 0), blocks));
    }

    @Test
    void aPlainReadStartsAndAnswersWhatExecuteDoes() throws Exception {
        settle(A, FULL);
        writeSomething(FULL);
        ScsiResult result = started(A, FULL, READ_10);
        assertThat(data(result)).isEqualTo(data(run(A, FULL, READ_10, null)));
        assertThat(full.startedReads).hasValue(1);
        result.release();
    }

    @Test
    void aReadThatIsNotWholePhysicalBlocksStartsAndAnswersJustItsBlocks() throws Exception {
        settle(A, FULL);
        writeSomething(FULL);
        // LBA 5, 9 blocks: from inside one 4 KiB block to inside the next but one.
        byte[] unaligned = cdb(0x28, 0, 0, 0, 0, 5, 0, 0, 9, 0);
        ScsiResult result = started(A, FULL, unaligned);
        assertThat(result.dataIn().remaining()).isEqualTo(9 * 512);
        assertThat(data(result)).isEqualTo(data(run(A, FULL, unaligned, null)));
        result.release();
    }

    @Test
    void aNexusWithAUnitAttentionIsLeftToExecuteWhichReportsIt() throws Exception {
        assertThat(started(A, FULL, READ_10)).as("power-on condition pending").isNull();
        check(run(A, FULL, READ_10, null), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertThat(started(A, FULL, READ_10)).isNotNull();
    }

    @Test
    void conflictsBadCdbsAndOtherCommandsAreLeftToExecute() throws Exception {
        settle(A, THIN);
        thinReservations.conflictFor = A;
        assertThat(started(A, THIN, READ_10)).as("reservation conflict").isNull();
        thinReservations.conflictFor = null;
        byte[] pastTheEnd = cdb(0x28, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 1, 0);
        assertThat(started(A, THIN, pastTheEnd)).as("LBA out of range").isNull();
        check(run(A, THIN, pastTheEnd, null), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        assertThat(started(A, THIN, cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0))).as("nothing to read").isNull();
        assertThat(started(A, THIN, WRITE_10)).as("a write without its data").isNull();
        assertThat(started(A, 77, READ_10)).as("no such LUN").isNull();
        assertThat(thin.startedReads).hasValue(0);
    }

    @Test
    void aReadTheBackendFailsAnswersMediumErrorAsExecuteWould() throws Exception {
        settle(A, FULL);
        full.failReads = true;
        check(started(A, FULL, READ_10), Sense.MEDIUM_ERROR, 0x11, 0x00);
        check(run(A, FULL, READ_10, null), Sense.MEDIUM_ERROR, 0x11, 0x00);
    }

    @Test
    void aBackendThatDeclinesLeavesTheReadToExecute() throws Exception {
        settle(A, FULL);
        full.startReads = false;
        assertThat(started(A, FULL, READ_10)).isNull();
    }
}
