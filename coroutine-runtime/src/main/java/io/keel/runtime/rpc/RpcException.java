package io.keel.runtime.rpc;

import java.io.IOException;

/** Base of every failure an RPC call can report; an {@link IOException} because a network is involved. */
public class RpcException extends IOException {

    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}, caused by {@code cause} (may be null). */
    public RpcException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
