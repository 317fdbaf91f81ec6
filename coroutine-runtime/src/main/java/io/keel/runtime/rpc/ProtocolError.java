package io.keel.runtime.rpc;

/** The ways a peer can violate the frame protocol; each one closes the connection it arrived on. */
public enum ProtocolError {
    /** The first four bytes of a frame are not the magic: the peer does not speak this protocol. */
    BAD_MAGIC,
    /** The frame's version lies outside the range this node reads. */
    UNSUPPORTED_VERSION,
    /** The header checksum does not match: the header was corrupted. */
    BAD_HEADER_CHECKSUM,
    /** The header is intact but names a frame kind this version does not know. */
    UNKNOWN_KIND,
    /** The header is intact but declares a payload larger than the configured maximum. */
    OVERSIZED_PAYLOAD,
    /** The payload checksum does not match: the payload was corrupted. */
    BAD_PAYLOAD_CHECKSUM,
    /** A known kind arrived where it makes no sense, e.g. a request sent to a client. */
    UNEXPECTED_KIND
}
