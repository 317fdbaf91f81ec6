package io.keel.appliance.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** {@code iscsi.listen} entries: what is accepted, and the message for what is not. */
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
    void aHostThatDoesNotResolveIsRefused() {
        assertThatThrownBy(() -> AccessRole.address("no-such-host.invalid:3260"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-such-host.invalid").hasMessageContaining("cannot be resolved");
    }
}
