package io.keel.access.scsi.reservation;

import io.keel.access.scsi.ItNexus;
import java.util.Locale;

/**
 * One registered I_T nexus (or, with {@code allTargetPorts}, one initiator port through every
 * target port) and its reservation key.
 */
record Registration(String initiatorName, String isid, String targetName, int portalGroupTag,
        boolean allTargetPorts, long key) {

    Registration {
        isid = isid.toLowerCase(Locale.ROOT);
    }

    static Registration of(final ItNexus nexus, final boolean allTargetPorts, final long key) {
        return new Registration(nexus.initiatorName(), nexus.isid(), nexus.targetName(), nexus.portalGroupTag(),
                allTargetPorts, key);
    }

    /** Whether commands from {@code nexus} act under this registration. */
    boolean matches(final ItNexus nexus) {
        if (!sameInitiatorPort(nexus)) {
            return false;
        }
        return allTargetPorts
                || (targetName.equals(nexus.targetName()) && portalGroupTag == nexus.portalGroupTag());
    }

    /** Whether this registration is of {@code nexus}'s initiator port (through any target port). */
    boolean sameInitiatorPort(final ItNexus nexus) {
        return initiatorName.equals(nexus.initiatorName()) && isid.equalsIgnoreCase(nexus.isid());
    }

    /** The nexus this registration was made through (where its unit attentions go). */
    ItNexus nexus() {
        return new ItNexus(initiatorName, isid, targetName, portalGroupTag);
    }

    Registration withKey(final long newKey) {
        return new Registration(initiatorName, isid, targetName, portalGroupTag, allTargetPorts, newKey);
    }

    String initiatorPortName() {
        return initiatorName + ",i,0x" + isid;
    }
}
