package io.keel.runtime.rpc;

/** A request larger than the configured maximum was refused before anything was sent. */
public final class RpcPayloadTooLargeException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** A payload of {@code length} bytes exceeds {@code maxPayloadBytes}. */
    public RpcPayloadTooLargeException(final long length, final int maxPayloadBytes) {
        super("payload of " + length + " bytes exceeds the maximum of " + maxPayloadBytes + " bytes", null);
    }
}
