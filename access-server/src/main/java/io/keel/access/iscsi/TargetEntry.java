package io.keel.access.iscsi;

import io.keel.access.scsi.ScsiTarget;
import java.util.List;

/**
 * One target as a portal serves it.
 *
 * @param iqn the target's iSCSI name
 * @param alias the TargetAlias, or {@code null}
 * @param allowedInitiators the initiator names that may log in; empty admits any (CHAP still applies)
 * @param chap CHAP secrets, or {@code null} when the target needs no authentication
 * @param scsi the target's logical units
 */
public record TargetEntry(String iqn, String alias, List<String> allowedInitiators, ChapSecrets chap,
        ScsiTarget scsi) {

    /** Freezes the list. */
    public TargetEntry {
        allowedInitiators = List.copyOf(allowedInitiators);
    }

    /** Whether {@code initiatorName} may log in (compared case-insensitively, as iSCSI names are). */
    public boolean admits(final String initiatorName) {
        return admits(allowedInitiators, initiatorName);
    }

    /** Whether a target allowing {@code allowedInitiators} (empty: any) admits {@code initiatorName}. */
    public static boolean admits(final List<String> allowedInitiators, final String initiatorName) {
        return allowedInitiators.isEmpty()
                || allowedInitiators.stream().anyMatch(allowed -> allowed.equalsIgnoreCase(initiatorName));
    }
}
