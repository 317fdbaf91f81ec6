package io.keel.meta.model;

import java.util.List;

/**
 * An iSCSI target: its IQN (the id), an alias, its LUNs, the initiator IQNs allowed to log in
 * (an empty list admits any initiator, so access is then controlled by CHAP alone) and its CHAP
 * settings ({@code null} when CHAP is off). The portal decides who is admitted
 * ({@code TargetEntry.admits}, which compares initiator names without regard to case).
 */
public record IscsiTarget(String iqn, String alias, List<Lun> luns, List<String> allowedInitiators,
        ChapCredentials chap, long createdAt) {

    /** Freezes the lists. */
    public IscsiTarget {
        luns = luns == null ? List.of() : List.copyOf(luns);
        allowedInitiators = allowedInitiators == null ? List.of() : List.copyOf(allowedInitiators);
    }
}
