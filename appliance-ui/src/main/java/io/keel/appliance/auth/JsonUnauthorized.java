package io.keel.appliance.auth;

import io.dropwizard.auth.UnauthorizedHandler;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/** Answers a request without valid credentials with 401, a Basic challenge and the API's error body. */
final class JsonUnauthorized implements UnauthorizedHandler {

    @Override
    public Response buildResponse(final String prefix, final String realm) {
        return Response.status(Response.Status.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, prefix + " realm=\"" + realm + "\"")
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("code", "UNAUTHENTICATED",
                        "message", "this request needs the admin account (HTTP Basic); the password is in "
                                + "<dataDir>/admin-password on the node that created the cluster, or the "
                                + "configuration's admin.initialPassword"))
                .build();
    }
}
