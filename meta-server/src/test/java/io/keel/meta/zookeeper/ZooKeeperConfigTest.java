package io.keel.meta.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ZooKeeperConfigTest {

    private static final Path DIR = Path.of("/tmp/zk-config-test");

    private static List<ZooKeeperPeer> three() {
        return List.of(ZooKeeperPeer.parse("1=10.0.0.1:2888:3888"), ZooKeeperPeer.parse("2=10.0.0.2:2888:3888"),
                ZooKeeperPeer.parse("3=10.0.0.3:2888:3888;2182"));
    }

    @Test
    void connectStringPerMode() {
        assertThat(ZooKeeperConfig.standalone(DIR, 2181).connectString()).isEqualTo("127.0.0.1:2181");
        assertThat(ZooKeeperConfig.quorum(2, three(), 2181, DIR).connectString())
                .isEqualTo("10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2182");
        assertThat(ZooKeeperConfig.external(" zk1:2181,zk2:2181/keel ").connectString())
                .isEqualTo("zk1:2181,zk2:2181/keel");
    }

    @Test
    void parsesServerSpecs() {
        ZooKeeperPeer peer = ZooKeeperPeer.parse("3=node-c.local:2888:3888;2182");
        assertThat(peer).isEqualTo(new ZooKeeperPeer(3, "node-c.local", 2888, 3888, 2182));
        assertThat(ZooKeeperPeer.parse("1=h:1:2").clientPort()).isZero();
        assertThatThrownBy(() -> ZooKeeperPeer.parse("h:1:2")).hasMessageContaining("id=host:peerPort");
        assertThatThrownBy(() -> ZooKeeperPeer.parse("1=h:1")).hasMessageContaining("id=host:peerPort");
        assertThatThrownBy(() -> ZooKeeperPeer.parse("x=h:1:2")).hasMessageContaining("bad id");
        assertThatThrownBy(() -> ZooKeeperPeer.parse("1=h:99999:2")).hasMessageContaining("peer port");
        assertThatThrownBy(() -> ZooKeeperPeer.parse("1=h:5:5")).hasMessageContaining("both peer and election");
        assertThatThrownBy(() -> ZooKeeperPeer.parse("0=h:1:2")).hasMessageContaining("server id");
    }

    @Test
    void rejectsBadQuorums() {
        assertThatThrownBy(() -> ZooKeeperConfig.quorum(4, three(), 2181, DIR))
                .hasMessageContaining("my id 4 is not in the server list");
        List<ZooKeeperPeer> dup = List.of(ZooKeeperPeer.parse("1=a:2888:3888"), ZooKeeperPeer.parse("1=b:2888:3888"),
                ZooKeeperPeer.parse("3=c:2888:3888"));
        assertThatThrownBy(() -> ZooKeeperConfig.quorum(1, dup, 2181, DIR)).hasMessageContaining("appears twice");
        List<ZooKeeperPeer> clash = List.of(ZooKeeperPeer.parse("1=a:2888:3888"), ZooKeeperPeer.parse("2=a:2888:3889"),
                ZooKeeperPeer.parse("3=c:2888:3888"));
        assertThatThrownBy(() -> ZooKeeperConfig.quorum(1, clash, 2181, DIR)).hasMessageContaining("both use a:2888");
        assertThatThrownBy(() -> ZooKeeperConfig.quorum(1, three().subList(0, 2), 2181, DIR))
                .hasMessageContaining("at least 3");
        assertThatThrownBy(() -> ZooKeeperConfig.quorum(1, three(), 2888, DIR)).hasMessageContaining("clashes");
        assertThatThrownBy(() -> ZooKeeperConfig.quorum(3, three(), 2181, DIR))
                .hasMessageContaining("lists client port 2182");
        assertThatThrownBy(() -> ZooKeeperConfig.quorum(1, three(), 0, DIR)).hasMessageContaining("client port");
    }

    @Test
    void rejectsBadStandaloneAndExternal() {
        assertThatThrownBy(() -> ZooKeeperConfig.standalone(DIR, 70_000)).hasMessageContaining("client port");
        assertThatThrownBy(() -> ZooKeeperConfig.external("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ZooKeeperConfig.external("   ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ZooKeeperConfig.external("zk1")).hasMessageContaining("bad ZooKeeper connect string");
        assertThatThrownBy(() -> ZooKeeperConfig.external("zk1:0")).hasMessageContaining("1..65535");
        assertThatThrownBy(() -> ZooKeeperConfig.external("zk1:2181").withTickMillis(100))
                .hasMessageContaining("external");
        assertThatThrownBy(() -> ZooKeeperConfig.standalone(DIR, 2181).withTickMillis(1)).hasMessageContaining("tick");
    }

    @Test
    void curatorSettingsAreChecked() {
        assertThat(CuratorSettings.defaults().namespace()).isEqualTo("keel");
        assertThatThrownBy(() -> CuratorSettings.defaults().withNamespace("/keel")).hasMessageContaining("namespace");
        assertThatThrownBy(() -> CuratorSettings.defaults().withTimeouts(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessageContaining("sessionTimeout");
        assertThatThrownBy(() -> CuratorSettings.defaults().withRetry(Duration.ofSeconds(2), Duration.ofSeconds(1), 3))
                .hasMessageContaining("retryMaxSleep");
    }
}
