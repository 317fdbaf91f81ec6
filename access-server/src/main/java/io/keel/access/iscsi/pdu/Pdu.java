package io.keel.access.iscsi.pdu;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One iSCSI PDU: its 48-byte basic header segment, additional header segments and data segment
 * (without padding or digests, which belong to the wire encoding in {@link PduCodec}). Field
 * accessors name the offsets that every opcode shares; opcode-specific fields are read with
 * {@link #int32}/{@link #putInt32} at the offsets of RFC 7143 §11.
 */
public final class Pdu {

    /** Length of the basic header segment. */
    public static final int BHS_LENGTH = 48;
    /** The reserved tag value (no task / no target transfer). */
    public static final int RESERVED_TAG = 0xffffffff;

    private static final byte[] EMPTY = new byte[0];

    private final byte[] bhs;
    private byte[] ahs;
    /** The data segment: the buffer's remaining bytes (an array view, or a direct buffer lent by a command). */
    private ByteBuffer data;
    /** Whether the data segment was received into a buffer a {@link DataPlacement} chose. */
    private boolean placed;

    /** A PDU over {@code bhs} (exactly 48 bytes, kept), with {@code ahs} and {@code data} (may be empty). */
    public Pdu(final byte[] bhs, final byte[] ahs, final byte[] data) {
        if (bhs.length != BHS_LENGTH) {
            throw new IllegalArgumentException("BHS must be 48 bytes");
        }
        this.bhs = bhs;
        this.ahs = ahs == null ? EMPTY : ahs;
        this.data = ByteBuffer.wrap(data == null ? EMPTY : data);
    }

    /** A zeroed PDU with {@code opcode}, the final bit set and reserved ITT/TTT left to the caller. */
    public static Pdu of(final int opcode) {
        Pdu pdu = new Pdu(new byte[BHS_LENGTH], EMPTY, EMPTY);
        pdu.bhs[0] = (byte) (opcode & 0x3f);
        pdu.bhs[1] = (byte) 0x80;
        return pdu;
    }

    /** The raw header (live, not a copy). */
    public byte[] bhs() {
        return bhs;
    }

    /** The additional header segments (live). */
    public byte[] ahs() {
        return ahs;
    }

    /** The data segment (live when it is a whole array, as in every received PDU). */
    public byte[] data() {
        if (data.hasArray() && data.arrayOffset() == 0 && data.position() == 0
                && data.remaining() == data.array().length) {
            return data.array();
        }
        byte[] copy = new byte[data.remaining()];
        data.get(data.position(), copy);
        return copy;
    }

    /** The data segment as a buffer over its bytes (not a copy; the PDU's own position is unaffected). */
    public ByteBuffer dataBuffer() {
        return data.duplicate();
    }

    /** Replaces the data segment. */
    public Pdu data(final byte[] newData) {
        return data(newData == null ? EMPTY : newData, 0, newData == null ? 0 : newData.length);
    }

    /**
     * Makes {@code length} bytes of {@code array} from {@code offset} the data segment, without
     * copying them.
     */
    public Pdu data(final byte[] array, final int offset, final int length) {
        java.util.Objects.checkFromIndexSize(offset, length, array.length);
        this.data = ByteBuffer.wrap(array, offset, length);
        return this;
    }

    /**
     * Makes the remaining bytes of {@code buffer} the data segment, without copying them (Data-In
     * goes to the socket straight from a READ's buffer); the buffer's position is not changed.
     */
    public Pdu data(final ByteBuffer buffer) {
        this.data = buffer.slice();
        return this;
    }

    /** Makes {@code buffer}'s remaining bytes the data segment, received there as a {@link DataPlacement} chose. */
    Pdu placedData(final ByteBuffer buffer) {
        data(buffer);
        placed = true;
        return this;
    }

    /** Whether the data segment was received straight into the buffer a {@link DataPlacement} chose. */
    public boolean dataPlaced() {
        return placed;
    }

    /** Bytes in the data segment. */
    public int dataLength() {
        return data.remaining();
    }

    /** Replaces the additional header segments (a multiple of 4 bytes). */
    public Pdu ahs(final byte[] newAhs) {
        this.ahs = newAhs == null ? EMPTY : newAhs;
        return this;
    }

    /** The opcode (6 bits). */
    public int opcode() {
        return bhs[0] & 0x3f;
    }

    /** The immediate-delivery bit of a request. */
    public boolean immediate() {
        return (bhs[0] & 0x40) != 0;
    }

    /** Sets the immediate-delivery bit. */
    public Pdu immediate(final boolean value) {
        bhs[0] = (byte) (value ? bhs[0] | 0x40 : bhs[0] & ~0x40);
        return this;
    }

    /** Byte 1, the opcode-specific flags. */
    public int flags() {
        return bhs[1] & 0xff;
    }

    /** Sets byte 1. */
    public Pdu flags(final int value) {
        bhs[1] = (byte) value;
        return this;
    }

    /** The final (F) bit in byte 1. */
    public boolean finalBit() {
        return (bhs[1] & 0x80) != 0;
    }

    /** TotalAHSLength in bytes as the header declares it. */
    public int declaredAhsLength() {
        return (bhs[4] & 0xff) * 4;
    }

    /** DataSegmentLength as the header declares it. */
    public int declaredDataLength() {
        return (bhs[5] & 0xff) << 16 | (bhs[6] & 0xff) << 8 | bhs[7] & 0xff;
    }

    /** Writes TotalAHSLength and DataSegmentLength from the current segments. */
    public void updateLengths() {
        bhs[4] = (byte) (ahs.length / 4);
        int dataLength = data.remaining();
        bhs[5] = (byte) (dataLength >>> 16);
        bhs[6] = (byte) (dataLength >>> 8);
        bhs[7] = (byte) dataLength;
    }

    /** The 8-byte LUN field. */
    public long lun() {
        return int64(8);
    }

    /** Sets the LUN field. */
    public Pdu lun(final long value) {
        putInt64(8, value);
        return this;
    }

    /** Initiator task tag. */
    public int itt() {
        return int32(16);
    }

    /** Sets the initiator task tag. */
    public Pdu itt(final int value) {
        return putInt32(16, value);
    }

    /** The 32-bit big-endian field at {@code offset}. */
    public int int32(final int offset) {
        return (bhs[offset] & 0xff) << 24 | (bhs[offset + 1] & 0xff) << 16 | (bhs[offset + 2] & 0xff) << 8
                | bhs[offset + 3] & 0xff;
    }

    /** Sets the 32-bit big-endian field at {@code offset}. */
    public Pdu putInt32(final int offset, final int value) {
        bhs[offset] = (byte) (value >>> 24);
        bhs[offset + 1] = (byte) (value >>> 16);
        bhs[offset + 2] = (byte) (value >>> 8);
        bhs[offset + 3] = (byte) value;
        return this;
    }

    /** The 16-bit big-endian field at {@code offset}. */
    public int int16(final int offset) {
        return (bhs[offset] & 0xff) << 8 | bhs[offset + 1] & 0xff;
    }

    /** Sets the 16-bit big-endian field at {@code offset}. */
    public Pdu putInt16(final int offset, final int value) {
        bhs[offset] = (byte) (value >>> 8);
        bhs[offset + 1] = (byte) value;
        return this;
    }

    /** The 64-bit big-endian field at {@code offset}. */
    public long int64(final int offset) {
        return (long) int32(offset) << 32 | int32(offset + 4) & 0xffffffffL;
    }

    /** Sets the 64-bit big-endian field at {@code offset}. */
    public Pdu putInt64(final int offset, final long value) {
        putInt32(offset, (int) (value >>> 32));
        return putInt32(offset + 4, (int) value);
    }

    /** The byte at {@code offset} (0–255). */
    public int byteAt(final int offset) {
        return bhs[offset] & 0xff;
    }

    /** Sets the byte at {@code offset}. */
    public Pdu putByte(final int offset, final int value) {
        bhs[offset] = (byte) value;
        return this;
    }

    /** A copy of bytes {@code [from, to)} of the header. */
    public byte[] bhsRange(final int from, final int to) {
        return Arrays.copyOfRange(bhs, from, to);
    }

    @Override
    public String toString() {
        return Opcode.name(opcode()) + "[itt=0x" + Integer.toHexString(itt()) + ", ahs=" + ahs.length + ", data="
                + data.remaining() + ", bhs=" + HexFormat.of().formatHex(bhs, 0, 8) + "]";
    }
}
