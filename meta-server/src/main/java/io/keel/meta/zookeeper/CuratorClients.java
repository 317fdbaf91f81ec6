package io.keel.meta.zookeeper;

import java.util.Objects;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;

/** Builds the node's Curator clients from a connect string and {@link CuratorSettings}. */
public final class CuratorClients {

    private CuratorClients() {
    }

    /**
     * A started client for {@code connectString} under {@code settings.namespace()}. It connects
     * in the background; callers that need the connection wait with
     * {@code blockUntilConnected}. Close it when done.
     */
    public static CuratorFramework start(final String connectString, final CuratorSettings settings) {
        Objects.requireNonNull(connectString, "connectString");
        Objects.requireNonNull(settings, "settings");
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .namespace(settings.namespace())
                .sessionTimeoutMs((int) settings.sessionTimeout().toMillis())
                .connectionTimeoutMs((int) settings.connectionTimeout().toMillis())
                .retryPolicy(new BoundedExponentialBackoffRetry((int) settings.retryBaseSleep().toMillis(),
                        (int) settings.retryMaxSleep().toMillis(), settings.maxRetries()))
                .build();
        client.start();
        return client;
    }
}
