package io.keel.access.scsi;

import java.nio.ByteBuffer;

/**
 * One SCSI command as the transport hands it to a {@link ScsiTarget}, with all of its data-out
 * already received.
 *
 * @param nexus who sent it
 * @param lun the logical unit number (0–16383, flat or peripheral addressing decoded by the transport)
 * @param cdb the command descriptor block (6 to 16 bytes, or more with additional CDB segments)
 * @param attribute the task attribute
 * @param taskTag the transport's tag for the task (for logs and ABORT TASK)
 * @param expectedDataTransferLength bytes the initiator expects to send (write) or receive (read)
 * @param dataOut the data the initiator sent, positioned at its start ({@code null} or empty when none)
 * @param admission what the logical unit's volume took ahead for this write before its data was
 *     asked for ({@link ScsiTarget#admitData}), or {@code null}
 */
public record ScsiCommand(ItNexus nexus, int lun, byte[] cdb, TaskAttribute attribute, long taskTag,
        int expectedDataTransferLength, ByteBuffer dataOut, WriteAdmission admission) {

    /** A command that was not admitted ahead. */
    public ScsiCommand(final ItNexus nexus, final int lun, final byte[] cdb, final TaskAttribute attribute,
            final long taskTag, final int expectedDataTransferLength, final ByteBuffer dataOut) {
        this(nexus, lun, cdb, attribute, taskTag, expectedDataTransferLength, dataOut, null);
    }

    /** The operation code (the CDB's first byte, 0–255). */
    public int opcode() {
        return cdb[0] & 0xff;
    }
}
