package io.keel.access.iscsi;

import io.keel.access.scsi.ScsiTarget;
import java.security.MessageDigest;
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

    /**
     * Whether an initiator logged in to {@code from} as {@code initiatorName} could log in here with
     * what it proved there: this target admits the name and needs no CHAP, or needs the very CHAP
     * user and secret {@code from} made it prove. What one of its commands may reach in this target
     * (an EXTENDED COPY naming a unit of it) must not be more than it could reach by logging in.
     */
    public boolean reachableFrom(final TargetEntry from, final String initiatorName) {
        if (!admits(initiatorName)) {
            return false;
        }
        if (chap == null) {
            return true;
        }
        return from.chap() != null && from.chap().username().equals(chap.username())
                && MessageDigest.isEqual(from.chap().secret(), chap.secret());
    }

    /** Whether a target allowing {@code allowedInitiators} (empty: any) admits {@code initiatorName}. */
    public static boolean admits(final List<String> allowedInitiators, final String initiatorName) {
        return allowedInitiators.isEmpty()
                || allowedInitiators.stream().anyMatch(allowed -> allowed.equalsIgnoreCase(initiatorName));
    }
}
