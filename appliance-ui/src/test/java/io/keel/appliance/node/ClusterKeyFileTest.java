package io.keel.appliance.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster key file is 64 hex digits; anything else is refused with the file named. */
class ClusterKeyFileTest {

    @TempDir
    Path dir;

    @Test
    void sixtyFourHexDigitsAreAKey() throws IOException {
        Path file = dir.resolve("cluster.key");
        Files.writeString(file, "  " + "ab".repeat(32) + "\n");
        assertThat(ClusterMembership.readKey(file)).hasSize(32).containsOnly((byte) 0xab);
    }

    @Test
    void aShortOrNonHexKeyIsRefused() throws IOException {
        Path shortKey = dir.resolve("short.key");
        Files.writeString(shortKey, "abcd");
        assertThatThrownBy(() -> ClusterMembership.readKey(shortKey)).isInstanceOf(IOException.class)
                .hasMessageContaining(shortKey.toString()).hasMessageContaining("64 hex digits");
        Path text = dir.resolve("text.key");
        Files.writeString(text, "not a key at all, just some words".repeat(2));
        assertThatThrownBy(() -> ClusterMembership.readKey(text)).isInstanceOf(IOException.class)
                .hasMessageContaining("64 hex digits");
    }

    @Test
    void aNodeIdFileThatHoldsNoUuidIsRefusedWithAWayOut() throws IOException {
        Files.writeString(dir.resolve("node.id"), "garbage");
        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("does not hold a node id");
        Path fresh = dir.resolve("fresh");
        assertThat(NodeIdentity.loadOrCreate(fresh)).isEqualTo(NodeIdentity.loadOrCreate(fresh));
    }
}
