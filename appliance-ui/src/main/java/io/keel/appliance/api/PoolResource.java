package io.keel.appliance.api;

import io.keel.appliance.api.Requests.NewPool;
import io.keel.appliance.api.Requests.PoolChange;
import io.keel.appliance.api.Views.PoolView;
import io.keel.meta.command.CreatePool;
import io.keel.meta.command.DeletePool;
import io.keel.meta.command.UpdatePool;
import io.keel.meta.model.FailureDomain;
import io.keel.meta.model.Pool;
import io.keel.meta.model.Provisioning;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Storage pools: replication factor, provisioning, failure domain and QoS defaults. */
@Path("/api/v1/pools")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class PoolResource {

    private final Supplier<Optional<MetaGateway>> gateway;

    /** Pools as {@code gateway} (present on the meta leader) holds them. */
    public PoolResource(final Supplier<Optional<MetaGateway>> gateway) {
        this.gateway = gateway;
    }

    /** Every pool with its usage. */
    @GET
    public List<PoolView> list() {
        return meta().read(view -> view.pools().stream()
                .map(pool -> PoolView.of(pool, view.poolUsage(pool.name()).orElse(null))).toList());
    }

    /** One pool. */
    @GET
    @Path("{name}")
    public PoolView get(@PathParam("name") final String name) {
        return show(meta(), name);
    }

    /** Creates a pool. */
    @POST
    public Response create(final NewPool request, @Context final HttpHeaders headers) {
        NewPool body = Requests.required(request, "body");
        MetaGateway meta = meta();
        meta.change(new CreatePool(MetaGateway.changeId(headers, "create-pool"), Requests.required(body.name(), "name"),
                Requests.required(body.replicationFactor(), "replicationFactor"),
                Requests.parseEnum(Provisioning.class, body.provisioning(), Provisioning.THIN, "provisioning"),
                Requests.parseEnum(FailureDomain.class, body.failureDomain(), FailureDomain.NODE, "failureDomain"),
                Requests.qos(body.qos()), meta.now()));
        return Response.status(Response.Status.CREATED).entity(show(meta, body.name())).build();
    }

    /** Changes a pool's QoS defaults. */
    @PATCH
    @Path("{name}")
    public PoolView update(@PathParam("name") final String name, final PoolChange request,
            @Context final HttpHeaders headers) {
        PoolChange body = Requests.required(request, "body");
        MetaGateway meta = meta();
        meta.change(new UpdatePool(MetaGateway.changeId(headers, "update-pool"), name,
                Requests.qos(Requests.required(body.qos(), "qos"))));
        return show(meta, name);
    }

    /** Deletes an empty pool. */
    @DELETE
    @Path("{name}")
    public Response delete(@PathParam("name") final String name, @Context final HttpHeaders headers) {
        meta().change(new DeletePool(MetaGateway.changeId(headers, "delete-pool"), name));
        return Response.noContent().build();
    }

    private static PoolView show(final MetaGateway meta, final String name) {
        return meta.read(view -> {
            Pool pool = view.pool(name).orElseThrow(() -> ApiException.notFound("pool '" + name + "' does not exist"));
            return PoolView.of(pool, view.poolUsage(name).orElse(null));
        });
    }

    private MetaGateway meta() {
        return MetaGateway.onLeader(gateway);
    }
}
