package io.keel.meta.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.meta.zookeeper.CuratorClients;
import io.keel.meta.zookeeper.CuratorSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/** Shared helpers of the log tests: clients, members, bounded waits, killing sessions. */
final class LogTestSupport {

    static final CuratorSettings SETTINGS = CuratorSettings.defaults()
            .withNamespace("keel-test")
            .withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(5))
            .withRetry(Duration.ofMillis(20), Duration.ofMillis(200), 3);

    private LogTestSupport() {
    }

    static CuratorFramework client(final String connectString) throws InterruptedException {
        CuratorFramework client = CuratorClients.start(connectString, SETTINGS);
        assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).as("connected to " + connectString).isTrue();
        return client;
    }

    static MetaLogConfig config(final String memberId) {
        return MetaLogConfig.defaults(memberId, memberId + ".example:7000").withPollInterval(Duration.ofMillis(200));
    }

    /** Waits for {@code condition}, failing with {@code what} after {@code timeout}. */
    static void await(final String what, final Duration timeout, final BooleanSupplier condition)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** The single leader among {@code logs}, waiting up to {@code timeout} for there to be exactly one. */
    static MetaLog awaitLeader(final List<MetaLog> logs, final Duration timeout) throws InterruptedException {
        await("exactly one leader", timeout, () -> logs.stream().filter(MetaLog::isLeader).count() == 1);
        Optional<MetaLog> leader = logs.stream().filter(MetaLog::isLeader).findFirst();
        return leader.orElseThrow();
    }

    /**
     * Ends {@code client}'s session on the server, as ZooKeeper does when a session times out:
     * its ephemeral nodes go at once and the client learns it only when it next hears from the
     * server.
     */
    static void expireSession(final CuratorFramework client, final String connectString) throws Exception {
        ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(connectString, 6000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, zk.getSessionId(), zk.getSessionPasswd());
        try {
            assertThat(connected.await(10, TimeUnit.SECONDS)).as("twin session connected").isTrue();
        } finally {
            twin.close();
        }
    }
}
