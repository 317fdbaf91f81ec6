package io.keel.appliance.node;

import io.keel.appliance.config.AdminSettings;
import io.keel.appliance.config.ClusterSettings;
import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CreatePool;
import io.keel.meta.command.CreateTarget;
import io.keel.meta.command.CreateVolume;
import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.command.SetAdminCredential;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Lun;
import io.keel.meta.model.Node;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.meta.model.Volume;
import io.keel.meta.placement.Placement;
import io.keel.meta.placement.PlacementException;
import io.keel.meta.secret.AdminCredential;
import io.keel.meta.server.LeaderDuties.BootstrapTask;
import io.keel.runtime.time.Clock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a new cluster gets from the first meta leader: the admin account (the configured initial
 * password, or a generated one written to the leader's data directory) and, when configured, a
 * default pool as soon as there are enough nodes for its replication factor.
 */
public final class ClusterBootstrap {

    /** Where the leader that generated the admin password wrote it. */
    public static final String PASSWORD_FILE = "admin-password";

    private static final Logger LOG = LoggerFactory.getLogger(ClusterBootstrap.class);

    private ClusterBootstrap() {
    }

    /** The bootstrap tasks for a node with these settings. */
    public static List<BootstrapTask> tasks(final AdminSettings admin, final ClusterSettings cluster,
            final Path dataDir, final Clock clock) {
        BootstrapTask account = meta -> {
            if (meta.read(view -> view.adminCredential()).isPresent()) {
                return true;
            }
            String password = admin.initialPassword();
            if (password == null) {
                Path file = dataDir.resolve(PASSWORD_FILE);
                password = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : generated();
                NodeIdentity.writeDurably(file, password + "\n");
                LOG.warn("generated the admin password of the new cluster: it is in {}", file);
            }
            AdminCredential credential = AdminCredential.create(admin.user(), password.toCharArray(),
                    AdminCredential.DEFAULT_ITERATIONS, clock.epochMillis());
            ChangeResult result = meta.submit(new SetAdminCredential("bootstrap-admin:" + UUID.randomUUID(),
                    credential));
            LOG.info("admin account '{}': {}", admin.user(), result.ok() ? "set" : result.message());
            return result.ok();
        };
        if (cluster.defaultPool() == null) {
            return List.of(account);
        }
        ClusterSettings.DefaultPool pool = cluster.defaultPool();
        BootstrapTask defaultPool = meta -> {
            boolean hasPools = meta.read(view -> !view.pools().isEmpty());
            if (hasPools) {
                return true;
            }
            List<Node> nodes = meta.read(view -> view.nodes());
            if (nodes.size() < pool.replicationFactor()) {
                return false;
            }
            ChangeResult result = meta.submit(new CreatePool("bootstrap-default-pool:" + UUID.randomUUID(),
                    pool.name(), pool.replicationFactor(), Provisioning.THIN, FailureDomain.NODE, QosLimits.UNLIMITED,
                    clock.epochMillis()));
            LOG.info("default pool '{}' (replication factor {}): {}", pool.name(), pool.replicationFactor(),
                    result.ok() ? "created" : result.message());
            return true;
        };
        if (cluster.demoExport() == null) {
            return List.of(account, defaultPool);
        }
        return List.of(account, defaultPool, demoExport(pool.name(), cluster.demoExport(), clock));
    }

    /** Creates the demo's thin volume and the target exporting it to any initiator, once the default pool exists. */
    private static BootstrapTask demoExport(final String pool, final ClusterSettings.DemoExport export,
            final Clock clock) {
        return meta -> {
            if (meta.read(view -> view.pool(pool).isEmpty())) {
                return false;
            }
            Optional<Volume> existing = meta.read(view -> view.volumeByName(export.volume()));
            String volumeId;
            if (existing.isPresent()) {
                volumeId = existing.get().id();
            } else {
                ExtentPlacement placement;
                try {
                    placement = meta.read(view -> {
                        try {
                            return Placement.forNewVolume(view, pool, export.sizeBytes(), Volume.DEFAULT_EXTENT_SIZE,
                                    null, null);
                        } catch (PlacementException e) {
                            return null;
                        }
                    });
                } catch (RuntimeException e) {
                    placement = null;
                }
                if (placement == null) {
                    return false; // not enough chunk nodes registered yet
                }
                volumeId = UUID.randomUUID().toString();
                ChangeResult created = meta.submit(new CreateVolume("bootstrap-demo-volume:" + UUID.randomUUID(),
                        volumeId, export.volume(), pool, export.sizeBytes(), Provisioning.THIN,
                        Volume.DEFAULT_EXTENT_SIZE, null, placement, clock.epochMillis(), null));
                LOG.info("demo volume '{}' ({} bytes, thin): {}", export.volume(), export.sizeBytes(),
                        created.ok() ? "created" : created.message());
                if (!created.ok()) {
                    return false;
                }
            }
            if (meta.read(view -> view.target(export.targetIqn()).isPresent())) {
                return true;
            }
            ChangeResult target = meta.submit(new CreateTarget("bootstrap-demo-target:" + UUID.randomUUID(),
                    export.targetIqn(), "keel-demo", List.of(new Lun(0, volumeId)), List.of(), null,
                    clock.epochMillis()));
            LOG.warn("demo target {} exports volume '{}' as LUN 0 to ANY initiator without CHAP: {}",
                    export.targetIqn(), export.volume(), target.ok() ? "created" : target.message());
            return target.ok();
        };
    }

    private static String generated() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
