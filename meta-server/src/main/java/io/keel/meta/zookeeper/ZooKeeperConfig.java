package io.keel.meta.zookeeper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How a node gets its ZooKeeper: a standalone server inside the node (one-node appliance), one
 * peer of a quorum inside the node (three-node appliance), or an external ensemble reached by a
 * connect string. Instances are valid by construction: the factories and {@code with} methods
 * reject bad ports, unknown or duplicate ids and empty connect strings with a message that names
 * the setting.
 */
public final class ZooKeeperConfig {

    /** The largest server id ZooKeeper accepts without extended session ids. */
    public static final int MAX_SERVER_ID = 255;
    /** ZooKeeper's default tick. */
    public static final int DEFAULT_TICK_MILLIS = 2000;

    private static final Pattern CONNECT_STRING =
            Pattern.compile("[^,/\\s]+:\\d{1,5}(,[^,/\\s]+:\\d{1,5})*(/[^\\s]*)?");

    /** Where the ZooKeeper server comes from. */
    public enum Mode {
        /** One server inside this node; no peers. */
        STANDALONE,
        /** This node runs one peer of a quorum. */
        QUORUM,
        /** Nothing runs inside this node; the ensemble is elsewhere. */
        EXTERNAL
    }

    private final Mode mode;
    private final Path dataDir;
    private final String clientBindAddress;
    private final int clientPort;
    private final int myId;
    private final List<ZooKeeperPeer> peers;
    private final String externalConnectString;
    private final int tickMillis;

    private ZooKeeperConfig(final Mode mode, final Path dataDir, final String clientBindAddress, final int clientPort,
            final int myId, final List<ZooKeeperPeer> peers, final String externalConnectString,
            final int tickMillis) {
        this.mode = mode;
        this.dataDir = dataDir;
        this.clientBindAddress = clientBindAddress;
        this.clientPort = clientPort;
        this.myId = myId;
        this.peers = peers;
        this.externalConnectString = externalConnectString;
        this.tickMillis = tickMillis;
    }

    /**
     * A standalone server on {@code 127.0.0.1:clientPort} keeping its data in {@code dataDir}
     * (loopback because only this node's meta server talks to it).
     */
    public static ZooKeeperConfig standalone(final Path dataDir, final int clientPort) {
        Objects.requireNonNull(dataDir, "dataDir");
        checkPort("client port", clientPort);
        return new ZooKeeperConfig(Mode.STANDALONE, dataDir, "127.0.0.1", clientPort, 0, List.of(), null,
                DEFAULT_TICK_MILLIS);
    }

    /**
     * Peer {@code myId} of the quorum {@code peers}, serving clients on {@code clientPort} (all
     * addresses) and keeping its data and {@code myid} file in {@code dataDir}.
     */
    public static ZooKeeperConfig quorum(final int myId, final List<ZooKeeperPeer> peers, final int clientPort,
            final Path dataDir) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(peers, "peers");
        checkPort("client port", clientPort);
        List<ZooKeeperPeer> copy = List.copyOf(peers);
        if (copy.size() < 3) {
            throw new IllegalArgumentException("a quorum needs at least 3 servers (use standalone for one node): "
                    + copy.size() + " given");
        }
        Set<Integer> ids = new HashSet<>();
        Map<String, Integer> endpoints = new HashMap<>();
        for (ZooKeeperPeer peer : copy) {
            if (!ids.add(peer.id())) {
                throw new IllegalArgumentException("server id " + peer.id() + " appears twice in the server list");
            }
            for (int port : new int[] {peer.peerPort(), peer.electionPort(), peer.clientPortOr(clientPort)}) {
                Integer previous = endpoints.put(peer.host() + ":" + port, peer.id());
                if (previous != null && previous != peer.id()) {
                    throw new IllegalArgumentException("servers " + previous + " and " + peer.id() + " both use "
                            + peer.host() + ":" + port);
                }
            }
        }
        if (!ids.contains(myId)) {
            throw new IllegalArgumentException("my id " + myId + " is not in the server list " + ids);
        }
        ZooKeeperPeer me = copy.stream().filter(p -> p.id() == myId).findFirst().orElseThrow();
        if (me.peerPort() == clientPort || me.electionPort() == clientPort) {
            throw new IllegalArgumentException("client port " + clientPort + " clashes with server." + myId
                    + "'s peer or election port");
        }
        if (me.clientPort() != 0 && me.clientPort() != clientPort) {
            throw new IllegalArgumentException("server." + myId + " lists client port " + me.clientPort()
                    + " but this node's client port is " + clientPort);
        }
        return new ZooKeeperConfig(Mode.QUORUM, dataDir, "0.0.0.0", clientPort, myId, copy, null,
                DEFAULT_TICK_MILLIS);
    }

    /**
     * An external ensemble: {@code host:port[,host:port...][/chroot]}. Nothing is started.
     */
    public static ZooKeeperConfig external(final String connectString) {
        if (connectString == null || connectString.isBlank()) {
            throw new IllegalArgumentException("the external ZooKeeper connect string is empty");
        }
        String s = connectString.strip();
        if (!CONNECT_STRING.matcher(s).matches()) {
            throw new IllegalArgumentException(
                    "bad ZooKeeper connect string (want host:port[,host:port...][/chroot]): '" + connectString + "'");
        }
        for (String hostPort : s.replaceFirst("/.*$", "").split(",")) {
            int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
            checkPort("port in connect string '" + s + "'", port);
        }
        return new ZooKeeperConfig(Mode.EXTERNAL, null, null, 0, 0, List.of(), s, DEFAULT_TICK_MILLIS);
    }

    /** This configuration with the client port bound to {@code address} (an embedded server only). */
    public ZooKeeperConfig withClientBindAddress(final String address) {
        requireEmbedded("a client bind address");
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("client bind address is empty");
        }
        return new ZooKeeperConfig(mode, dataDir, address.strip(), clientPort, myId, peers, externalConnectString,
                tickMillis);
    }

    /**
     * This configuration with another ZooKeeper tick (an embedded server only). Session timeouts
     * are bounded by the server to 2..20 ticks.
     */
    public ZooKeeperConfig withTickMillis(final int millis) {
        requireEmbedded("a tick time");
        if (millis < 10 || millis > 60_000) {
            throw new IllegalArgumentException("tick time must be in 10..60000 ms: " + millis);
        }
        return new ZooKeeperConfig(mode, dataDir, clientBindAddress, clientPort, myId, peers, externalConnectString,
                millis);
    }

    /** The mode. */
    public Mode mode() {
        return mode;
    }

    /** The embedded server's data directory; empty for an external ensemble. */
    public Optional<Path> dataDir() {
        return Optional.ofNullable(dataDir);
    }

    /** The embedded server's client port; 0 for an external ensemble. */
    public int clientPort() {
        return clientPort;
    }

    /** The address the embedded server's client port binds to; null for an external ensemble. */
    public String clientBindAddress() {
        return clientBindAddress;
    }

    /** This node's server id in a quorum; 0 otherwise. */
    public int myId() {
        return myId;
    }

    /** The quorum's servers; empty unless the mode is {@link Mode#QUORUM}. */
    public List<ZooKeeperPeer> peers() {
        return peers;
    }

    /** The tick of an embedded server in milliseconds. */
    public int tickMillis() {
        return tickMillis;
    }

    /**
     * The connect string a client on this node uses: the local server for standalone, every
     * peer's client address for a quorum (so a client can move when the local peer is down), the
     * configured string for an external ensemble.
     */
    public String connectString() {
        return switch (mode) {
            case STANDALONE -> loopbackFor(clientBindAddress) + ":" + clientPort;
            case QUORUM -> {
                List<String> parts = new ArrayList<>();
                for (ZooKeeperPeer peer : peers) {
                    parts.add(peer.host() + ":" + peer.clientPortOr(clientPort));
                }
                yield String.join(",", parts);
            }
            case EXTERNAL -> externalConnectString;
        };
    }

    @Override
    public String toString() {
        return switch (mode) {
            case STANDALONE -> "ZooKeeper standalone on " + clientBindAddress + ":" + clientPort + " in " + dataDir;
            case QUORUM -> "ZooKeeper quorum peer " + myId + " of " + peers + " on client port " + clientPort
                    + " in " + dataDir;
            case EXTERNAL -> "external ZooKeeper at " + externalConnectString;
        };
    }

    static void checkPort(final String what, final int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException(what + " must be in 1..65535: " + port);
        }
    }

    private static String loopbackFor(final String bindAddress) {
        return "0.0.0.0".equals(bindAddress) || "::".equals(bindAddress) ? "127.0.0.1" : bindAddress;
    }

    private void requireEmbedded(final String what) {
        if (mode == Mode.EXTERNAL) {
            throw new IllegalArgumentException("an external ZooKeeper has no " + what + " to set");
        }
    }
}
