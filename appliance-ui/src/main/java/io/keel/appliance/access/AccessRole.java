package io.keel.appliance.access;

import com.codahale.metrics.MetricRegistry;
import io.keel.access.iscsi.IscsiPortal;
import io.keel.access.iscsi.PortalConfig;
import io.keel.access.iscsi.session.OpenCommand;
import io.keel.access.scsi.TargetOptions;
import io.keel.appliance.chunk.ChunkRole;
import io.keel.appliance.config.IscsiSettings;
import io.keel.meta.secret.SecretBox;
import io.keel.meta.server.HeartbeatReport;
import io.keel.meta.server.MetaClient;
import io.keel.meta.server.MetaService;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.Timer;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access server of a node: the iSCSI portal serving the meta server's targets, each LUN
 * backed by a volume client over this node's chunk stores and held to its pool's QoS limits. It
 * reads targets from the node's own meta member, so it runs on nodes that also have the meta role.
 */
public final class AccessRole implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AccessRole.class);
    /**
     * How soon a change made through the meta server holds for what this node serves: a pool's QoS
     * limits, a target's LUN map, a deleted target or an initiator taken off a target's list.
     */
    private static final Duration REFRESH = Duration.ofSeconds(2);

    private final IscsiPortal portal;
    private final String portalAddress;
    private final MetaTargetDirectory directory;
    private final Clock clock;
    private volatile Timer refresh;
    private volatile boolean closed;

    private AccessRole(final IscsiPortal portal, final String portalAddress, final MetaTargetDirectory directory,
            final Clock clock) {
        this.portal = portal;
        this.portalAddress = portalAddress;
        this.directory = directory;
        this.clock = clock;
    }

    /** Starts the portal of {@code settings}. */
    public static AccessRole start(final IscsiSettings settings, final MetaService meta, final MetaClient client,
            final SecretBox secrets, final String nodeId, final ChunkRole chunks, final MetricRegistry metrics,
            final Clock clock) {
        if (meta == null) {
            throw new IllegalArgumentException("the access role reads targets from the node's meta member: "
                    + "give this node the meta role too");
        }
        int allocationUnit = chunks == null || chunks.stores().isEmpty() ? 64 << 10
                : chunks.stores().getFirst().store().blockSize();
        TargetOptions options = TargetOptions.defaults();
        MetaTargetDirectory directory = new MetaTargetDirectory(meta, secrets,
                new LocalExtentResolver(meta, nodeId, chunks), allocationUnit, new MetaReservationStore(meta, client),
                options, metrics, clock);
        PortalConfig d = PortalConfig.defaults();
        // The portal must take every transfer the units advertise (MAXIMUM TRANSFER LENGTH, 32 MiB).
        int maxTransfer = Math.max(d.maxTransferLength(), options.maxTransferBlocks() * 512);
        PortalConfig config = new PortalConfig(addresses(settings.listen()), d.portalGroupTag(),
                settings.queueDepth(), d.maxRecvDataSegmentLength(), d.maxBurstLength(), d.firstBurstLength(),
                d.maxOutstandingR2T(), maxTransfer, d.immediateData(), d.initialR2T(), d.loginTimeout(),
                d.nopInInterval(), d.nopInTimeout(), settings.portalAddress(), settings.maxConnections());
        IscsiPortal portal = IscsiPortal.start(config, directory, metrics, clock);
        directory.copiesBetweenTargets(nexus -> portal.loginEntry(nexus).orElse(null));
        AccessRole role = new AccessRole(portal, settings.portalAddress(), directory, clock);
        role.scheduleRefresh();
        return role;
    }

    /** Sessions logged in now. */
    public int sessionCount() {
        return portal.sessions().size();
    }

    /** The command that has had all its data and no status longest (SessionRegistry.oldestOpenCommand), or empty. */
    public Optional<OpenCommand> oldestOpenCommand() {
        return portal.oldestOpenCommand();
    }

    /** The normal sessions logged in now, as the node reports them in its heartbeat. */
    public List<HeartbeatReport.IscsiSession> sessionReports() {
        return portal.sessions().stream().filter(session -> !session.discovery() && !session.ended())
                .map(session -> new HeartbeatReport.IscsiSession(session.targetName(), session.initiatorName(),
                        session.isid(), session.tsih(), session.initiatorAddress()))
                .toList();
    }

    /** The addresses the portal listens on (with the ports it got). */
    public List<InetSocketAddress> portalAddresses() {
        return portal.boundAddresses();
    }

    /**
     * Where initiators are to connect, as {@code host:port}: the configured {@code portalAddress},
     * else each listen address, where a wildcard one ({@code 0.0.0.0}, {@code ::}) is replaced by
     * this host's address on its default route, else its first IPv4 address that is up on an
     * interface that is not a container or VM bridge, else on any (loopback when it has none).
     */
    public List<String> connectAddresses() {
        if (portalAddress != null) {
            return List.of(portalAddress);
        }
        return portal.boundAddresses().stream().map(AccessRole::connectAddress).toList();
    }

    /** {@code bound} as initiators reach it: a wildcard address becomes {@link #reachableAddress}. */
    static String connectAddress(final InetSocketAddress bound) {
        InetAddress host = bound.getAddress().isAnyLocalAddress() ? reachableAddress() : bound.getAddress();
        String text = host.getHostAddress();
        return (host instanceof Inet6Address ? "[" + text + "]" : text) + ":" + bound.getPort();
    }

    private static InetAddress reachableAddress() {
        InetAddress routed = defaultRouteAddress();
        if (routed != null) {
            return routed;
        }
        InetAddress bridged = null;
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (address instanceof Inet4Address && !address.isLinkLocalAddress()) {
                        if (!isBridge(nic.getName())) {
                            return address;
                        }
                        bridged = bridged == null ? address : bridged;
                    }
                }
            }
        } catch (SocketException e) {
            LOG.debug("cannot list network interfaces", e);
        }
        return bridged != null ? bridged : InetAddress.getLoopbackAddress();
    }

    /**
     * The local address the kernel would send from to an outside host (a UDP socket's connect only
     * looks the route up; nothing is sent), or null without a default route.
     */
    private static InetAddress defaultRouteAddress() {
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}), 3260); // TEST-NET-1
            InetAddress local = probe.getLocalAddress();
            return local == null || local.isAnyLocalAddress() || local.isLoopbackAddress() ? null : local;
        } catch (IOException | RuntimeException e) {
            LOG.debug("no default route to take the portal's address from", e);
            return null;
        }
    }

    /** Interfaces of container runtimes and VM networks, whose addresses other hosts cannot reach. */
    static boolean isBridge(final String name) {
        return name.startsWith("docker") || name.startsWith("br-") || name.startsWith("veth")
                || name.startsWith("virbr") || name.startsWith("cni") || name.startsWith("flannel")
                || name.startsWith("podman") || name.startsWith("lxcbr") || name.startsWith("lxdbr");
    }

    private static List<InetSocketAddress> addresses(final List<String> listen) {
        return listen.stream().map(AccessRole::address).toList();
    }

    /** One {@code iscsi.listen} entry ({@code host:port}, IPv6 hosts in brackets); a clear error otherwise. */
    static InetSocketAddress address(final String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("iscsi.listen address '" + hostPort + "' must be host:port");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("iscsi.listen address '" + hostPort + "': " + e.getMessage(), e);
        }
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("iscsi.listen address '" + hostPort + "': host '" + host
                    + "' cannot be resolved");
        }
        return address;
    }

    /**
     * Every {@link #REFRESH}, on a virtual thread: targets and volumes are brought up to date with
     * the meta server, and sessions their target no longer admits are ended.
     */
    private void scheduleRefresh() {
        refresh = clock.schedule(REFRESH, () -> Thread.ofVirtual().name("access-refresh").start(() -> {
            try {
                directory.refresh();
                portal.endRevokedSessions();
            } catch (RuntimeException e) {
                if (!closed) { // the meta member may already be closing with the node
                    LOG.warn("could not bring targets and volumes up to date; trying again in {}", REFRESH, e);
                }
            }
            if (!closed) {
                scheduleRefresh();
            }
        }));
    }

    @Override
    public void close() {
        closed = true;
        Timer pending = refresh;
        if (pending != null) {
            pending.cancel();
        }
        portal.close();
    }
}
