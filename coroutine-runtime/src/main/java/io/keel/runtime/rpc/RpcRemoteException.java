package io.keel.runtime.rpc;

import java.net.InetSocketAddress;

/** The server answered a call with an error response: a status code and the server's message. */
public final class RpcRemoteException extends RpcException {

    private static final long serialVersionUID = 1L;

    private final transient InetSocketAddress peer;
    private final int methodId;
    private final int status;
    private final String remoteMessage;

    /** Method {@code methodId} on {@code peer} answered with {@code status} and {@code remoteMessage}. */
    public RpcRemoteException(final InetSocketAddress peer, final int methodId, final int status,
            final String remoteMessage) {
        super("method " + methodId + " on " + peer + " failed with " + RpcStatus.describe(status) + ": "
                + remoteMessage, null);
        this.peer = peer;
        this.methodId = methodId;
        this.status = status;
        this.remoteMessage = remoteMessage;
    }

    /** The server that answered. */
    public InetSocketAddress peer() {
        return peer;
    }

    /** The method that was called. */
    public int methodId() {
        return methodId;
    }

    /** The status code, see {@link RpcStatus}. */
    public int status() {
        return status;
    }

    /** The server's message, as sent. */
    public String remoteMessage() {
        return remoteMessage;
    }
}
