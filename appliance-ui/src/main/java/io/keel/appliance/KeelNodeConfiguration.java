package io.keel.appliance;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.keel.appliance.config.AdminSettings;
import io.keel.appliance.config.ChunkSettings;
import io.keel.appliance.config.ClusterSettings;
import io.keel.appliance.config.IscsiSettings;
import io.keel.appliance.config.MetaSettings;
import io.keel.appliance.config.NodeSettings;
import io.keel.appliance.config.ZooKeeperSettings;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/**
 * A node's YAML configuration: Dropwizard's {@code server} and {@code logging} sections plus
 * Keel's own. Every Keel section may be left out; the defaults are a one-node appliance (see
 * {@code docs/configuration.md}).
 */
public class KeelNodeConfiguration extends Configuration {

    @Valid
    @NotNull
    private NodeSettings node = new NodeSettings(null, null, null, null, null, 0);

    @Valid
    @NotNull
    private ZooKeeperSettings zookeeper = new ZooKeeperSettings(null, 0, 0, null, null, null);

    @Valid
    @NotNull
    private ChunkSettings chunk = new ChunkSettings(null, 0, null, null);

    @Valid
    @NotNull
    private MetaSettings meta = new MetaSettings(null, null, 0);

    @Valid
    @NotNull
    private ClusterSettings cluster = new ClusterSettings(null, null, null);

    @Valid
    @NotNull
    private AdminSettings admin = new AdminSettings(null, null);

    @Valid
    @NotNull
    private IscsiSettings iscsi = new IscsiSettings(null, null, 0, 0);

    /** Who this node is and which roles it runs. */
    @JsonProperty("node")
    public NodeSettings node() {
        return node;
    }

    @JsonProperty("node")
    void setNode(final NodeSettings node) {
        this.node = node;
    }

    /** Where the node finds ZooKeeper. */
    @JsonProperty("zookeeper")
    public ZooKeeperSettings zookeeper() {
        return zookeeper;
    }

    @JsonProperty("zookeeper")
    void setZookeeper(final ZooKeeperSettings zookeeper) {
        this.zookeeper = zookeeper;
    }

    /** The chunk role's devices. */
    @JsonProperty("chunk")
    public ChunkSettings chunk() {
        return chunk;
    }

    @JsonProperty("chunk")
    void setChunk(final ChunkSettings chunk) {
        this.chunk = chunk;
    }

    /** Failure detection and log maintenance of the meta role. */
    @JsonProperty("meta")
    public MetaSettings meta() {
        return meta;
    }

    @JsonProperty("meta")
    void setMeta(final MetaSettings meta) {
        this.meta = meta;
    }

    /** The cluster key and what a new cluster starts with. */
    @JsonProperty("cluster")
    public ClusterSettings cluster() {
        return cluster;
    }

    @JsonProperty("cluster")
    void setCluster(final ClusterSettings cluster) {
        this.cluster = cluster;
    }

    /** The REST API's admin account. */
    @JsonProperty("admin")
    public AdminSettings admin() {
        return admin;
    }

    @JsonProperty("admin")
    void setAdmin(final AdminSettings admin) {
        this.admin = admin;
    }

    /** The access role's iSCSI portal. */
    @JsonProperty("iscsi")
    public IscsiSettings iscsi() {
        return iscsi;
    }

    @JsonProperty("iscsi")
    void setIscsi(final IscsiSettings iscsi) {
        this.iscsi = iscsi;
    }
}
