package io.keel.runtime.rpc;

/** The kinds of frame the protocol knows, with their one-byte wire codes (see {@link FrameCodec}). */
enum FrameKind {
    /** A call: {@code code} is the method id, the payload is the request. */
    REQUEST(1),
    /** A successful answer: {@code code} echoes the method id, the payload is the response. */
    RESPONSE(2),
    /** A failed answer: {@code code} is the {@link RpcStatus}, the payload is a UTF-8 message. */
    ERROR_RESPONSE(3),
    /** A liveness probe; the server answers with a {@link #PONG} carrying the same request id. */
    PING(4),
    /** The answer to a {@link #PING}. */
    PONG(5),
    /**
     * The server is closing the connection: it ran no request with an id above {@code requestId} and will run
     * none, so the client may safely resend those on a new connection. The payload is a UTF-8 reason.
     */
    GO_AWAY(6);

    private final int code;

    FrameKind(final int code) {
        this.code = code;
    }

    int code() {
        return code;
    }

    /** The kind with wire code {@code code}, or null when this version does not know it. */
    static FrameKind fromCode(final int code) {
        return switch (code) {
            case 1 -> REQUEST;
            case 2 -> RESPONSE;
            case 3 -> ERROR_RESPONSE;
            case 4 -> PING;
            case 5 -> PONG;
            case 6 -> GO_AWAY;
            default -> null;
        };
    }
}
