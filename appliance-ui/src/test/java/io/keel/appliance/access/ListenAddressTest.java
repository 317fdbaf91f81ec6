package io.keel.appliance.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** {@code iscsi.listen} entries: what is accepted, the message for what is not, and what initiators are told. */
class ListenAddressTest {

    @Test
    void hostPortPairsAreAccepted() {
        assertThat(AccessRole.address("0.0.0.0:3260")).isEqualTo(new InetSocketAddress("0.0.0.0", 3260));
        assertThat(AccessRole.address("127.0.0.1:0").getPort()).isZero();
        assertThat(AccessRole.address("[::1]:3261")).isEqualTo(new InetSocketAddress("::1", 3261));
        assertThat(AccessRole.address("localhost:3260").isUnresolved()).isFalse();
    }

    @Test
    void malformedEntriesAreRefusedNamingTheSettingAndTheValue() {
        for (String bad : new String[] {"3260", ":3260", "127.0.0.1:", "127.0.0.1:port", "127.0.0.1:70000",
                "127.0.0.1:-1", "", "::1"}) {
            assertThatThrownBy(() -> AccessRole.address(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("iscsi.listen address '" + bad + "'");
        }
    }

    @Test
    void aWildcardListenAddressIsShownAsAnAddressInitiatorsCanReach() {
        assertThat(AccessRole.connectAddress(new InetSocketAddress("127.0.0.1", 3260))).isEqualTo("127.0.0.1:3260");
        assertThat(AccessRole.connectAddress(new InetSocketAddress("::1", 3261))).isEqualTo("[0:0:0:0:0:0:0:1]:3261");
        String wildcard = AccessRole.connectAddress(new InetSocketAddress("0.0.0.0", 3260));
        assertThat(wildcard).endsWith(":3260").doesNotStartWith("0.0.0.0");
        assertThat(AccessRole.connectAddress(new InetSocketAddress("::", 3260))).doesNotStartWith("[0:0:0:0:0:0:0:0]");
    }

    @Test
    void containerAndVmBridgesAreNotWhereInitiatorsConnect() {
        for (String bridge : new String[] {"docker0", "br-3f2a9c", "veth12ab", "virbr0", "cni0", "podman0"}) {
            assertThat(AccessRole.isBridge(bridge)).as(bridge).isTrue();
        }
        for (String nic : new String[] {"eth0", "ens3", "enp0s31f6", "br0", "bond0", "eno1.100"}) {
            assertThat(AccessRole.isBridge(nic)).as(nic).isFalse();
        }
    }

    @Test
    void aHostThatDoesNotResolveIsRefused() {
        assertThatThrownBy(() -> AccessRole.address("no-such-host.invalid:3260"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-such-host.invalid").hasMessageContaining("cannot be resolved");
    }
}
