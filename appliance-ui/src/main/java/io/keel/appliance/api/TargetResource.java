package io.keel.appliance.api;

import io.keel.appliance.api.Requests.Chap;
import io.keel.appliance.api.Requests.TargetDefinition;
import io.keel.appliance.api.Views.LunView;
import io.keel.appliance.api.Views.SessionView;
import io.keel.appliance.api.Views.TargetView;
import io.keel.meta.command.CreateTarget;
import io.keel.meta.command.DeleteTarget;
import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.UpdateTarget;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.model.IscsiTarget;
import io.keel.meta.model.Lun;
import io.keel.meta.model.Node;
import io.keel.meta.model.NodeState;
import io.keel.meta.model.Volume;
import io.keel.meta.secret.SecretBox;
import io.keel.meta.server.NodeLiveness;
import io.keel.meta.store.MetaReader;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * iSCSI targets: IQN, LUNs mapped to volumes, allowed initiators and CHAP. CHAP secrets are
 * sealed with the cluster key before they reach the metadata and are never answered.
 */
@Path("/api/v1/targets")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class TargetResource {

    private final Supplier<Optional<MetaGateway>> gateway;
    private final SecretBox secrets;

    /** Targets as {@code gateway} (present on the meta leader) holds them; secrets sealed by {@code secrets}. */
    public TargetResource(final Supplier<Optional<MetaGateway>> gateway, final SecretBox secrets) {
        this.gateway = gateway;
        this.secrets = secrets;
    }

    /** Every target. */
    @GET
    public List<TargetView> list() {
        return meta().read(view -> view.targets().stream().map(target -> TargetView.of(target, view)).toList());
    }

    /** One target. */
    @GET
    @Path("{iqn}")
    public TargetView get(@PathParam("iqn") final String iqn) {
        return meta().read(view -> TargetView.of(target(view, iqn), view));
    }

    /**
     * The sessions logged in to target {@code iqn} on every node that is up, as each node's last
     * heartbeat to this leader said (one heartbeat interval old at most).
     */
    @GET
    @Path("{iqn}/sessions")
    public List<SessionView> sessions(@PathParam("iqn") final String iqn) {
        MetaGateway meta = meta();
        NodeLiveness liveness = meta.meta().liveness();
        return meta.read(view -> {
            target(view, iqn);
            List<SessionView> sessions = new ArrayList<>();
            for (Node node : view.nodes()) {
                if (node.state() == NodeState.UP) {
                    liveness.report(node.id()).ifPresent(report -> report.iscsiSessions().stream()
                            .filter(session -> session.target().equals(iqn))
                            .forEach(session -> sessions.add(SessionView.of(node.name(), session))));
                }
            }
            return sessions;
        });
    }

    /** Creates a target. */
    @POST
    public Response create(final TargetDefinition request, @Context final HttpHeaders headers) {
        TargetDefinition body = Requests.required(request, "body");
        String iqn = Requests.required(body.iqn(), "iqn");
        MetaGateway meta = meta();
        List<Lun> luns = meta.read(view -> luns(view, iqn, body.luns()));
        meta.change(new CreateTarget(MetaGateway.changeId(headers, "create-target"), iqn, body.alias(), luns,
                initiators(body), seal(iqn, body.chap(), null), meta.now()));
        return Response.status(Response.Status.CREATED).entity(get(iqn)).build();
    }

    /** Replaces a target's alias, LUNs, initiators and CHAP; a CHAP without secret keeps the stored one. */
    @PUT
    @Path("{iqn}")
    public TargetView replace(@PathParam("iqn") final String iqn, final TargetDefinition request,
            @Context final HttpHeaders headers) {
        TargetDefinition body = Requests.required(request, "body");
        if (body.iqn() != null && !body.iqn().equals(iqn)) {
            throw ApiException.invalid("the body names target '" + body.iqn() + "' but the path names '" + iqn + "'");
        }
        MetaGateway meta = meta();
        IscsiTarget existing = meta.read(view -> target(view, iqn));
        List<Lun> luns = meta.read(view -> luns(view, iqn, body.luns()));
        meta.change(new UpdateTarget(MetaGateway.changeId(headers, "update-target"), iqn, body.alias(), luns,
                initiators(body), seal(iqn, body.chap(), existing.chap())));
        return get(iqn);
    }

    /** Deletes a target. */
    @DELETE
    @Path("{iqn}")
    public Response delete(@PathParam("iqn") final String iqn, @Context final HttpHeaders headers) {
        meta().change(new DeleteTarget(MetaGateway.changeId(headers, "delete-target"), iqn));
        return Response.noContent().build();
    }

    private ChapCredentials seal(final String iqn, final Chap chap, final ChapCredentials stored) {
        return Requests.seal(secrets, iqn, "target '" + iqn + "'", chap, stored);
    }

    private static List<Lun> luns(final MetaReader view, final String iqn, final List<LunView> requested) {
        List<Lun> luns = new ArrayList<>();
        for (LunView lun : requested == null ? List.<LunView>of() : requested) {
            String volume = Requests.required(lun.volume(), "luns[].volume");
            String volumeId = view.volumeByName(volume).map(Volume::id)
                    .orElseThrow(() -> ApiException.notFound("LUN " + lun.lun() + ": volume '" + volume
                            + "' does not exist"));
            sameProtectionEverywhere(view, iqn, volume, volumeId, lun.readOnly());
            luns.add(new Lun(lun.lun(), volumeId, lun.readOnly()));
        }
        return luns;
    }

    /**
     * A volume is one logical unit to initiators (one identifier, whichever target shows it), so
     * multipath software would join a read-only and a writable export of it into one device: a
     * volume is read-only in every target that exports it, or in none. Checked here, before the
     * change is submitted, not by the meta state machine, so replicas of different builds apply
     * the same entries alike.
     */
    private static void sameProtectionEverywhere(final MetaReader view, final String iqn, final String volume,
            final String volumeId, final boolean readOnly) {
        for (IscsiTarget other : view.targetsExporting(volumeId)) {
            boolean differs = !other.iqn().equals(iqn) && other.luns().stream()
                    .anyMatch(l -> l.volumeId().equals(volumeId) && l.readOnly() != readOnly);
            if (differs) {
                throw ApiException.of(ErrorCode.FAILED_PRECONDITION, "volume '" + volume + "' is exported "
                        + (readOnly ? "writable" : "read-only") + " by target " + other.iqn()
                        + "; a volume is read-only in every target that exports it, or in none");
            }
        }
    }

    /**
     * The allowed initiators: an explicit list, or every initiator only when the client says so
     * ({@code anyInitiator: true}), so that leaving the list out cannot open a target by accident.
     */
    private static List<String> initiators(final TargetDefinition body) {
        List<String> listed = body.allowedInitiators() == null ? List.of() : body.allowedInitiators();
        boolean any = Boolean.TRUE.equals(body.anyInitiator());
        if (any && !listed.isEmpty()) {
            throw ApiException.invalid("give either 'allowedInitiators' or 'anyInitiator': true, not both");
        }
        if (!any && listed.isEmpty()) {
            throw ApiException.invalid("'allowedInitiators' must name the initiators that may log in "
                    + "(or set 'anyInitiator': true to admit every initiator; CHAP still applies)");
        }
        return listed;
    }

    private static IscsiTarget target(final MetaReader view, final String iqn) {
        return view.target(iqn).orElseThrow(() -> ApiException.notFound("target '" + iqn + "' does not exist"));
    }

    private MetaGateway meta() {
        return MetaGateway.onLeader(gateway);
    }
}
