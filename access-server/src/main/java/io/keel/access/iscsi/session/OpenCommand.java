package io.keel.access.iscsi.session;

import java.time.Duration;

/**
 * A SCSI command that has had no status yet, as a health check or an admin sees it: who sent it, to
 * which LUN of which target, how long ago, and how far it got.
 *
 * @param initiator the initiator's iSCSI name
 * @param target the target's IQN
 * @param lun the LUN it addressed
 * @param opcode the CDB's operation code
 * @param stage how far it got: waiting for earlier tasks, running, aborted and still running, or left
 *     running by a session that ended
 * @param age how long since its data was all in (since it arrived, for a command without data-out)
 */
public record OpenCommand(String initiator, String target, int lun, int opcode, String stage, Duration age) {

    /** The one of {@code a} and {@code b} (either may be null) that has been open longer. */
    static OpenCommand older(final OpenCommand a, final OpenCommand b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return b.age.compareTo(a.age) > 0 ? b : a;
    }

    @Override
    public String toString() {
        return String.format("opcode %02Xh to %s LUN %d from %s, %s for %d s", opcode, target, lun, initiator, stage,
                age.toSeconds());
    }
}
