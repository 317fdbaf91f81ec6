package io.keel.appliance.api;

import io.keel.appliance.auth.PublicEndpoint;
import io.keel.appliance.api.Views.DiskView;
import io.keel.appliance.api.Views.ExtentView;
import io.keel.appliance.api.Views.NodeView;
import io.keel.meta.model.Extent;
import io.keel.meta.model.Node;
import io.keel.meta.model.NodeState;
import io.keel.meta.model.Volume;
import io.keel.meta.server.LeaderAddress;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** The cluster as a whole: health, leader, nodes, disks and under-replicated extents. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public final class ClusterResource {

    private final Supplier<Optional<MetaGateway>> gateway;
    private final Supplier<Optional<LeaderAddress>> leader;
    private final UUID clusterId;

    /**
     * Resources answering from {@code gateway} (present on the leader) and reporting {@code leader}
     * in the health check, which every node answers itself.
     */
    public ClusterResource(final Supplier<Optional<MetaGateway>> gateway,
            final Supplier<Optional<LeaderAddress>> leader, final UUID clusterId) {
        this.gateway = gateway;
        this.leader = leader;
        this.clusterId = clusterId;
    }

    /** Whether this node sees a meta leader; no authentication, for load balancers and scripts. */
    @GET
    @Path("health")
    @PublicEndpoint
    public Map<String, Object> health() {
        Map<String, Object> body = new LinkedHashMap<>();
        Optional<LeaderAddress> current = leader.get();
        body.put("status", current.isPresent() ? "ok" : "degraded");
        body.put("leader", current.map(LeaderAddress::nodeName).orElse(null));
        return body;
    }

    /** The cluster id, the meta leader and its term, and how many nodes are up and down. */
    @GET
    @Path("cluster")
    public Map<String, Object> cluster() {
        MetaGateway meta = leaderGateway();
        List<Node> nodes = meta.read(view -> view.nodes());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("clusterId", clusterId.toString());
        Map<String, Object> leaderInfo = new LinkedHashMap<>();
        leaderInfo.put("node", leader.get().map(LeaderAddress::nodeName).orElse(null));
        leaderInfo.put("term", meta.meta().leader().map(info -> info.term()).orElse(0L));
        body.put("leader", leaderInfo);
        body.put("nodes", Map.of("up", nodes.stream().filter(n -> n.state() == NodeState.UP).count(),
                "down", nodes.stream().filter(n -> n.state() == NodeState.DOWN).count()));
        return body;
    }

    /** Every registered node. */
    @GET
    @Path("nodes")
    public List<NodeView> nodes() {
        MetaGateway meta = leaderGateway();
        return meta.read(view -> view.nodes().stream()
                .map(node -> NodeView.of(node, view, meta.meta().liveness())).toList());
    }

    /** One node, by name. */
    @GET
    @Path("nodes/{name}")
    public NodeView node(@PathParam("name") final String name) {
        MetaGateway meta = leaderGateway();
        return meta.read(view -> view.nodeByName(name).map(node -> NodeView.of(node, view, meta.meta().liveness()))
                .orElseThrow(() -> ApiException.notFound("node '" + name + "' does not exist")));
    }

    /** Every registered data device. */
    @GET
    @Path("disks")
    public List<DiskView> disks() {
        MetaGateway meta = leaderGateway();
        return meta.read(view -> {
            Map<String, String> names = MetaGateway.nodeNames(view);
            return view.disks().stream().map(disk -> DiskView.of(disk, names, meta.meta().liveness())).toList();
        });
    }

    /** Extents with a replica on a node that is down ({@code underReplicated=true} is required). */
    @GET
    @Path("extents")
    public List<ExtentView> extents(@QueryParam("underReplicated") final Boolean underReplicated) {
        if (!Boolean.TRUE.equals(underReplicated)) {
            throw ApiException.invalid("list extents per volume (/api/v1/volumes/{name}/extents), or the "
                    + "under-replicated ones with ?underReplicated=true");
        }
        return leaderGateway().read(view -> {
            Map<String, String> names = MetaGateway.nodeNames(view);
            Set<String> down = downNodes(view.nodes());
            Map<String, String> volumeNames = view.volumes().stream()
                    .collect(Collectors.toMap(Volume::id, Volume::name));
            return view.underReplicatedExtents().stream().map((Extent extent) -> ExtentView.of(extent,
                    volumeNames.getOrDefault(extent.volumeId(), extent.volumeId()), names, down)).toList();
        });
    }

    static Set<String> downNodes(final List<Node> nodes) {
        return nodes.stream().filter(n -> n.state() == NodeState.DOWN).map(Node::id).collect(Collectors.toSet());
    }

    private MetaGateway leaderGateway() {
        return MetaGateway.onLeader(gateway);
    }
}
