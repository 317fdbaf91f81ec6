package io.keel.meta.server;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CommandCodec;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.log.LeaderInfo;
import io.keel.meta.log.MetaLog;
import io.keel.meta.log.NotLeaderException;
import io.keel.meta.store.MetaReader;
import io.keel.meta.store.MetaStore;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A meta member's service: changes go through the replicated log (only while this member leads)
 * and come back as the result every member computed; reads come from the local store, which on
 * the leader holds every acknowledged change. Also holds the leader's view of node liveness.
 */
public final class MetaService {

    private static final Logger LOG = LoggerFactory.getLogger(MetaService.class);

    private final MetaStore store;
    private final MetaLog log;
    private final NodeLiveness liveness;

    /** A service over {@code store}, changed through {@code log}. */
    public MetaService(final MetaStore store, final MetaLog log, final NodeLiveness liveness) {
        this.store = store;
        this.log = log;
        this.liveness = liveness;
    }

    /**
     * Applies {@code command} through the log and returns its result. A change whose id was
     * already applied is not appended again: its first result is returned.
     *
     * @throws NotLeaderException when this member does not lead (the change may or may not have
     *                            been appended; retry it with the same change id at the leader)
     */
    public ChangeResult submit(final MetaCommand command) throws NotLeaderException, InterruptedException {
        Optional<ChangeResult> earlier = store.result(command.changeId());
        if (earlier.isPresent()) {
            return earlier.get();
        }
        long index = log.append(CommandCodec.encode(command));
        ChangeResult result = store.result(command.changeId()).orElseThrow(() -> new IllegalStateException(
                "entry " + index + " (change " + command.changeId() + ") is applied but has no result"));
        if (result.ok()) {
            LOG.info("applied {} at index {}: {}", command.getClass().getSimpleName(), result.index(),
                    result.message());
        }
        return result;
    }

    /** Runs {@code query} on one consistent view of the local store. */
    public <T> T read(final Function<MetaReader, T> query) {
        return store.read(query);
    }

    /** Whether this member leads now. */
    public boolean isLeader() {
        return log.isLeader();
    }

    /** The current leader as this member knows it. */
    public Optional<LeaderInfo> leader() {
        return log.leader();
    }

    /** The leader's view of which nodes are alive (meaningful only while this member leads). */
    public NodeLiveness liveness() {
        return liveness;
    }

    /** Records a node's heartbeat; refused when this member does not lead. */
    public void heartbeat(final HeartbeatReport report) throws NotLeaderException {
        if (!log.isLeader()) {
            throw new NotLeaderException("this meta member does not lead",
                    log.leader().map(LeaderInfo::address).orElse(null));
        }
        Optional<HeartbeatReport> previous = liveness.report(report.nodeId());
        liveness.heartbeat(report);
        boolean extentsChanged = previous.map(p -> !p.extentIds().equals(report.extentIds())).orElse(true);
        if (extentsChanged && !report.extentIds().isEmpty()) {
            List<Long> strays = store.read(view -> view.strayExtents(report.nodeId(), report.extentIds()));
            if (!strays.isEmpty()) {
                LOG.warn("node {} holds {} extents the metadata does not place on it (kept until re-replication "
                        + "reclaims them): {}", report.nodeId(), strays.size(),
                        strays.stream().limit(16).map(Long::toHexString).toList());
            }
        }
    }
}
