package io.keel.runtime.rpc;

/** A peer broke the frame protocol; carries which rule it broke as a {@link ProtocolError}. */
public final class RpcProtocolException extends RpcException {

    private static final long serialVersionUID = 1L;

    private final ProtocolError error;

    /** The peer broke rule {@code error}; {@code detail} says how, for the log line. */
    public RpcProtocolException(final ProtocolError error, final String detail) {
        super(error + ": " + detail, null);
        this.error = error;
    }

    /** Which protocol rule the peer broke. */
    public ProtocolError error() {
        return error;
    }
}
