package io.keel.runtime.rpc;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Builds wire bytes for tests, including frames that a correct writer would never produce. */
final class TestFrames {

    private TestFrames() {
    }

    /** A well-formed frame of the current write version. */
    static byte[] frame(final FrameKind kind, final long requestId, final int code, final byte[] payload) {
        return frame(FrameCodec.WRITE_VERSION, kind, requestId, code, payload);
    }

    /** A frame of {@code version} whose header and payload checksums are both right. */
    static byte[] frame(final int version, final FrameKind kind, final long requestId, final int code,
            final byte[] payload) {
        byte[] bytes = new byte[FrameCodec.HEADER_BYTES + payload.length];
        FrameCodec.encodeHeader(bytes, version, kind, requestId, code, payload.length, crc(payload), new CRC32C());
        System.arraycopy(payload, 0, bytes, FrameCodec.HEADER_BYTES, payload.length);
        return bytes;
    }

    /** Overwrites header byte {@code offset} and then repairs the header checksum, as a buggy peer would. */
    static byte[] withHeaderByte(final byte[] frame, final int offset, final int value) {
        byte[] copy = frame.clone();
        copy[offset] = (byte) value;
        resealHeader(copy);
        return copy;
    }

    /** Overwrites the 4-byte big-endian field at {@code offset} and repairs the header checksum. */
    static byte[] withHeaderInt(final byte[] frame, final int offset, final int value) {
        byte[] copy = frame.clone();
        ByteBuffer.wrap(copy).putInt(offset, value);
        resealHeader(copy);
        return copy;
    }

    /** Recomputes the header checksum over bytes 0..27 of {@code frame}. */
    static void resealHeader(final byte[] frame) {
        byte[] header = new byte[FrameCodec.HEADER_BYTES];
        System.arraycopy(frame, 0, header, 0, FrameCodec.HEADER_BYTES);
        ByteBuffer.wrap(frame).putInt(FrameCodec.HEADER_CRC_OFFSET, FrameCodec.computeHeaderCrc(header,
                new CRC32C()));
    }

    static int crc(final byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return (int) crc.getValue();
    }

    static byte[] concat(final byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    static byte[] bytesOf(final ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
