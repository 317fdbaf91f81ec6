package io.keel.access.scsi;

/**
 * An I_T nexus: which initiator port talks to which target port. For iSCSI the initiator port
 * is the initiator's name with its session's ISID ({@code iqn...,i,0x<isid>}) and the target port
 * the target's name with the portal group tag; reservations and unit attentions are kept per
 * nexus.
 *
 * @param initiatorName the initiator's iSCSI name
 * @param isid the session's ISID, 6 bytes as 12 lower-case hex digits
 * @param targetName the target's iSCSI name
 * @param portalGroupTag the target portal group tag (the relative target port identifier)
 */
public record ItNexus(String initiatorName, String isid, String targetName, int portalGroupTag) {

    /** The initiator port name, {@code <initiatorName>,i,0x<isid>} (SPC-4 TransportID format 01b). */
    public String initiatorPortName() {
        return initiatorName + ",i,0x" + isid;
    }

    /** The target port name, {@code <targetName>,t,0x<tpgt as 4 hex digits>}. */
    public String targetPortName() {
        return targetName + ",t,0x" + String.format("%04x", portalGroupTag);
    }
}
