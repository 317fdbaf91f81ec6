package io.keel.runtime.rpc;

/**
 * A call's deadline expired before its answer arrived (or before a connection for it could be made). The
 * call may still run on the server; its late answer is dropped.
 */
public final class RpcTimeoutException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** The deadline expired; {@code cause} is the last connection failure, if that is what was waited for. */
    public RpcTimeoutException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
