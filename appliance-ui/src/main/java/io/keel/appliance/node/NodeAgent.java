package io.keel.appliance.node;

import io.keel.appliance.chunk.ChunkRole;
import io.keel.appliance.config.NodeSettings;
import io.keel.chunk.store.ExtentInfo;
import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.RegisterDisk;
import io.keel.meta.command.RegisterNode;
import io.keel.meta.log.NotLeaderException;
import io.keel.meta.model.DiskRole;
import io.keel.meta.model.NodeLabels;
import io.keel.meta.model.NodeRole;
import io.keel.meta.server.HeartbeatReport;
import io.keel.meta.server.MetaClient;
import io.keel.runtime.time.Clock;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's side of the meta service: registers the node and its devices with the meta leader
 * (again at every start, so addresses and labels stay current), then sends a heartbeat with
 * capacity, load, extents and the iSCSI sessions logged in (once the access role reports them) every interval.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    private static final Duration SUBMIT_TIMEOUT = Duration.ofSeconds(15);

    private final MetaClient meta;
    private final String nodeId;
    private final NodeSettings settings;
    private final String restUrl;
    private final ChunkRole chunks;
    private final Clock clock;
    private final Duration interval;
    private final AtomicBoolean registered = new AtomicBoolean();
    private volatile Supplier<List<HeartbeatReport.IscsiSession>> sessions = List::of;
    private final Thread thread;
    private volatile boolean closed;

    /** An agent for node {@code nodeId}; {@code chunks} is null on a node without the chunk role. */
    public NodeAgent(final MetaClient meta, final String nodeId, final NodeSettings settings, final String restUrl,
            final ChunkRole chunks, final Clock clock, final Duration interval) {
        this.meta = meta;
        this.nodeId = nodeId;
        this.settings = settings;
        this.restUrl = restUrl;
        this.chunks = chunks;
        this.clock = clock;
        this.interval = interval;
        this.thread = Thread.ofVirtual().name("node-agent").unstarted(this::loop);
    }

    /** From now on, heartbeats carry the iSCSI sessions {@code sessions} lists (the access role's). */
    public void reportSessions(final Supplier<List<HeartbeatReport.IscsiSession>> sessions) {
        this.sessions = sessions;
    }

    /** Starts registering and heartbeating in the background. */
    public void start() {
        thread.start();
    }

    /** Whether the node and its devices are registered with the meta leader. */
    public boolean registered() {
        return registered.get();
    }

    private void loop() {
        try {
            while (!closed && !registered.get()) {
                try {
                    register();
                    registered.set(true);
                } catch (NotLeaderException e) {
                    LOG.info("waiting for a meta leader to register node {}: {}", settings.name(), e.getMessage());
                } catch (IOException | RuntimeException e) {
                    LOG.warn("registering node {} failed; retrying: {}", settings.name(), e.toString());
                    clock.sleep(interval);
                }
            }
            boolean reachable = true;
            while (!closed) {
                boolean sent = meta.heartbeat(report(), interval);
                if (sent != reachable) {
                    LOG.info(sent ? "heartbeats reach the meta leader again" : "no meta leader takes heartbeats");
                    reachable = sent;
                }
                clock.sleep(interval);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.error("node agent stopped: {}", e.toString(), e);
        }
    }

    private void register() throws NotLeaderException, InterruptedException, IOException {
        List<NodeRole> roles = settings.roles().stream().map(role -> NodeRole.valueOf(role.name())).sorted().toList();
        String restAddress = restUrl.replaceFirst("^https?://", "");
        NodeLabels labels = new NodeLabels(settings.labels().get("rack"), settings.labels().get("site"));
        expectOk(meta.submit(new RegisterNode(change("register-node"), nodeId, settings.name(),
                settings.rpcAddress(), restAddress, labels, roles, clock.epochMillis()), SUBMIT_TIMEOUT), true);
        if (chunks != null) {
            for (ChunkRole.OpenStore open : chunks.stores()) {
                expectOk(meta.submit(new RegisterDisk(change("register-disk"), open.store().deviceId().toString(),
                        nodeId, open.path().toAbsolutePath().toString(), DiskRole.DATA, open.capacityBytes()),
                        SUBMIT_TIMEOUT), false);
            }
        }
        LOG.info("node {} ({}) registered with the meta leader", settings.name(), nodeId);
    }

    private static void expectOk(final ChangeResult result, final boolean strict) throws IOException {
        if (!result.ok() && (strict || result.outcome() != ErrorCode.ALREADY_EXISTS)) {
            throw new IOException("the meta leader refused the registration: " + result.message());
        }
    }

    private static String change(final String what) {
        return what + ":" + UUID.randomUUID();
    }

    private HeartbeatReport report() throws IOException {
        List<HeartbeatReport.DiskReport> disks = new ArrayList<>();
        List<Long> extents = new ArrayList<>();
        if (chunks != null) {
            for (ChunkRole.OpenStore open : chunks.stores()) {
                disks.add(new HeartbeatReport.DiskReport(open.store().deviceId().toString(), open.capacityBytes(),
                        open.store().stats().freeBytes()));
                for (ExtentInfo extent : open.store().list()) {
                    extents.add(extent.extentId());
                }
            }
        }
        return new HeartbeatReport(nodeId, disks, extents,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), sessions.get());
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.interrupt();
        thread.join(Duration.ofSeconds(10));
    }
}
