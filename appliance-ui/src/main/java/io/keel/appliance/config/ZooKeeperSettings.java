package io.keel.appliance.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the node finds ZooKeeper: a server embedded in this process (one-node appliance), an
 * embedded quorum peer (three-node appliance), or an external ensemble.
 *
 * @param mode           embedded, quorum or external
 * @param clientPort     the client port of the embedded server or peer
 * @param myId           quorum mode: this node's server id in {@code servers}
 * @param servers        quorum mode: every peer as {@code id=host:peerPort:electionPort}
 * @param connectString  external mode: the ensemble's connect string
 * @param sessionTimeout the ZooKeeper session timeout; a dead meta leader is replaced after about this long
 */
public record ZooKeeperSettings(
        @JsonProperty("mode") Mode mode,
        @JsonProperty("clientPort") @Min(1) @Max(65535) int clientPort,
        @JsonProperty("myId") int myId,
        @JsonProperty("servers") List<String> servers,
        @JsonProperty("connectString") String connectString,
        @JsonProperty("sessionTimeout") @MinDuration(value = 1, unit = TimeUnit.SECONDS) Duration sessionTimeout) {

    /** How the node reaches ZooKeeper. */
    public enum Mode {
        /** A standalone server inside this process. */
        EMBEDDED,
        /** A quorum peer inside this process; the peers are listed in {@code servers}. */
        QUORUM,
        /** An ensemble run elsewhere, reached through {@code connectString}. */
        EXTERNAL;

        /** Accepts lower-case names in configuration files. */
        @JsonCreator
        public static Mode parse(final String text) {
            for (Mode mode : values()) {
                if (mode.name().equalsIgnoreCase(text)) {
                    return mode;
                }
            }
            throw new IllegalArgumentException("unknown zookeeper mode '" + text + "' (embedded, quorum or external)");
        }
    }

    /** Fills the documented defaults: embedded on port 2181, 6 s sessions. */
    public ZooKeeperSettings {
        mode = mode == null ? Mode.EMBEDDED : mode;
        clientPort = clientPort == 0 ? 2181 : clientPort;
        servers = servers == null ? List.of() : List.copyOf(servers);
        sessionTimeout = sessionTimeout == null ? Duration.seconds(6) : sessionTimeout;
    }
}
