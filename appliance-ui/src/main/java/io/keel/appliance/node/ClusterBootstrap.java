package io.keel.appliance.node;

import io.keel.appliance.config.AdminSettings;
import io.keel.appliance.config.ClusterSettings;
import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CreatePool;
import io.keel.meta.command.SetAdminCredential;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Node;
import io.keel.meta.model.Provisioning;
import io.keel.meta.model.QosLimits;
import io.keel.meta.secret.AdminCredential;
import io.keel.meta.server.LeaderDuties.BootstrapTask;
import io.keel.runtime.time.Clock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
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
        return List.of(account, defaultPool);
    }

    private static String generated() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
