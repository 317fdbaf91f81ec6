package io.keel.access.iscsi;

import java.util.List;
import java.util.Optional;

/**
 * The targets a portal serves, as the meta server currently defines them. Looked up at every
 * login, so changes (new LUNs, ACLs, CHAP) apply to the next session.
 */
public interface TargetDirectory {

    /** Every target, ordered by IQN. */
    List<TargetEntry> targets();

    /** The target named {@code iqn}, if this portal serves it. */
    Optional<TargetEntry> find(String iqn);
}
