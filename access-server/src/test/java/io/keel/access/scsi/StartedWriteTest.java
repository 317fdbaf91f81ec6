package io.keel.access.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link ScsiTarget#start} of WRITEs: one that nothing stands in the way of and that brings all
 * its data starts without blocking and answers what {@link ScsiTarget#execute} would; anything
 * else is left to execute.
 */
class StartedWriteTest extends ScsiFixture {

    /** WRITE(10) of 4 blocks at LBA 8. */
    private static final byte[] WRITE_10 = cdb(0x2a, 0, 0, 0, 0, 8, 0, 0, 4, 0);
    private static final byte[] READ_10 = cdb(0x28, 0, 0, 0, 0, 8, 0, 0, 4, 0);

    /** Starts {@code cdb} with {@code dataOut} and waits for its result; null when it did not start. */
    private ScsiResult started(final ItNexus nexus, final int lun, final byte[] cdb, final byte[] dataOut)
            throws Exception {
        ScsiCommand command = new ScsiCommand(nexus, lun, cdb, TaskAttribute.SIMPLE, 9,
                dataOut == null ? 0 : dataOut.length, dataOut == null ? null : java.nio.ByteBuffer.wrap(dataOut));
        CompletableFuture<ScsiResult> done = new CompletableFuture<>();
        if (!target.start(command, done::complete)) {
            return null;
        }
        ScsiResult result = done.get(10, TimeUnit.SECONDS);
        assertThat(result).isNotNull();
        return result;
    }

    @Test
    void aPlainWriteStartsAnswersGoodOnceWrittenAndReadsBack() throws Exception {
        settle(A, FULL);
        byte[] data = pattern(4 * 512, 1);
        good(started(A, FULL, WRITE_10, data));
        assertThat(full.startedWrites).hasValue(1);
        assertThat(data(run(A, FULL, READ_10, null))).isEqualTo(data);
        // WRITE(16), unaligned to the 4 KiB physical blocks: the backend takes any whole logical blocks.
        byte[] more = pattern(3 * 512, 2);
        good(started(A, FULL, cdb(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0), more));
        assertThat(data(run(A, FULL, cdb(0x28, 0, 0, 0, 0, 5, 0, 0, 3, 0), null))).isEqualTo(more);
        assertThat(full.startedWrites).hasValue(2);
    }

    @Test
    void aWriteWithLessDataThanItsCdbAsksForIsLeftToExecute() throws Exception {
        settle(A, FULL);
        assertThat(started(A, FULL, WRITE_10, pattern(2 * 512, 3))).isNull();
        assertThat(started(A, FULL, WRITE_10, null)).isNull();
        assertThat(full.startedWrites).hasValue(0);
    }

    @Test
    void unitAttentionsConflictsProtectionAndBadCdbsAreLeftToExecute() throws Exception {
        byte[] data = pattern(4 * 512, 4);
        assertThat(started(A, THIN, WRITE_10, data)).as("power-on condition pending").isNull();
        settle(A, THIN);
        thinReservations.conflictFor = A;
        assertThat(started(A, THIN, WRITE_10, data)).as("reservation conflict").isNull();
        thinReservations.conflictFor = null;
        byte[] pastTheEnd = cdb(0x2a, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 1, 0);
        assertThat(started(A, THIN, pastTheEnd, pattern(512, 5))).as("LBA out of range").isNull();
        check(run(A, THIN, pastTheEnd, pattern(512, 5)), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        assertThat(started(A, THIN, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 0, 0), new byte[0])).as("nothing to write")
                .isNull();
        assertThat(started(A, THIN, cdb(0x2e, 0, 0, 0, 0, 8, 0, 0, 4, 0), data)).as("WRITE AND VERIFY").isNull();

        byte[] control = Arrays.copyOfRange(data(run(THIN, 0x1a, 0x08, 0x0a, 0, 255, 0)), 0, 16);
        control[0] = 0;
        control[8] |= 0x08;
        good(run(A, THIN, cdb(0x15, 0x10, 0, 0, 16, 0), control));
        assertThat(started(A, THIN, WRITE_10, data)).as("software write protected").isNull();
        check(run(A, THIN, WRITE_10, data), Sense.DATA_PROTECT, 0x27, 0x02);
        assertThat(thin.startedWrites).hasValue(0);
    }

    @Test
    void aWriteTheBackendFailsAnswersMediumErrorAsExecuteWould() throws Exception {
        settle(A, FULL);
        full.failWrites = true;
        check(started(A, FULL, WRITE_10, pattern(4 * 512, 6)), Sense.MEDIUM_ERROR, 0x0c, 0x00);
        check(run(A, FULL, WRITE_10, pattern(4 * 512, 6)), Sense.MEDIUM_ERROR, 0x0c, 0x00);
    }

    @Test
    void aWriteTheStoreHasNoSpaceForAnswersSpaceAllocationFailedStartedOrExecuted() throws Exception {
        settle(A, FULL);
        full.outOfSpace = true;
        check(started(A, FULL, WRITE_10, pattern(4 * 512, 6)), Sense.DATA_PROTECT, 0x27, 0x07);
        check(run(A, FULL, WRITE_10, pattern(4 * 512, 6)), Sense.DATA_PROTECT, 0x27, 0x07);
    }

    @Test
    void aBackendThatDeclinesLeavesTheWriteToExecute() throws Exception {
        settle(A, FULL);
        full.startWrites = false;
        assertThat(started(A, FULL, WRITE_10, pattern(4 * 512, 7))).isNull();
    }
}
