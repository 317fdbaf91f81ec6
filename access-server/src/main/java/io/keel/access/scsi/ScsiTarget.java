package io.keel.access.scsi;

import java.util.function.Consumer;

/**
 * The SCSI side of one target: its logical units, each command's execution, and what task
 * management does to SCSI state. Transports call it from many virtual threads at once; a call
 * blocks until the command is done. Aborting in-flight tasks is the transport's job; this side
 * clears reservations and raises unit attentions as SAM-5 requires.
 */
public interface ScsiTarget {

    /** Executes {@code command} (any LUN: an unknown one gets the proper sense or peripheral qualifier). */
    ScsiResult execute(ScsiCommand command);

    /**
     * Starts {@code command} without blocking the caller when it can (a READ whose data the
     * volume can fetch so, a WRITE the volume can take so): true, and {@code done} then gets its
     * result, on a thread of the storage's or this one; it must be quick and must not block.
     * False, having started nothing, when it is to be {@link #execute executed}.
     */
    default boolean start(ScsiCommand command, Consumer<ScsiResult> done) {
        return false;
    }

    /**
     * What identifies the logical unit {@code lun} addresses now (null: none, or a target whose
     * units never change). A transport takes it when a command arrives and refuses the command
     * with REPORTED LUNS DATA HAS CHANGED if it differs when the command is to run, so that a
     * command never runs on a volume the LUN was mapped to after it was sent.
     */
    default Object unitToken(int lun) {
        return null;
    }

    /**
     * The NAA identifier (VPD page 83h) of the logical unit {@code unitToken} (a {@link #unitToken})
     * stands for, or null when none. It is the same through every LUN, of any target, that reaches
     * the unit: task management and PREEMPT AND ABORT act on the unit's tasks whichever path they
     * came by, and on the unit a task was sent to, even if its LUN was remapped since.
     */
    default byte[] unitIdentifier(Object unitToken) {
        return null;
    }

    /** Whether the target was deleted: sessions still logged in to it are to be ended. */
    default boolean retired() {
        return false;
    }

    /**
     * Admits the Data-Out of {@code lun}'s command {@code cdb} ({@code bytes} in all) before the
     * transport asks for it; the admission goes with the command ({@link ScsiCommand#admission}).
     * When it {@link WriteAdmission#waits} (the logical unit's volume is held to a QoS limit), the
     * data is asked for only once {@code whenAdmitted} ran, so a throttled write does not hold the
     * portal's write buffers while it waits. The transport releases the admission when the command
     * ends (a command that ran spent it), which also cancels a callback not yet run.
     */
    default WriteAdmission admitData(int lun, byte[] cdb, long bytes, Runnable whenAdmitted) {
        return WriteAdmission.NONE;
    }

    /**
     * CHECK CONDITION with {@code sense} for a command to {@code lun} that the transport itself
     * ends (a refused transfer, a LUN remapped under it, lost data): in the sense data format
     * the unit's Control mode page asks for (D_SENSE).
     */
    default ScsiResult checkCondition(int lun, Sense sense) {
        return ScsiResult.checkCondition(sense);
    }

    /** Whether {@code lun} exists (task management to an unknown LUN is refused by the transport). */
    boolean hasLun(int lun);

    /**
     * ABORT TASK of {@code taskTag} from {@code nexus} on {@code lun}, called before the transport
     * waits for the task to end: a command that need not run to its end returns early (a SANITIZE,
     * whose operation goes on without it).
     */
    default void taskAborted(ItNexus nexus, int lun, long taskTag) {
    }

    /** ABORT TASK SET / CLEAR TASK SET from {@code nexus} on {@code lun}, after the transport aborted the tasks. */
    void taskSetAborted(ItNexus nexus, int lun);

    /**
     * Tasks that {@code nexus} sent to {@code lun} were aborted by another nexus (CLEAR TASK SET,
     * PREEMPT AND ABORT). They ended without a status (TAS is 0), so the nexus's next command there
     * finds COMMANDS CLEARED BY ANOTHER INITIATOR (SAM-5 5.6).
     */
    default void commandsCleared(ItNexus nexus, int lun) {
    }

    /** LOGICAL UNIT RESET from {@code nexus} on {@code lun}, after the transport aborted that LUN's tasks. */
    void logicalUnitReset(ItNexus nexus, int lun);

    /** TARGET WARM RESET from {@code nexus}, after the transport aborted every task of the target. */
    void targetReset(ItNexus nexus);

    /**
     * TARGET COLD RESET from {@code nexus}, after the transport aborted every task of the target
     * (it then closes the target's sessions): a warm reset reported as a power-on. Transports
     * without a distinct cold reset may leave it at that.
     */
    default void targetColdReset(ItNexus nexus) {
        targetReset(nexus);
    }

    /** {@code nexus} is gone (its session ended); state kept per nexus that does not outlive it is dropped. */
    void nexusLost(ItNexus nexus);
}
