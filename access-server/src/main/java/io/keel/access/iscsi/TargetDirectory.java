package io.keel.access.iscsi;

import java.util.List;
import java.util.Optional;

/**
 * The targets a portal serves, as the meta server currently defines them. Looked up at every
 * login; a target's LUN map may change under its sessions (its {@link io.keel.access.scsi.ScsiTarget}
 * follows), and sessions it no longer admits are ended ({@link IscsiPortal#endRevokedSessions}).
 */
public interface TargetDirectory {

    /** Every target, ordered by IQN. */
    List<TargetEntry> targets();

    /** The target named {@code iqn}, if this portal serves it. */
    Optional<TargetEntry> find(String iqn);

    /**
     * The CHAP secrets every discovery session must log in with, or {@code null} when discovery
     * needs no authentication (then only an initiator that offers AuthMethod None is let in).
     */
    default ChapSecrets discoveryChap() {
        return null;
    }

    /**
     * Whether target {@code iqn} still exists and admits {@code initiatorName}: asked for every
     * logged-in session every few seconds, so directories should answer without building anything.
     */
    default boolean admits(final String iqn, final String initiatorName) {
        return find(iqn).map(target -> target.admits(initiatorName)).orElse(false);
    }
}
