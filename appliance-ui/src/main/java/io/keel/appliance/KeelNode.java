package io.keel.appliance;

import com.codahale.metrics.health.HealthCheck;
import com.fasterxml.jackson.databind.DeserializationFeature;
import io.dropwizard.core.Application;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.lifecycle.Managed;
import io.keel.access.iscsi.session.OpenCommand;
import io.keel.appliance.access.AccessRole;
import io.keel.appliance.api.ApiErrors;
import io.keel.appliance.api.ClusterResource;
import io.keel.appliance.api.IscsiResource;
import io.keel.appliance.api.LeaderForwarding;
import io.keel.appliance.api.MetaGateway;
import io.keel.appliance.api.PoolResource;
import io.keel.appliance.api.TargetResource;
import io.keel.appliance.api.VolumeResource;
import io.keel.appliance.auth.AdminAuthentication;
import io.keel.appliance.chunk.ChunkRole;
import io.keel.appliance.config.ClusterSettings;
import io.keel.appliance.config.NodeSettings;
import io.keel.appliance.config.NodeSettings.Role;
import io.keel.appliance.config.ZooKeeperSettings;
import io.keel.appliance.metrics.PrometheusEndpoint;
import io.keel.appliance.node.ClusterBootstrap;
import io.keel.appliance.node.ClusterMembership;
import io.keel.appliance.node.NodeAgent;
import io.keel.appliance.node.NodeIdentity;
import io.keel.meta.log.MetaLog;
import io.keel.meta.log.MetaLogConfig;
import io.keel.meta.server.LeaderAddress;
import io.keel.meta.server.LeaderDuties;
import io.keel.meta.server.MetaClient;
import io.keel.meta.server.MetaRpc;
import io.keel.meta.model.Volume;
import io.keel.meta.server.MetaService;
import io.keel.meta.server.NodeLiveness;
import io.keel.meta.store.MetaStore;
import io.keel.meta.zookeeper.CuratorClients;
import io.keel.meta.zookeeper.CuratorSettings;
import io.keel.meta.zookeeper.EmbeddedZooKeeper;
import io.keel.meta.zookeeper.ZooKeeperConfig;
import io.keel.meta.zookeeper.ZooKeeperPeer;
import io.keel.runtime.rpc.RpcConfig;
import io.keel.runtime.rpc.RpcServer;
import io.keel.runtime.time.Clock;
import io.keel.runtime.time.SystemClock;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Keel node process: reads the YAML configuration, starts the roles it enables (embedded
 * ZooKeeper, chunk, meta) in dependency order, serves the REST API, health checks and metrics,
 * and stops everything in reverse order.
 */
public final class KeelNode extends Application<KeelNodeConfiguration> {

    private static final Logger LOG = LoggerFactory.getLogger(KeelNode.class);
    private static final String META_LOG_PATH = "/meta";
    /** A command without a status this long fails the iscsi health check: its initiator gave up on it long ago. */
    private static final Duration COMMAND_STUCK_AFTER = Duration.ofSeconds(60);

    /** Starts a node: {@code server <config.yml>}, or {@code check <config.yml>} to validate one. */
    public static void main(final String[] args) throws Exception {
        new KeelNode().run(args);
    }

    @Override
    public String getName() {
        return "keel-node";
    }

    @Override
    public void initialize(final Bootstrap<KeelNodeConfiguration> bootstrap) {
        bootstrap.getObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    @Override
    public void run(final KeelNodeConfiguration configuration, final Environment environment) throws Exception {
        environment.getObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            start(configuration, environment, started);
        } catch (Exception | Error e) {
            closeAll(started);
            throw e;
        }
        environment.lifecycle().manage(new Managed() {
            @Override
            public void stop() {
                LOG.info("stopping the node");
                int failures = closeAll(started);
                LOG.info(failures == 0 ? "node stopped cleanly" : "node stopped; {} parts failed to stop", failures);
            }
        });
    }

    private static void start(final KeelNodeConfiguration configuration, final Environment environment,
            final Deque<AutoCloseable> started) throws Exception {
        Clock clock = SystemClock.INSTANCE;
        NodeSettings node = configuration.node();
        Path dataDir = node.dataDir().toAbsolutePath().normalize();
        Files.createDirectories(dataDir);
        UUID nodeId = NodeIdentity.loadOrCreate(dataDir);
        LOG.info("starting node {} ({}) with roles {} in {}", node.name(), nodeId, node.roles(), dataDir);

        EmbeddedZooKeeper zookeeper = EmbeddedZooKeeper.start(zooKeeperConfig(configuration.zookeeper(), dataDir));
        started.push(zookeeper);
        Duration session = configuration.zookeeper().sessionTimeout().toJavaDuration();
        CuratorFramework curator = CuratorClients.start(zookeeper.connectString(),
                CuratorSettings.defaults().withTimeouts(session, session));
        started.push(curator::close);
        if (!curator.blockUntilConnected(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("could not reach ZooKeeper at " + zookeeper.connectString()
                    + " within 120 s");
        }
        ClusterMembership cluster = ClusterMembership.join(curator, dataDir.resolve(configuration.cluster().keyFile()));

        ChunkRole chunks = null;
        if (node.runs(Role.CHUNK)) {
            chunks = ChunkRole.open(configuration.chunk(), dataDir, cluster.clusterId(), nodeId,
                    environment.metrics());
            started.push(chunks);
        }

        LeaderAddress self = new LeaderAddress(node.name(), "http://" + node.advertiseHost() + ":"
                + restPort(configuration), node.rpcAddress());
        Duration heartbeat = configuration.meta().heartbeatInterval().toJavaDuration();
        MetaService meta = null;
        MetaLog log = null;
        if (node.runs(Role.META)) {
            MetaStore store = MetaStore.open(dataDir.resolve("meta"));
            started.push(store);
            log = new MetaLog(curator, store, MetaLogConfig.defaults(nodeId.toString(), self.encode())
                    .withBasePath(META_LOG_PATH).withMetrics(environment.metrics())
                    .withSnapshots(configuration.meta().snapshotEvery(), 512 * 1024));
            log.start();
            started.push(log);
            meta = new MetaService(store, log, new NodeLiveness(clock,
                    configuration.meta().nodeDownTimeout().toJavaDuration()));
        }
        MetaLog metaLog = log;
        Supplier<Optional<LeaderAddress>> leader = metaLog != null
                ? () -> metaLog.leader().flatMap(info -> LeaderAddress.parse(info.address()))
                : () -> readLeader(curator);

        MetaRpc metaRpc = new MetaRpc(cluster.key());
        RpcServer rpc = new RpcServer(RpcConfig.defaults());
        if (meta != null) {
            metaRpc.serve(rpc, meta);
        }
        rpc.start(new InetSocketAddress(node.advertiseHost(), node.rpcPort()));
        started.push(rpc);
        MetaClient client = new MetaClient(meta, leader, metaRpc, clock);
        started.push(client);

        if (meta != null) {
            LeaderDuties duties = new LeaderDuties(meta, clock, heartbeat,
                    ClusterBootstrap.tasks(configuration.admin(), configuration.cluster(), dataDir, clock));
            duties.start();
            started.push(duties);
        }
        NodeAgent agent = new NodeAgent(client, nodeId.toString(), node, self.restUrl(), chunks, clock, heartbeat);
        agent.start();
        started.push(agent);

        AccessRole access = null;
        if (node.runs(Role.ACCESS)) {
            access = AccessRole.start(configuration.iscsi(), meta, client, cluster.secretBox(), nodeId.toString(),
                    chunks, environment.metrics(), clock);
            started.push(access);
            agent.reportSessions(access::sessionReports);
        }

        registerApi(environment, meta, leader, cluster, node, clock);
        registerHealthChecks(environment, curator, metaLog, leader, chunks, access);
        MetaService names = meta;
        PrometheusEndpoint.install(environment, environment.metrics(), volumeId -> names == null ? Optional.empty()
                : names.read(view -> view.volume(volumeId)).map(Volume::name));
        ClusterSettings.DemoExport demo = configuration.cluster().demoExport();
        MetaService metaService = meta;
        BooleanSupplier exportsReady = () -> demo == null || metaService == null
                || metaService.read(view -> view.target(demo.targetIqn()).isPresent());
        announceWhenReady(node, self, leader, agent, dataDir, configuration, access, exportsReady);
    }

    private static void registerApi(final Environment environment, final MetaService meta,
            final Supplier<Optional<LeaderAddress>> leader, final ClusterMembership cluster, final NodeSettings node,
            final Clock clock) {
        MetaGateway gatewayOnLeader = meta == null ? null : new MetaGateway(meta, clock);
        Supplier<Optional<MetaGateway>> gateway = () -> meta != null && meta.isLeader()
                ? Optional.of(gatewayOnLeader) : Optional.empty();
        var jersey = environment.jersey();
        jersey.register(new LeaderForwarding(() -> meta != null && meta.isLeader(), leader, node.name()));
        jersey.register(new ClusterResource(gateway, leader, cluster.clusterId()));
        jersey.register(new PoolResource(gateway));
        jersey.register(new VolumeResource(gateway));
        jersey.register(new TargetResource(gateway, cluster.secretBox()));
        jersey.register(new IscsiResource(gateway, cluster.secretBox()));
        jersey.register(new ApiErrors.ApiExceptionMapper());
        jersey.register(new ApiErrors.JsonMapper());
        jersey.register(new ApiErrors.FallbackMapper());
        AdminAuthentication.install(environment, (user, password) -> meta != null && meta.read(
                view -> view.adminCredential()).filter(credential -> credential.username().equals(user)
                        && credential.verify(password.toCharArray())).isPresent());
    }

    private static void registerHealthChecks(final Environment environment, final CuratorFramework curator,
            final MetaLog log, final Supplier<Optional<LeaderAddress>> leader, final ChunkRole chunks,
            final AccessRole access) {
        environment.healthChecks().register("zookeeper", new HealthCheck() {
            @Override
            protected Result check() {
                return curator.getState() == CuratorFrameworkState.STARTED
                        && curator.getZookeeperClient().isConnected()
                        ? Result.healthy() : Result.unhealthy("not connected to ZooKeeper");
            }
        });
        environment.healthChecks().register("meta", new HealthCheck() {
            @Override
            protected Result check() {
                if (log != null && log.lastError().isPresent()) {
                    return Result.unhealthy("the meta log cannot be followed: " + log.lastError().get().getMessage());
                }
                return leader.get().map(address -> Result.healthy("leader " + address.nodeName()))
                        .orElseGet(() -> Result.unhealthy("no meta leader"));
            }
        });
        if (chunks != null) {
            environment.healthChecks().register("chunk", new HealthCheck() {
                @Override
                protected Result check() {
                    return Result.healthy(chunks.stores().size() + " data devices open");
                }
            });
        }
        if (access != null) {
            environment.healthChecks().register("iscsi", new HealthCheck() {
                @Override
                protected Result check() {
                    Optional<OpenCommand> oldest = access.oldestOpenCommand();
                    if (oldest.isPresent() && oldest.get().age().compareTo(COMMAND_STUCK_AFTER) > 0) {
                        return Result.unhealthy("a command has had no status for over "
                                + COMMAND_STUCK_AFTER.toSeconds() + " s (initiators give up sooner): " + oldest.get());
                    }
                    return Result.healthy("portal " + access.portalAddresses() + ", " + access.sessionCount()
                            + " sessions");
                }
            });
        }
    }

    /** Prints, once the node is registered and sees a leader, what to connect to. */
    private static void announceWhenReady(final NodeSettings node, final LeaderAddress self,
            final Supplier<Optional<LeaderAddress>> leader, final NodeAgent agent, final Path dataDir,
            final KeelNodeConfiguration configuration, final AccessRole access, final BooleanSupplier exportsReady) {
        Thread.ofVirtual().name("ready-banner").start(() -> {
            Path passwordFile = dataDir.resolve(ClusterBootstrap.PASSWORD_FILE);
            try {
                while (!agent.registered() || leader.get().isEmpty()) {
                    SystemClock.INSTANCE.sleep(Duration.ofMillis(100));
                }
                // The node that creates the cluster writes the generated password moments later, and
                // creates the demo's target after that.
                for (int wait = 0; wait < 50 && configuration.admin().initialPassword() == null
                        && !Files.exists(passwordFile); wait++) {
                    SystemClock.INSTANCE.sleep(Duration.ofMillis(100));
                }
                for (int wait = 0; wait < 100 && !exportsReady.getAsBoolean(); wait++) {
                    SystemClock.INSTANCE.sleep(Duration.ofMillis(100));
                }
            } catch (InterruptedException e) {
                return;
            }
            String password = configuration.admin().initialPassword() != null
                    ? "the configuration's admin.initialPassword"
                    : Files.exists(passwordFile) ? passwordFile.toString()
                    : "<dataDir>/" + ClusterBootstrap.PASSWORD_FILE + " on the node that created the cluster";
            String banner = """

                    Keel node %s is ready (meta leader: %s)
                      REST API    %s/api/v1   (user '%s', password in %s)
                      metrics     http://%s:%d/metrics/prometheus   health: /healthcheck
                      CLI         ./keel volume list   (./keel --help)
                    %s""".formatted(node.name(), leader.get().map(LeaderAddress::nodeName).orElse("?"),
                    self.restUrl(), configuration.admin().user(), password, node.advertiseHost(),
                    adminPort(configuration), iscsiBanner(access, configuration));
            LOG.info(banner);
            System.out.println(banner);
        });
    }

    /** The iSCSI lines of the ready banner: the portal, and the demo's target and how to reach it. */
    private static String iscsiBanner(final AccessRole access, final KeelNodeConfiguration configuration) {
        if (access == null) {
            return "";
        }
        List<String> addresses = access.connectAddresses();
        String portal = String.join(", ", addresses);
        ClusterSettings.DemoExport demo = configuration.cluster().demoExport();
        if (demo == null) {
            return "  iSCSI       portal " + portal + "\n";
        }
        String first = addresses.getFirst();
        return """
                  iSCSI       portal %s   target %s (LUN 0 = volume '%s', any initiator, no CHAP)
                              qemu:  -drive file=iscsi://%s/%s/0,format=raw
                              Linux: iscsiadm -m discovery -t st -p %s && iscsiadm -m node -T %s -p %s --login
                """.formatted(portal, demo.targetIqn(), demo.volume(), first, demo.targetIqn(), first,
                demo.targetIqn(), first);
    }

    private static ZooKeeperConfig zooKeeperConfig(final ZooKeeperSettings settings, final Path dataDir) {
        try {
            return switch (settings.mode()) {
                case EMBEDDED -> ZooKeeperConfig.standalone(dataDir.resolve("zookeeper"), settings.clientPort())
                        .withTickMillis(1000);
                case QUORUM -> ZooKeeperConfig.quorum(settings.myId(),
                        settings.servers().stream().map(ZooKeeperPeer::parse).toList(), settings.clientPort(),
                        dataDir.resolve("zookeeper")).withTickMillis(1000);
                case EXTERNAL -> ZooKeeperConfig.external(settings.connectString());
            };
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("invalid zookeeper settings (mode " + settings.mode()
                    + "; myId, servers, clientPort, connectString): " + e.getMessage(), e);
        }
    }

    private static Optional<LeaderAddress> readLeader(final CuratorFramework curator) {
        try {
            return MetaLog.readLeader(curator, META_LOG_PATH).flatMap(info -> LeaderAddress.parse(info.address()));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static int restPort(final KeelNodeConfiguration configuration) {
        return connectorPort(configuration, true);
    }

    private static int adminPort(final KeelNodeConfiguration configuration) {
        return connectorPort(configuration, false);
    }

    private static int connectorPort(final KeelNodeConfiguration configuration, final boolean application) {
        if (configuration.getServerFactory() instanceof DefaultServerFactory server) {
            var connectors = application ? server.getApplicationConnectors() : server.getAdminConnectors();
            if (!connectors.isEmpty() && connectors.get(0) instanceof HttpConnectorFactory http) {
                return http.getPort();
            }
        }
        return application ? 8080 : 8081;
    }

    /** Closes in reverse start order; returns how many failed. */
    private static int closeAll(final Deque<AutoCloseable> started) {
        int failures = 0;
        while (!started.isEmpty()) {
            AutoCloseable next = started.pop();
            try {
                next.close();
            } catch (Exception e) {
                failures++;
                LOG.warn("stopping {} failed: {}", next, e.toString());
            }
        }
        return failures;
    }
}
