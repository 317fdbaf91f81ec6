package io.keel.runtime.rpc;

/**
 * Thrown by an {@link RpcHandler} to answer with a chosen status and message; the caller receives them in an
 * {@link RpcRemoteException}.
 */
public final class RpcStatusException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    /** Answers with {@code status} (at least {@link RpcStatus#FIRST_APPLICATION_STATUS}) and {@code message}. */
    public RpcStatusException(final int status, final String message) {
        super(message);
        if (status < RpcStatus.FIRST_APPLICATION_STATUS) {
            throw new IllegalArgumentException("status codes below " + RpcStatus.FIRST_APPLICATION_STATUS
                    + " are reserved for the RPC layer, got " + status);
        }
        this.status = status;
    }

    /** The status the caller will see. */
    public int status() {
        return status;
    }
}
