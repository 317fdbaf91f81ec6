package io.keel.runtime.rpc;

import java.net.InetSocketAddress;

/**
 * The connection a call needed is gone or could not be made; the message names the peer and the reason.
 * A call that fails this way may or may not have run on the server.
 */
public final class RpcConnectionException extends RpcException {

    private static final long serialVersionUID = 1L;

    private final transient InetSocketAddress peer;

    /** The connection to {@code peer} failed; {@code message} should name the peer and the reason. */
    public RpcConnectionException(final InetSocketAddress peer, final String message, final Throwable cause) {
        super(message, cause);
        this.peer = peer;
    }

    /** The server the connection was to. */
    public InetSocketAddress peer() {
        return peer;
    }
}
