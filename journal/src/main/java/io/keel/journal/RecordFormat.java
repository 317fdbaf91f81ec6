package io.keel.journal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The record header codec (see docs/journal-format.md): 48 bytes, big-endian, checksummed
 * separately from the body so a header can be trusted before its body is read.
 */
final class RecordFormat {

    /** "KJRN": no zero byte, so zero fill after a batch can never look like part of a magic. */
    static final int MAGIC = 0x4B4A524E;
    static final int VERSION = 2;
    static final int HEADER_SIZE = 48;
    /** The type of the record that fills the space up to the region end before a wrap. */
    static final short PADDING_TYPE = (short) 0x8000;
    static final int MAX_USER_TYPE = 0x7FFF;

    static final int OFF_VERSION = 4;
    static final int OFF_FLAGS = 5;
    static final int OFF_TYPE = 6;
    static final int OFF_TAG = 8;
    static final int OFF_LENGTH = 12;
    static final int OFF_SEQUENCE = 16;
    static final int OFF_GENERATION = 24;
    static final int OFF_DURABLE_THROUGH = 32;
    static final int OFF_BODY_CRC = 40;
    static final int OFF_HEADER_CRC = 44;

    private RecordFormat() {
    }

    /**
     * Writes the fields of a record header at {@code offset} of {@code buffer}, whose body
     * ({@code bodyLength} bytes) already follows it; {@link #writeChecksums} completes it.
     * {@code durableThrough} is a sequence number every record up to which was durable (or
     * trimmed) before this record's batch was written.
     */
    static void writeHeader(final ByteBuffer buffer, final int offset, final short type, final int tag,
            final int bodyLength, final long sequence, final long generation, final long durableThrough) {
        buffer.putInt(offset, MAGIC);
        buffer.put(offset + OFF_VERSION, (byte) VERSION);
        buffer.put(offset + OFF_FLAGS, (byte) 0);
        buffer.putShort(offset + OFF_TYPE, type);
        buffer.putInt(offset + OFF_TAG, tag);
        buffer.putInt(offset + OFF_LENGTH, bodyLength);
        buffer.putLong(offset + OFF_SEQUENCE, sequence);
        buffer.putLong(offset + OFF_GENERATION, generation);
        buffer.putLong(offset + OFF_DURABLE_THROUGH, durableThrough);
    }

    /**
     * Computes both checksums of the record whose header fields {@link #writeHeader} wrote at
     * {@code offset}. Leaves the buffer's position and limit cleared. A padding record's body is
     * whatever was on the device, so it gets no body checksum.
     */
    static void writeChecksums(final ByteBuffer buffer, final int offset, final CRC32C crc) {
        short type = buffer.getShort(offset + OFF_TYPE);
        int bodyLength = buffer.getInt(offset + OFF_LENGTH);
        int bodyCrc = type != PADDING_TYPE ? crcOf(buffer, offset + HEADER_SIZE, bodyLength, crc) : 0;
        buffer.putInt(offset + OFF_BODY_CRC, bodyCrc);
        buffer.putInt(offset + OFF_HEADER_CRC, crcOf(buffer, offset, OFF_HEADER_CRC, crc));
    }

    /**
     * Raises the durable-through field of the record header at {@code offset} (written by
     * {@link #writeHeader}) to {@code durableThrough} and recomputes the header checksum; the body
     * checksum stays valid. The committer uses it on the first record of a batch just before
     * writing it, when it knows more is durable than the appender did.
     */
    static void raiseDurableThrough(final ByteBuffer buffer, final int offset, final long durableThrough,
            final CRC32C crc) {
        if (buffer.getLong(offset + OFF_DURABLE_THROUGH) >= durableThrough) {
            return;
        }
        buffer.putLong(offset + OFF_DURABLE_THROUGH, durableThrough);
        buffer.putInt(offset + OFF_HEADER_CRC, crcOf(buffer, offset, OFF_HEADER_CRC, crc));
    }

    /** CRC32C of {@code length} bytes at {@code offset}; allocates nothing, leaves the buffer cleared. */
    static int crcOf(final ByteBuffer buffer, final int offset, final int length, final CRC32C crc) {
        crc.reset();
        buffer.limit(offset + length).position(offset);
        crc.update(buffer);
        buffer.clear();
        return (int) crc.getValue();
    }
}
