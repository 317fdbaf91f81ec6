package io.keel.meta.server;

import io.keel.meta.command.SetNodeState;
import io.keel.meta.log.NotLeaderException;
import io.keel.meta.model.Node;
import io.keel.meta.model.NodeState;
import io.keel.runtime.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the meta leader does by itself, every tick while it leads: marks nodes down whose
 * heartbeats stopped (and up again when they return), and runs the cluster's bootstrap tasks
 * (admin account, default pool) until each is done.
 */
public final class LeaderDuties implements AutoCloseable {

    /** A piece of set-up a new cluster needs, run on the leader until it reports done. */
    @FunctionalInterface
    public interface BootstrapTask {
        /** Does the work if it is still needed; returns true when nothing is left to do. */
        boolean run(MetaService meta) throws Exception;
    }

    private static final Logger LOG = LoggerFactory.getLogger(LeaderDuties.class);

    private final MetaService meta;
    private final Clock clock;
    private final Duration period;
    private final List<BootstrapTask> bootstrap;
    private final boolean[] bootstrapDone;
    private final Thread thread;
    private volatile boolean closed;
    private boolean leading;

    /** Duties of {@code meta}'s member, checked every {@code period}. Call {@link #start()}. */
    public LeaderDuties(final MetaService meta, final Clock clock, final Duration period,
            final List<BootstrapTask> bootstrap) {
        this.meta = meta;
        this.clock = clock;
        this.period = period;
        this.bootstrap = List.copyOf(bootstrap);
        this.bootstrapDone = new boolean[bootstrap.size()];
        this.thread = Thread.ofVirtual().name("meta-leader-duties").unstarted(this::loop);
    }

    /** Starts the duty loop. */
    public void start() {
        thread.start();
    }

    private void loop() {
        while (!closed) {
            try {
                tick();
                clock.sleep(period);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("meta leader duties: {}", e.toString(), e);
            }
        }
    }

    /** One round of duties; public so tests can drive it on a manual clock. */
    public void tick() throws InterruptedException {
        if (!meta.isLeader()) {
            leading = false;
            return;
        }
        List<Node> nodes = meta.read(view -> view.nodes());
        if (!leading) {
            leading = true;
            meta.liveness().restartClocks(nodes.stream().map(Node::id).toList());
            LOG.info("leading the meta servers: watching {} nodes' heartbeats (down after {})", nodes.size(),
                    meta.liveness().timeout());
        }
        try {
            for (Node node : nodes) {
                boolean alive = meta.liveness().isAlive(node.id());
                if (node.state() == NodeState.UP && !alive) {
                    setState(node, NodeState.DOWN, "no heartbeat for " + meta.liveness().timeout());
                } else if (node.state() == NodeState.DOWN && alive
                        && meta.liveness().report(node.id()).isPresent()) {
                    setState(node, NodeState.UP, "heartbeats resumed");
                }
            }
            for (int i = 0; i < bootstrap.size(); i++) {
                if (!bootstrapDone[i]) {
                    bootstrapDone[i] = bootstrap.get(i).run(meta);
                }
            }
        } catch (NotLeaderException e) {
            leading = false;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("meta leader duties failed this round: {}", e.toString(), e);
        }
    }

    private void setState(final Node node, final NodeState state, final String reason)
            throws NotLeaderException, InterruptedException {
        var result = meta.submit(new SetNodeState("node-state:" + node.id() + ":" + UUID.randomUUID(), node.id(),
                state, reason, clock.epochMillis()));
        if (result.ok()) {
            LOG.warn("node {} ({}) is now {}: {}", node.name(), node.id(), state, reason);
        } else {
            LOG.warn("could not mark node {} {}: {}", node.name(), state, result.message());
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.interrupt();
        thread.join(Duration.ofSeconds(10));
    }
}
