package io.keel.meta.zookeeper;

import java.util.Objects;

/**
 * One server of a ZooKeeper quorum: its id, the host the other peers reach it on, its quorum
 * (peer) and leader-election ports, and the client port Curator connects to (0 means "the same
 * client port as this node", which is how a real appliance is configured).
 *
 * @param id the server's id, 1..255, unique in the quorum
 * @param host the host name or address the peers and clients use
 * @param peerPort the port followers connect to the ZooKeeper leader on
 * @param electionPort the port ZooKeeper's own leader election uses
 * @param clientPort the client port of this server, or 0 for the local node's client port
 */
public record ZooKeeperPeer(int id, String host, int peerPort, int electionPort, int clientPort) {

    /** Validates the fields; a bad value names the server and the field. */
    public ZooKeeperPeer {
        Objects.requireNonNull(host, "host");
        if (id < 1 || id > ZooKeeperConfig.MAX_SERVER_ID) {
            throw new IllegalArgumentException("server id must be in 1.." + ZooKeeperConfig.MAX_SERVER_ID + ": " + id);
        }
        if (host.isBlank() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == ',' || c == '/')) {
            throw new IllegalArgumentException("server." + id + " has a bad host: '" + host + "'");
        }
        ZooKeeperConfig.checkPort("server." + id + " peer port", peerPort);
        ZooKeeperConfig.checkPort("server." + id + " election port", electionPort);
        if (clientPort != 0) {
            ZooKeeperConfig.checkPort("server." + id + " client port", clientPort);
        }
        if (peerPort == electionPort) {
            throw new IllegalArgumentException(
                    "server." + id + " uses port " + peerPort + " for both peer and election");
        }
    }

    /**
     * Parses {@code id=host:peerPort:electionPort[;clientPort]} (ZooKeeper's own {@code server.N}
     * syntax with the id in front).
     */
    public static ZooKeeperPeer parse(final String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.strip();
        int eq = s.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("server spec must be id=host:peerPort:electionPort[;clientPort]: '"
                    + spec + "'");
        }
        int id = parseNumber(spec, "id", s.substring(0, eq));
        String rest = s.substring(eq + 1);
        int clientPort = 0;
        int semi = rest.indexOf(';');
        if (semi >= 0) {
            clientPort = parseNumber(spec, "client port", rest.substring(semi + 1));
            rest = rest.substring(0, semi);
        }
        int lastColon = rest.lastIndexOf(':');
        int midColon = lastColon > 0 ? rest.lastIndexOf(':', lastColon - 1) : -1;
        if (midColon <= 0) {
            throw new IllegalArgumentException("server spec must be id=host:peerPort:electionPort[;clientPort]: '"
                    + spec + "'");
        }
        String host = rest.substring(0, midColon);
        int peer = parseNumber(spec, "peer port", rest.substring(midColon + 1, lastColon));
        int election = parseNumber(spec, "election port", rest.substring(lastColon + 1));
        return new ZooKeeperPeer(id, host, peer, election, clientPort);
    }

    /** The client port of this server, given the local node's client port. */
    int clientPortOr(final int localClientPort) {
        return clientPort == 0 ? localClientPort : clientPort;
    }

    /**
     * The value of this server's {@code server.N} line in ZooKeeper's static configuration. The
     * client port stays out of it: the local one comes from {@code clientPort}, and a client
     * address in the line would have to agree with it exactly.
     */
    String serverLine() {
        return host + ":" + peerPort + ":" + electionPort;
    }

    private static int parseNumber(final String spec, final String what, final String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("server spec '" + spec + "' has a bad " + what + ": '" + text + "'");
        }
    }
}
