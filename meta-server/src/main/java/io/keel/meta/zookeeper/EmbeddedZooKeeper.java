package io.keel.meta.zookeeper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ZooKeeper server a node runs inside its own process (standalone or one quorum peer), or
 * nothing for an external ensemble; owns the server's lifecycle and tells clients where to
 * connect.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    private final ZooKeeperConfig config;
    private final ZooKeeperServerEmbedded server;

    private EmbeddedZooKeeper(final ZooKeeperConfig config, final ZooKeeperServerEmbedded server) {
        this.config = config;
        this.server = server;
    }

    /**
     * Starts the server {@code config} describes and returns without waiting for a quorum to
     * form (a peer cannot serve until a majority is up). For an external ensemble nothing is
     * started.
     *
     * @throws IOException when the data directory cannot be prepared or the server does not start
     */
    public static EmbeddedZooKeeper start(final ZooKeeperConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        if (config.mode() == ZooKeeperConfig.Mode.EXTERNAL) {
            LOG.info("using {}", config);
            return new EmbeddedZooKeeper(config, null);
        }
        Path dataDir = config.dataDir().orElseThrow().toAbsolutePath();
        Files.createDirectories(dataDir);
        Properties props = new Properties();
        props.setProperty("dataDir", dataDir.toString());
        props.setProperty("clientPort", Integer.toString(config.clientPort()));
        props.setProperty("clientPortAddress", config.clientBindAddress());
        props.setProperty("tickTime", Integer.toString(config.tickMillis()));
        // The node's own HTTP face is Dropwizard's; ZooKeeper's admin server would take port 8080.
        props.setProperty("admin.enableServer", "false");
        // Old transaction logs and snapshots are purged so that a long-lived appliance does not fill its disk.
        props.setProperty("autopurge.snapRetainCount", "3");
        props.setProperty("autopurge.purgeInterval", "1");
        // ZooKeeper keeps these two in static fields of QuorumPeerConfig, so each start sets them
        // rather than inherit whatever an earlier server in the same JVM left behind.
        props.setProperty("standaloneEnabled", "true");
        props.setProperty("reconfigEnabled", "false");
        if (config.mode() == ZooKeeperConfig.Mode.QUORUM) {
            props.setProperty("initLimit", "10");
            props.setProperty("syncLimit", "5");
            for (ZooKeeperPeer peer : config.peers()) {
                props.setProperty("server." + peer.id(), peer.serverLine());
            }
            Files.writeString(dataDir.resolve("myid"), config.myId() + "\n", StandardCharsets.US_ASCII);
        }
        Path baseDir = dataDir.resolve("embedded-conf");
        Files.createDirectories(baseDir);
        try {
            ZooKeeperServerEmbedded server = ZooKeeperServerEmbedded.builder()
                    .baseDir(baseDir)
                    .configuration(props)
                    .exitHandler(ExitHandler.LOG_ONLY)
                    .build();
            server.start();
            LOG.info("started {}", config);
            return new EmbeddedZooKeeper(config, server);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("could not start " + config + ": " + e.getMessage(), e);
        }
    }

    /** The configuration this server runs with. */
    public ZooKeeperConfig config() {
        return config;
    }

    /** Where a Curator client on this node connects (see {@link ZooKeeperConfig#connectString()}). */
    public String connectString() {
        return config.connectString();
    }

    /** True when a server runs inside this process. */
    public boolean isEmbedded() {
        return server != null;
    }

    /** Stops the embedded server, if any; idempotent. */
    @Override
    public void close() {
        if (server != null) {
            server.close();
            LOG.info("stopped {}", config);
        }
    }
}
