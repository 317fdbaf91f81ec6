package io.keel.runtime.rpc;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import java.util.zip.CRC32C;

/**
 * Turns a byte stream, cut into pieces of any size, into verified {@link Frame}s, or into one typed
 * {@link RpcProtocolException} after which it refuses further input.
 *
 * <p>Memory: the decoder never allocates for a payload before the header checksum has passed and the
 * declared length has been checked against the maximum, so a hostile length costs nothing. Rejection is
 * as early as the bytes allow: a wrong magic byte or version is refused as soon as it arrives, so garbage
 * shorter than a header still closes the connection. Not thread-safe: one reader at a time.
 */
final class FrameDecoder {

    private final int maxPayloadBytes;
    private final IntFunction<ByteBuffer> payloadAllocator;
    private final byte[] header = new byte[FrameCodec.HEADER_BYTES];
    private final CRC32C crc = new CRC32C();

    private int headerFilled;
    private FrameHeader pendingHeader;
    private ByteBuffer pendingPayload;
    private RpcProtocolException failure;

    /**
     * @param maxPayloadBytes the largest payload accepted
     * @param payloadAllocator gives a buffer with at least the requested remaining capacity, position 0
     */
    FrameDecoder(final int maxPayloadBytes, final IntFunction<ByteBuffer> payloadAllocator) {
        this.maxPayloadBytes = maxPayloadBytes;
        this.payloadAllocator = payloadAllocator;
    }

    /**
     * Consumes bytes from {@code input} until one frame is complete or {@code input} is empty.
     *
     * @return the next frame, or null when more bytes are needed (then {@code input} has been consumed fully)
     * @throws RpcProtocolException when the bytes break the protocol; the same exception on every later call
     */
    Frame decode(final ByteBuffer input) throws RpcProtocolException {
        if (failure != null) {
            throw failure;
        }
        try {
            return decodeOrThrow(input);
        } catch (RpcProtocolException broken) {
            failure = broken;
            throw broken;
        }
    }

    /** True between frames: a clean place for the stream to end. */
    boolean isBetweenFrames() {
        return headerFilled == 0 && pendingHeader == null;
    }

    /**
     * The payload buffer of the frame being read, or null while reading a header. A reader may fill it
     * straight from a channel (position = bytes filled); the next {@link #decode} notices when it is full.
     */
    ByteBuffer pendingPayload() {
        return pendingPayload;
    }

    private Frame decodeOrThrow(final ByteBuffer input) throws RpcProtocolException {
        if (pendingHeader == null) {
            if (!fillHeader(input)) {
                return null;
            }
            FrameHeader verified = verifyHeader();
            pendingPayload = allocatePayload(verified.payloadLength());
            pendingHeader = verified;
        }
        ByteBuffer payload = pendingPayload;
        int take = Math.min(input.remaining(), payload.remaining());
        if (take > 0) {
            payload.put(payload.position(), input, input.position(), take);
            payload.position(payload.position() + take);
            input.position(input.position() + take);
        }
        if (payload.hasRemaining()) {
            return null;
        }
        payload.flip();
        FrameHeader frameHeader = pendingHeader;
        verifyPayload(frameHeader, payload);
        pendingHeader = null;
        pendingPayload = null;
        headerFilled = 0;
        return new Frame(frameHeader, payload);
    }

    /** Accumulates header bytes, rejecting a bad magic or version the moment its byte arrives. */
    private boolean fillHeader(final ByteBuffer input) throws RpcProtocolException {
        int before = headerFilled;
        int take = Math.min(input.remaining(), FrameCodec.HEADER_BYTES - before);
        input.get(header, before, take);
        headerFilled = before + take;
        for (int i = before; i < Math.min(headerFilled, FrameCodec.VERSION_OFFSET); i++) {
            if (header[i] != FrameCodec.magicByte(i)) {
                throw new RpcProtocolException(ProtocolError.BAD_MAGIC, String.format(
                        "byte %d of the frame is 0x%02x, the magic \"KEEL\" has 0x%02x", i, header[i] & 0xFF,
                        FrameCodec.magicByte(i) & 0xFF));
            }
        }
        if (before <= FrameCodec.VERSION_OFFSET && headerFilled > FrameCodec.VERSION_OFFSET) {
            int version = FrameCodec.version(header);
            if (version < FrameCodec.MIN_READ_VERSION || version > FrameCodec.MAX_READ_VERSION) {
                throw new RpcProtocolException(ProtocolError.UNSUPPORTED_VERSION, "frame version " + version
                        + ", this node reads " + FrameCodec.MIN_READ_VERSION + ".." + FrameCodec.MAX_READ_VERSION);
            }
        }
        return headerFilled == FrameCodec.HEADER_BYTES;
    }

    private FrameHeader verifyHeader() throws RpcProtocolException {
        int expected = FrameCodec.headerCrc(header);
        int actual = FrameCodec.computeHeaderCrc(header, crc);
        if (expected != actual) {
            throw new RpcProtocolException(ProtocolError.BAD_HEADER_CHECKSUM,
                    String.format("header says 0x%08x, header bytes give 0x%08x", expected, actual));
        }
        FrameKind kind = FrameKind.fromCode(FrameCodec.kindCode(header));
        if (kind == null) {
            throw new RpcProtocolException(ProtocolError.UNKNOWN_KIND,
                    "frame kind " + FrameCodec.kindCode(header) + " is not defined in version "
                    + FrameCodec.version(header));
        }
        long length = FrameCodec.payloadLength(header);
        if (length > maxPayloadBytes) {
            throw new RpcProtocolException(ProtocolError.OVERSIZED_PAYLOAD,
                    "declared payload of " + length + " bytes exceeds the maximum of " + maxPayloadBytes);
        }
        return new FrameHeader(FrameCodec.version(header), kind, FrameCodec.flags(header),
                FrameCodec.requestId(header), FrameCodec.code(header), (int) length, FrameCodec.payloadCrc(header));
    }

    private ByteBuffer allocatePayload(final int length) {
        if (length == 0) {
            return ByteBuffer.allocate(0);
        }
        ByteBuffer buffer = payloadAllocator.apply(length);
        if (buffer.capacity() < length) {
            throw new IllegalStateException("payload allocator returned " + buffer.capacity() + " bytes for "
                    + length);
        }
        return buffer.clear().limit(length);
    }

    private void verifyPayload(final FrameHeader frameHeader, final ByteBuffer payload)
            throws RpcProtocolException {
        crc.reset();
        crc.update(payload);
        payload.rewind();
        int actual = (int) crc.getValue();
        if (actual != frameHeader.payloadCrc()) {
            throw new RpcProtocolException(ProtocolError.BAD_PAYLOAD_CHECKSUM, String.format(
                    "header says 0x%08x, the %d payload bytes give 0x%08x (request id %d)",
                    frameHeader.payloadCrc(), payload.remaining(), actual, frameHeader.requestId()));
        }
    }
}
