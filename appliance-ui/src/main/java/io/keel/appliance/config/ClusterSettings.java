package io.keel.appliance.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import java.nio.file.Path;

/**
 * Cluster-wide settings a node brings: the key that encrypts secrets in the metadata, and what
 * the cluster is given when it is new.
 *
 * @param keyFile     the cluster key (32 random bytes, hex); every node of a cluster needs the same
 *                    one. Relative to the data directory; made by the node that creates the cluster
 *                    when missing there
 * @param defaultPool a pool the meta leader creates when the cluster has none, or null for none
 * @param demoExport  the demo's default volume and target, or null for none
 */
public record ClusterSettings(
        @JsonProperty("keyFile") Path keyFile,
        @JsonProperty("defaultPool") @Valid DefaultPool defaultPool,
        @JsonProperty("demoExport") @Valid DemoExport demoExport) {

    /** Fills the documented default key file, {@code cluster.key} in the data directory. */
    public ClusterSettings {
        keyFile = keyFile == null ? Path.of("cluster.key") : keyFile;
    }

    /**
     * The pool a new cluster starts with.
     *
     * @param name              the pool's name
     * @param replicationFactor its replication factor
     */
    public record DefaultPool(
            @JsonProperty("name") @NotEmpty String name,
            @JsonProperty("replicationFactor") @Min(1) @Max(3) int replicationFactor) {
    }

    /**
     * For the demo appliance only: a thin volume in the default pool exported as LUN 0 of a target
     * that admits any initiator without CHAP, created once when the cluster has none of them.
     *
     * @param volume    the volume's name
     * @param sizeBytes its size
     * @param targetIqn the target's IQN
     */
    public record DemoExport(
            @JsonProperty("volume") @NotEmpty String volume,
            @JsonProperty("sizeBytes") @Min(1 << 20) long sizeBytes,
            @JsonProperty("targetIqn") @NotEmpty String targetIqn) {
    }
}
