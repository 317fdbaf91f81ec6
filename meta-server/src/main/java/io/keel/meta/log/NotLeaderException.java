package io.keel.meta.log;

import java.util.Optional;

/**
 * The member that was asked to append is not (or no longer) the serving meta leader, so the
 * entry was not acknowledged. It may still appear in the log if the leader lost its position
 * while the write was in flight; callers retry at {@link #leaderAddress()} and rely on the state
 * machine to drop a change it has already applied.
 */
public final class NotLeaderException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String reason;
    private final String leaderAddress;

    /** A refusal with the reason and the address of the leader as far as this member knows it (null if unknown). */
    public NotLeaderException(final String reason, final String leaderAddress) {
        this(reason, leaderAddress, null);
    }

    /** A refusal with the reason, the known leader's address (null if unknown) and a cause. */
    public NotLeaderException(final String reason, final String leaderAddress, final Throwable cause) {
        super(reason + (leaderAddress == null ? " (leader unknown)" : " (leader at " + leaderAddress + ")"), cause);
        this.reason = reason;
        this.leaderAddress = leaderAddress;
    }

    /** Why the append was refused, without the leader's address. */
    public String reason() {
        return reason;
    }

    /** The address the current leader published, when this member knows one other than itself. */
    public Optional<String> leaderAddress() {
        return Optional.ofNullable(leaderAddress);
    }
}
