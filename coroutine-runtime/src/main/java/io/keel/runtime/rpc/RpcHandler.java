package io.keel.runtime.rpc;

import java.nio.ByteBuffer;

/** Serves one method of an {@link RpcServer}: turns a request payload into a response payload. */
@FunctionalInterface
public interface RpcHandler {

    /**
     * Handles one request, on the request's own virtual thread.
     *
     * @param request the request payload; a fresh buffer the handler owns and may keep
     * @return the response payload (its remaining bytes are sent; not modified until written), or null for an
     *     empty response
     * @throws RpcStatusException to answer with a chosen status; any other exception answers
     *     {@link RpcStatus#HANDLER_FAILED} with the exception's text
     */
    ByteBuffer handle(ByteBuffer request) throws Exception;
}
