package io.keel.appliance.api;

import io.keel.appliance.api.Requests.NewSnapshot;
import io.keel.appliance.api.Requests.NewVolume;
import io.keel.appliance.api.Requests.VolumeChange;
import io.keel.appliance.api.Views.ExtentView;
import io.keel.appliance.api.Views.SnapshotView;
import io.keel.appliance.api.Views.VolumeView;
import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.CreateSnapshot;
import io.keel.meta.command.CreateVolume;
import io.keel.meta.command.DeleteSnapshot;
import io.keel.meta.command.DeleteVolume;
import io.keel.meta.command.ExtentPlacement;
import io.keel.meta.command.ResizeVolume;
import io.keel.meta.command.SetVolumeQos;
import io.keel.meta.model.Snapshot;
import io.keel.meta.model.Volume;
import io.keel.meta.placement.Placement;
import io.keel.meta.placement.PlacementException;
import io.keel.meta.store.MetaReader;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/** Volumes, their extents (read-only) and their snapshots. */
@Path("/api/v1/volumes")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class VolumeResource {

    private final Supplier<Optional<MetaGateway>> gateway;

    /** Volumes as {@code gateway} (present on the meta leader) holds them. */
    public VolumeResource(final Supplier<Optional<MetaGateway>> gateway) {
        this.gateway = gateway;
    }

    /** Every volume, or those of one pool. */
    @GET
    public List<VolumeView> list(@QueryParam("pool") final String pool) {
        return meta().read(view -> {
            List<Volume> volumes = pool == null ? view.volumes() : view.volumesOf(pool);
            return volumes.stream().map(volume -> VolumeView.of(volume, view)).toList();
        });
    }

    /** One volume. */
    @GET
    @Path("{name}")
    public VolumeView get(@PathParam("name") final String name) {
        return meta().read(view -> VolumeView.of(volume(view, name), view));
    }

    /** Creates a volume and places its extents' replicas. */
    @POST
    public Response create(final NewVolume request, @Context final HttpHeaders headers) {
        NewVolume body = Requests.required(request, "body");
        String name = Requests.required(body.name(), "name");
        String poolName = Requests.required(body.pool(), "pool");
        long size = Requests.required(body.sizeBytes(), "sizeBytes");
        Integer physicalBlockBytes = body.physicalBlockBytes();
        if (physicalBlockBytes != null && !Volume.PHYSICAL_BLOCK_BYTES.contains(physicalBlockBytes)) {
            throw ApiException.invalid("physicalBlockBytes must be 512 or 4096 (the default), got "
                    + physicalBlockBytes);
        }
        // The default goes into the log as null: builds that do not know the field read the entry.
        Integer nonDefaultBlock = Objects.equals(physicalBlockBytes, Volume.DEFAULT_PHYSICAL_BLOCK_BYTES)
                ? null : physicalBlockBytes;
        MetaGateway meta = meta();
        String baseId = MetaGateway.changeId(headers, "create-volume");
        ChangeResult result = meta.changeWithPlacement(baseId, changeId -> meta.read(view -> {
            if (view.pool(poolName).isEmpty()) {
                throw ApiException.notFound("pool '" + poolName + "' does not exist");
            }
            String servingNode = body.servingNode() == null ? null : MetaGateway.nodeId(view, body.servingNode());
            ExtentPlacement placement = place(() -> Placement.forNewVolume(view, poolName, size,
                    Volume.DEFAULT_EXTENT_SIZE, null, servingNode), "volume '" + name + "'");
            return new CreateVolume(changeId, UUID.randomUUID().toString(), name, poolName, size, null,
                    Volume.DEFAULT_EXTENT_SIZE, servingNode, placement, meta.now(), nonDefaultBlock);
        }));
        return Response.status(Response.Status.CREATED).entity(meta.read(view -> VolumeView.of(
                view.volume(result.createdId()).orElseThrow(() -> ApiException.notFound(
                        "volume '" + name + "' was deleted meanwhile")), view))).build();
    }

    /**
     * Grows a volume ({@code sizeBytes}), gives it QoS limits of its own ({@code qos}) or returns it
     * to its pool's ({@code "poolQos": true}).
     */
    @PATCH
    @Path("{name}")
    public VolumeView update(@PathParam("name") final String name, final VolumeChange request,
            @Context final HttpHeaders headers) {
        VolumeChange body = Requests.required(request, "body");
        boolean poolQos = Boolean.TRUE.equals(body.poolQos());
        if (body.sizeBytes() == null && body.qos() == null && !poolQos) {
            throw ApiException.invalid("nothing to change: give sizeBytes, qos or \"poolQos\": true");
        }
        if (body.qos() != null && poolQos) {
            throw ApiException.invalid("give either qos (the volume's own limits) or \"poolQos\": true, not both");
        }
        MetaGateway meta = meta();
        if (body.sizeBytes() != null) {
            long size = body.sizeBytes();
            meta.changeWithPlacement(MetaGateway.changeId(headers, "resize-volume"), changeId -> meta.read(view -> {
                Volume volume = volume(view, name);
                if (size < volume.sizeBytes()) {
                    throw ApiException.invalid("volume '" + name + "' is " + volume.sizeBytes() + " bytes; volumes "
                            + "only grow, not to " + size);
                }
                return new ResizeVolume(changeId, volume.id(), size,
                        place(() -> Placement.forResize(view, volume, size), "volume '" + name + "'"));
            }));
        }
        if (body.qos() != null || poolQos) {
            String id = meta.read(view -> volume(view, name).id());
            meta.change(new SetVolumeQos(MetaGateway.changeId(headers, "volume-qos"), id,
                    poolQos ? null : Requests.qos(body.qos())));
        }
        return get(name);
    }

    /** Deletes a volume that is neither exported nor snapshotted. */
    @DELETE
    @Path("{name}")
    public Response delete(@PathParam("name") final String name, @Context final HttpHeaders headers) {
        MetaGateway meta = meta();
        String id = meta.read(view -> volume(view, name).id());
        meta.change(new DeleteVolume(MetaGateway.changeId(headers, "delete-volume"), id));
        return Response.noContent().build();
    }

    /** A volume's extents and where their replicas are. */
    @GET
    @Path("{name}/extents")
    public List<ExtentView> extents(@PathParam("name") final String name) {
        return meta().read(view -> {
            Volume volume = volume(view, name);
            Map<String, String> names = MetaGateway.nodeNames(view);
            Set<String> down = ClusterResource.downNodes(view.nodes());
            return view.extentsOf(volume.id()).stream()
                    .map(extent -> ExtentView.of(extent, volume.name(), names, down)).toList();
        });
    }

    /** A volume's snapshots. */
    @GET
    @Path("{name}/snapshots")
    public List<SnapshotView> snapshots(@PathParam("name") final String name) {
        return meta().read(view -> view.snapshotsOf(volume(view, name).id()).stream()
                .map(snapshot -> SnapshotView.of(snapshot, name)).toList());
    }

    /** Takes a snapshot of a volume. */
    @POST
    @Path("{name}/snapshots")
    public Response snapshot(@PathParam("name") final String name, final NewSnapshot request,
            @Context final HttpHeaders headers) {
        String snapshotName = Requests.required(Requests.required(request, "body").name(), "name");
        MetaGateway meta = meta();
        String volumeId = meta.read(view -> volume(view, name).id());
        ChangeResult result = meta.change(new CreateSnapshot(MetaGateway.changeId(headers, "create-snapshot"),
                UUID.randomUUID().toString(), volumeId, snapshotName, meta.now()));
        return Response.status(Response.Status.CREATED).entity(meta.read(view -> SnapshotView.of(
                view.snapshot(result.createdId()).orElseThrow(() -> ApiException.notFound(
                        "snapshot '" + snapshotName + "' was deleted meanwhile")), name))).build();
    }

    /** Deletes a snapshot. */
    @DELETE
    @Path("{name}/snapshots/{snapshot}")
    public Response deleteSnapshot(@PathParam("name") final String name, @PathParam("snapshot") final String snapshot,
            @Context final HttpHeaders headers) {
        MetaGateway meta = meta();
        String snapshotId = meta.read(view -> view.snapshotsOf(volume(view, name).id()).stream()
                .filter(s -> s.name().equals(snapshot)).map(Snapshot::id).findFirst()
                .orElseThrow(() -> ApiException.notFound("volume '" + name + "' has no snapshot '" + snapshot + "'")));
        meta.change(new DeleteSnapshot(MetaGateway.changeId(headers, "delete-snapshot"), snapshotId));
        return Response.noContent().build();
    }

    private MetaGateway meta() {
        return MetaGateway.onLeader(gateway);
    }

    private static Volume volume(final MetaReader view, final String name) {
        return view.volumeByName(name).orElseThrow(() -> ApiException.notFound("volume '" + name + "' does not exist"));
    }

    /** A placement step that may fail. */
    private interface PlacementStep {
        ExtentPlacement place() throws PlacementException;
    }

    private static ExtentPlacement place(final PlacementStep step, final String what) {
        try {
            return step.place();
        } catch (PlacementException e) {
            throw switch (e.reason()) {
                case TOO_FEW_DOMAINS -> new ApiException(409, "FAILED_PRECONDITION", what + ": " + e.getMessage());
                case INSUFFICIENT_CAPACITY -> new ApiException(422, "INSUFFICIENT_CAPACITY",
                        what + ": " + e.getMessage());
                case INVALID_REQUEST -> ApiException.invalid(what + ": " + e.getMessage());
            };
        }
    }
}
