package io.keel.runtime.rpc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Owns the byte layout of an RPC frame header: sizes, offsets, byte order, magic, versions and the
 * header checksum. No other class reads or writes header bytes by position.
 *
 * <p>A frame is a fixed 32-byte header followed by {@code length} payload bytes. Every multi-byte field is
 * big-endian (network order); the 8-byte request id sits at an 8-aligned offset.
 * <pre>
 *  offset 0        4     5     6        8                           16       20       24       28       32
 *         +--------+-----+-----+--------+---------------------------+--------+--------+--------+--------+
 *         | magic  | ver |kind | flags  |        request id         |  code  | length |pay crc |hdr crc |
 *         | "KEEL" | u8  | u8  |  u16   |            u64            |  i32   |  u32   |  u32   |  u32   |
 *         +--------+-----+-----+--------+---------------------------+--------+--------+--------+--------+
 *         | payload: length bytes (0 .. configured maximum)                                              |
 *         +----------------------------------------------------------------------------------------------+
 * </pre>
 * {@code hdr crc} is the CRC32C of header bytes 0..27, so it also protects the declared length and the
 * payload checksum: a reader verifies the header, and only then allocates {@code length} bytes.
 * {@code pay crc} is the CRC32C of the payload (0 for an empty payload).
 *
 * <p>Versioning: the magic and the version byte keep their offsets in every version; everything after the
 * version byte, including the header size, may change with the version, which is why the version is checked
 * before the header checksum. A reader accepts versions {@link #MIN_READ_VERSION}..{@link #MAX_READ_VERSION};
 * a writer writes {@link #WRITE_VERSION}. A new format ships in two steps: first a release that reads it
 * (raise {@code MAX_READ_VERSION}), then, once every node runs that release, one that writes it.
 *
 * <p>Version log:
 * <ul>
 *   <li>1 &mdash; this layout; kinds 1..6 ({@link FrameKind}); no flags defined.</li>
 * </ul>
 */
final class FrameCodec {

    /** "KEEL" in ASCII. */
    static final int MAGIC = 0x4B45454C;

    static final int HEADER_BYTES = 32;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int KIND_OFFSET = 5;
    static final int FLAGS_OFFSET = 6;
    static final int REQUEST_ID_OFFSET = 8;
    static final int CODE_OFFSET = 16;
    static final int PAYLOAD_LENGTH_OFFSET = 20;
    static final int PAYLOAD_CRC_OFFSET = 24;
    static final int HEADER_CRC_OFFSET = 28;

    /** The header checksum covers every header byte before it. */
    static final int HEADER_CHECKSUMMED_BYTES = HEADER_CRC_OFFSET;

    static final int MIN_READ_VERSION = 1;
    static final int MAX_READ_VERSION = 1;
    static final int WRITE_VERSION = 1;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private FrameCodec() {
    }

    /** The magic's byte at {@code index} (0..3), for checking a header that has only partly arrived. */
    static byte magicByte(final int index) {
        return (byte) (MAGIC >>> (24 - 8 * index));
    }

    /**
     * Writes a complete header, header checksum included, into {@code header[0..32)}.
     *
     * @param crc a scratch checksum owned by the calling thread
     */
    static void encodeHeader(final byte[] header, final int version, final FrameKind kind, final long requestId,
            final int code, final int payloadLength, final int payloadCrc, final CRC32C crc) {
        INT.set(header, MAGIC_OFFSET, MAGIC);
        header[VERSION_OFFSET] = (byte) version;
        header[KIND_OFFSET] = (byte) kind.code();
        SHORT.set(header, FLAGS_OFFSET, (short) 0);
        LONG.set(header, REQUEST_ID_OFFSET, requestId);
        INT.set(header, CODE_OFFSET, code);
        INT.set(header, PAYLOAD_LENGTH_OFFSET, payloadLength);
        INT.set(header, PAYLOAD_CRC_OFFSET, payloadCrc);
        INT.set(header, HEADER_CRC_OFFSET, computeHeaderCrc(header, crc));
    }

    /** The CRC32C of header bytes 0..27. */
    static int computeHeaderCrc(final byte[] header, final CRC32C crc) {
        crc.reset();
        crc.update(header, 0, HEADER_CHECKSUMMED_BYTES);
        return (int) crc.getValue();
    }

    static int version(final byte[] header) {
        return header[VERSION_OFFSET] & 0xFF;
    }

    static int kindCode(final byte[] header) {
        return header[KIND_OFFSET] & 0xFF;
    }

    static int flags(final byte[] header) {
        return (short) SHORT.get(header, FLAGS_OFFSET) & 0xFFFF;
    }

    static long requestId(final byte[] header) {
        return (long) LONG.get(header, REQUEST_ID_OFFSET);
    }

    static int code(final byte[] header) {
        return (int) INT.get(header, CODE_OFFSET);
    }

    /** The declared payload length as an unsigned number. */
    static long payloadLength(final byte[] header) {
        return Integer.toUnsignedLong((int) INT.get(header, PAYLOAD_LENGTH_OFFSET));
    }

    static int payloadCrc(final byte[] header) {
        return (int) INT.get(header, PAYLOAD_CRC_OFFSET);
    }

    static int headerCrc(final byte[] header) {
        return (int) INT.get(header, HEADER_CRC_OFFSET);
    }
}
