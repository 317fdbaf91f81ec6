package io.keel.meta.log;

import static io.keel.meta.log.LogTestSupport.awaitLeader;
import static io.keel.meta.log.LogTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.keel.meta.zookeeper.EmbeddedZooKeeper;
import io.keel.meta.zookeeper.FreePorts;
import io.keel.meta.zookeeper.ZooKeeperConfig;
import io.keel.meta.zookeeper.ZooKeeperPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The log on a three-peer quorum of embedded ZooKeeper servers, as on a three-node appliance. */
@Timeout(90)
class MetaLogOnQuorumTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void logKeepsWorkingWithOnePeerDown() throws Exception {
        int[] ports = FreePorts.take(9);
        List<ZooKeeperPeer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            peers.add(new ZooKeeperPeer(i + 1, "127.0.0.1", ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]));
        }
        List<EmbeddedZooKeeper> servers = new ArrayList<>();
        List<CuratorFramework> clients = new ArrayList<>();
        List<MetaLog> logs = new ArrayList<>();
        List<MemoryStateMachine> states = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                servers.add(EmbeddedZooKeeper.start(ZooKeeperConfig.quorum(i + 1, peers, ports[3 * i + 2],
                        dir.resolve("zk" + i)).withTickMillis(200).withClientBindAddress("127.0.0.1")));
            }
            for (int i = 0; i < 3; i++) {
                clients.add(LogTestSupport.client(servers.get(i).connectString()));
                states.add(new MemoryStateMachine());
                logs.add(new MetaLog(clients.get(i), states.get(i), config("n" + i)));
                logs.get(i).start();
            }
            MetaLog leader = awaitLeader(logs, WAIT);
            for (int i = 0; i < 50; i++) {
                leader.append(MemoryStateMachine.entry("a" + i, "p"));
            }
            // two of three peers still make a quorum; clients of the stopped one move to the others
            servers.get(2).close();
            MetaLog current = awaitLeader(logs, WAIT);
            long last = 0;
            for (int i = 0; i < 50; i++) {
                while (true) {
                    try {
                        last = awaitLeader(logs, WAIT).append(MemoryStateMachine.entry("b" + i, "p"));
                        break;
                    } catch (NotLeaderException e) {
                        Thread.sleep(20);
                    }
                }
            }
            assertThat(current).isNotNull();
            assertThat(last).isGreaterThanOrEqualTo(100);
            for (MetaLog log : logs) {
                assertThat(log.awaitApplied(last, WAIT)).isTrue();
            }
            for (MemoryStateMachine sm : states) {
                assertThat(sm.entries().headMap(last, true)).isEqualTo(states.get(0).entries().headMap(last, true));
                assertThat(sm.violation()).isNull();
            }
        } finally {
            logs.forEach(MetaLog::close);
            clients.forEach(CuratorFramework::close);
            servers.forEach(EmbeddedZooKeeper::close);
        }
    }
}
