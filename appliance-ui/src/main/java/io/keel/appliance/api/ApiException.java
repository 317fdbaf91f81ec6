package io.keel.appliance.api;

import io.keel.meta.command.ErrorCode;
import jakarta.ws.rs.core.Response;

/** A REST request that fails with an HTTP status and the API's error body {@code {code, message}}. */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    /** A failure with {@code status}, the API error {@code code} and a message naming the object. */
    public ApiException(final int status, final String code, final String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** A 400 INVALID_ARGUMENT. */
    public static ApiException invalid(final String message) {
        return new ApiException(400, "INVALID_ARGUMENT", message);
    }

    /** A 404 NOT_FOUND. */
    public static ApiException notFound(final String message) {
        return new ApiException(404, "NOT_FOUND", message);
    }

    /** A 503 UNAVAILABLE: no meta leader right now. */
    public static ApiException unavailable(final String message) {
        return new ApiException(503, "UNAVAILABLE", message);
    }

    /** The failure a refused metadata change maps to (docs/rest-api.md). */
    public static ApiException of(final ErrorCode code, final String message) {
        int status = switch (code) {
            case INVALID_ARGUMENT -> 400;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, FAILED_PRECONDITION -> 409;
            case INSUFFICIENT_CAPACITY -> 422;
            case STALE_PLACEMENT -> 503;
            case OK, INTERNAL -> 500;
        };
        return new ApiException(status, code.name(), message);
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The API error code. */
    public String code() {
        return code;
    }

    /** The response this failure is answered with. */
    public Response response() {
        return ApiErrors.response(status, code, getMessage());
    }
}
