package io.keel.runtime.rpc;

import java.nio.ByteBuffer;

/**
 * A complete, checksum-verified inbound frame.
 *
 * @param header the verified header
 * @param payload the payload, position 0 and limit {@code header.payloadLength()}; a fresh buffer owned by
 *     whoever receives the frame (the RPC layer never reuses it)
 */
record Frame(FrameHeader header, ByteBuffer payload) {
}
