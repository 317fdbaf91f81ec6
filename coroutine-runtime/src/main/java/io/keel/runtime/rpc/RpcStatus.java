package io.keel.runtime.rpc;

/**
 * The status codes of error responses. Codes below {@link #FIRST_APPLICATION_STATUS} belong to the RPC layer;
 * handlers choose theirs from {@link #FIRST_APPLICATION_STATUS} up by throwing {@link RpcStatusException}.
 */
public final class RpcStatus {

    /** No handler is registered for the method id. */
    public static final int UNKNOWN_METHOD = 1;
    /** The handler threw an exception other than {@link RpcStatusException}. */
    public static final int HANDLER_FAILED = 2;
    /** The handler's response exceeds the maximum payload. */
    public static final int RESPONSE_TOO_LARGE = 3;
    /** The lowest code a handler may use. */
    public static final int FIRST_APPLICATION_STATUS = 100;

    private RpcStatus() {
    }

    /** A readable name for {@code status}, for messages. */
    public static String describe(final int status) {
        return switch (status) {
            case UNKNOWN_METHOD -> "UNKNOWN_METHOD";
            case HANDLER_FAILED -> "HANDLER_FAILED";
            case RESPONSE_TOO_LARGE -> "RESPONSE_TOO_LARGE";
            default -> status >= FIRST_APPLICATION_STATUS ? "application status " + status : "status " + status;
        };
    }
}
