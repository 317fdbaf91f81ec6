package io.keel.runtime.rpc;

/**
 * A decoded and verified frame header (layout in {@link FrameCodec}).
 *
 * @param version the format version the peer wrote
 * @param kind what the frame is
 * @param flags reserved bits; version 1 defines none, readers ignore them
 * @param requestId matches a response to its request; chosen by the caller, unique per connection
 * @param code method id for requests and responses, status for error responses, zero otherwise
 * @param payloadLength number of payload bytes following the header
 * @param payloadCrc CRC32C of the payload bytes
 */
record FrameHeader(int version, FrameKind kind, int flags, long requestId, int code, int payloadLength,
        int payloadCrc) {
}
