package io.keel.appliance.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Min;
import java.util.concurrent.TimeUnit;

/**
 * Failure detection and log maintenance of the meta role.
 *
 * @param heartbeatInterval how often every node reports to the meta leader
 * @param nodeDownTimeout   how long without a heartbeat before the leader marks a node down
 * @param snapshotEvery     log entries between metadata snapshots (which let old entries be trimmed)
 */
public record MetaSettings(
        @JsonProperty("heartbeatInterval") @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS)
        Duration heartbeatInterval,
        @JsonProperty("nodeDownTimeout") @MinDuration(value = 1, unit = TimeUnit.SECONDS) Duration nodeDownTimeout,
        @JsonProperty("snapshotEvery") @Min(100) int snapshotEvery) {

    /** Fills the documented defaults: 1 s heartbeats, down after 10 s, a snapshot every 10 000 entries. */
    public MetaSettings {
        heartbeatInterval = heartbeatInterval == null ? Duration.seconds(1) : heartbeatInterval;
        nodeDownTimeout = nodeDownTimeout == null ? Duration.seconds(10) : nodeDownTimeout;
        snapshotEvery = snapshotEvery == 0 ? 10_000 : snapshotEvery;
    }
}
