package io.keel.meta.server;

import io.keel.runtime.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The meta leader's view of which nodes are alive: when each last sent a heartbeat and what it
 * reported. Kept in memory only; a new leader starts every known node afresh, so a node is marked
 * down only after a full timeout under the leader that decides it.
 */
public final class NodeLiveness {

    private record Seen(long atNanos, HeartbeatReport report) {
    }

    private final Clock clock;
    private final Duration timeout;
    private final ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();

    /** Liveness on {@code clock}, a node being alive while its last heartbeat is within {@code timeout}. */
    public NodeLiveness(final Clock clock, final Duration timeout) {
        this.clock = clock;
        this.timeout = timeout;
    }

    /** Records a heartbeat now. */
    public void heartbeat(final HeartbeatReport report) {
        seen.put(report.nodeId(), new Seen(clock.nanoTime(), report));
    }

    /** Gives every node in {@code nodeIds} a fresh start, as a leader does when it takes over. */
    public void restartClocks(final Collection<String> nodeIds) {
        long now = clock.nanoTime();
        for (String id : nodeIds) {
            seen.compute(id, (key, old) -> new Seen(now, old == null ? null : old.report()));
        }
    }

    /** Whether {@code nodeId} sent a heartbeat (or was given a fresh start) within the timeout. */
    public boolean isAlive(final String nodeId) {
        OptionalLong since = nanosSinceHeartbeat(nodeId);
        return since.isPresent() && since.getAsLong() <= timeout.toNanos();
    }

    /** Time since {@code nodeId}'s last heartbeat, if any. */
    public OptionalLong nanosSinceHeartbeat(final String nodeId) {
        Seen last = seen.get(nodeId);
        return last == null ? OptionalLong.empty() : OptionalLong.of(clock.nanoTime() - last.atNanos());
    }

    /** The last report of {@code nodeId}, if it sent one to this leader. */
    public Optional<HeartbeatReport> report(final String nodeId) {
        Seen last = seen.get(nodeId);
        return last == null ? Optional.empty() : Optional.ofNullable(last.report());
    }

    /** The timeout after which a silent node counts as down. */
    public Duration timeout() {
        return timeout;
    }
}
