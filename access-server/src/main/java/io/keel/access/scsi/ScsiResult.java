package io.keel.access.scsi;

import java.nio.ByteBuffer;
import java.util.function.Predicate;

/**
 * How a command ended: its status, the data for the initiator (a read's blocks, an INQUIRY's
 * page; the transport sends at most the expected transfer length and reports the residual) and,
 * with CHECK CONDITION, the sense data.
 *
 * @param status a {@link ScsiStatus} code
 * @param dataIn data-in positioned at its start, or {@code null} when none
 * @param sense fixed-format sense data (SPC-4 4.5.3), or {@code null} when the status is not CHECK CONDITION
 * @param dataInLease gives data-in back to the pool it was lent from, or {@code null} when it is the result's own
 * @param abortTasksOf the I_T nexuses whose tasks on the command's logical unit are to be aborted before
 *     this result is sent (PERSISTENT RESERVE OUT with PREEMPT AND ABORT), or {@code null}: see
 *     {@link #afterAbortingTasksOf}
 */
public record ScsiResult(int status, ByteBuffer dataIn, byte[] sense, Runnable dataInLease,
        Predicate<ItNexus> abortTasksOf) {

    private static final ScsiResult GOOD = new ScsiResult(ScsiStatus.GOOD, null, null);

    /** A result whose data-in (if any) is its own. */
    public ScsiResult(final int status, final ByteBuffer dataIn, final byte[] sense) {
        this(status, dataIn, sense, null, null);
    }

    /** A result that aborts no other tasks. */
    public ScsiResult(final int status, final ByteBuffer dataIn, final byte[] sense, final Runnable dataInLease) {
        this(status, dataIn, sense, dataInLease, null);
    }

    /**
     * This result, to be sent only once the transport has aborted every task that an I_T nexus
     * {@code preempted} accepts has sent to the command's logical unit (through any target that
     * exports it), except the command itself, and none of them can still change the medium
     * (SPC-4 5.13.11.2.6, PREEMPT AND ABORT: fencing a host must stop its writes in flight too).
     * Only a result of {@link ScsiTarget#execute} may carry it; a started command's never does.
     */
    public ScsiResult afterAbortingTasksOf(final Predicate<ItNexus> preempted) {
        return new ScsiResult(status, dataIn, sense, dataInLease, preempted);
    }

    /** GOOD with no data. */
    public static ScsiResult good() {
        return GOOD;
    }

    /** GOOD with {@code data} for the initiator. */
    public static ScsiResult good(final ByteBuffer data) {
        return new ScsiResult(ScsiStatus.GOOD, data, null);
    }

    /**
     * GOOD with {@code data} lent from a pool: whoever takes the result calls {@link #release} once
     * the data is sent (or will not be), and must not touch the data afterwards.
     */
    public static ScsiResult good(final ByteBuffer data, final Runnable lease) {
        return new ScsiResult(ScsiStatus.GOOD, data, null, lease);
    }

    /** This result, with {@code more} run after its own release, once the transport is done with it. */
    public ScsiResult alsoOnRelease(final Runnable more) {
        Runnable own = dataInLease;
        Runnable both = own == null ? more : () -> {
            try {
                own.run();
            } finally {
                more.run();
            }
        };
        return new ScsiResult(status, dataIn, sense, both, abortTasksOf);
    }

    /** Gives lent data-in back (nothing for a result that owns its data); call once, after the last use. */
    public void release() {
        if (dataInLease != null) {
            dataInLease.run();
        }
    }

    /** CHECK CONDITION with {@code sense}. */
    public static ScsiResult checkCondition(final Sense sense) {
        return new ScsiResult(ScsiStatus.CHECK_CONDITION, null, sense.toFixedFormat());
    }

    /** A status without data or sense (RESERVATION CONFLICT, BUSY, TASK SET FULL). */
    public static ScsiResult status(final int status) {
        return new ScsiResult(status, null, null);
    }
}
