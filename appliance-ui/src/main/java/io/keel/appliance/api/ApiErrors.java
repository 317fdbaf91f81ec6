package io.keel.appliance.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure of a REST request into the API's error body {@code {code, message}}:
 * refused changes, malformed JSON, unknown fields, unknown paths, and bugs (logged, answered 500
 * without internals).
 */
public final class ApiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

    private ApiErrors() {
    }

    static Response response(final int status, final String code, final String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("message", message);
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }

    /** Maps {@link ApiException}. */
    public static final class ApiExceptionMapper implements ExceptionMapper<ApiException> {
        @Override
        public Response toResponse(final ApiException e) {
            return e.response();
        }
    }

    /** Maps JSON that does not parse, or names a field the API does not have, to 400. */
    public static final class JsonMapper implements ExceptionMapper<JsonProcessingException> {
        @Override
        public Response toResponse(final JsonProcessingException e) {
            String message = e instanceof UnrecognizedPropertyException unknown
                    ? "unknown field '" + unknown.getPropertyName() + "' (known: " + unknown.getKnownPropertyIds() + ")"
                    : "the request body is not valid JSON for this request: " + e.getOriginalMessage();
            return response(400, "INVALID_ARGUMENT", message);
        }
    }

    /** Maps Jersey's own failures (unknown path, wrong method, wrong media type) and anything unexpected. */
    public static final class FallbackMapper implements ExceptionMapper<Throwable> {
        @Override
        public Response toResponse(final Throwable e) {
            if (e instanceof WebApplicationException web) {
                int status = web.getResponse().getStatus();
                String code = status == 404 ? "NOT_FOUND" : status == 503 ? "UNAVAILABLE"
                        : status < 500 ? "INVALID_ARGUMENT" : "INTERNAL";
                return response(status, code, web.getMessage());
            }
            if (e instanceof JsonProcessingException json) {
                return new JsonMapper().toResponse(json);
            }
            LOG.error("REST request failed: {}", e.toString(), e);
            return response(500, "INTERNAL", "internal error: " + e.getClass().getSimpleName()
                    + " (details are in the node's log)");
        }
    }
}
