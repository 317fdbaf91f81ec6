package io.keel.appliance.api;

import io.keel.appliance.api.Requests.DiscoveryAuth;
import io.keel.appliance.api.Views.DiscoveryAuthView;
import io.keel.meta.command.SetDiscoveryChap;
import io.keel.meta.model.ChapCredentials;
import io.keel.meta.secret.SecretBox;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Cluster-wide iSCSI settings: the CHAP credentials discovery sessions (SendTargets) must log in
 * with. Secrets are sealed with the cluster key before they reach the metadata and never answered.
 */
@Path("/api/v1/iscsi")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class IscsiResource {

    private final Supplier<Optional<MetaGateway>> gateway;
    private final SecretBox secrets;

    /** Settings as {@code gateway} (present on the meta leader) holds them; secrets sealed by {@code secrets}. */
    public IscsiResource(final Supplier<Optional<MetaGateway>> gateway, final SecretBox secrets) {
        this.gateway = gateway;
        this.secrets = secrets;
    }

    /** Whether discovery sessions must authenticate, and as whom (never the secrets). */
    @GET
    @Path("discovery-auth")
    public DiscoveryAuthView discoveryAuth() {
        return DiscoveryAuthView.of(meta().read(view -> view.discoveryChap()).orElse(null));
    }

    /**
     * Discovery sessions must log in with these CHAP credentials from now on (sessions already
     * logged in stay). Leaving {@code chap.secret} out keeps the stored secret of the same user.
     */
    @PUT
    @Path("discovery-auth")
    public DiscoveryAuthView setDiscoveryAuth(final DiscoveryAuth request, @Context final HttpHeaders headers) {
        DiscoveryAuth body = Requests.required(request, "body");
        Requests.required(body.chap(), "chap");
        MetaGateway meta = meta();
        ChapCredentials stored = meta.read(view -> view.discoveryChap()).orElse(null);
        ChapCredentials chap = Requests.seal(secrets, ChapCredentials.DISCOVERY, "discovery", body.chap(), stored);
        meta.change(new SetDiscoveryChap(MetaGateway.changeId(headers, "set-discovery-chap"), chap));
        return DiscoveryAuthView.of(chap);
    }

    /** Discovery sessions log in without authentication again. */
    @DELETE
    @Path("discovery-auth")
    public Response clearDiscoveryAuth(@Context final HttpHeaders headers) {
        meta().change(new SetDiscoveryChap(MetaGateway.changeId(headers, "clear-discovery-chap"), null));
        return Response.noContent().build();
    }

    private MetaGateway meta() {
        return MetaGateway.onLeader(gateway);
    }
}
