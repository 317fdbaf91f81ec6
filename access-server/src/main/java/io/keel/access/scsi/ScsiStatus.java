package io.keel.access.scsi;

/** SAM-5 status codes a command can end with. */
public final class ScsiStatus {
    /** The command completed. */
    public static final int GOOD = 0x00;
    /** Sense data describes why the command failed. */
    public static final int CHECK_CONDITION = 0x02;
    /** Task set full or the unit is busy: retry later. */
    public static final int BUSY = 0x08;
    /** Another nexus holds a reservation that excludes this command. */
    public static final int RESERVATION_CONFLICT = 0x18;
    /** Too many tasks for this nexus: retry later. */
    public static final int TASK_SET_FULL = 0x28;
    /** The task was aborted by another nexus. */
    public static final int TASK_ABORTED = 0x40;

    private ScsiStatus() {
    }
}
