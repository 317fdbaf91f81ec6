package io.keel.access.iscsi.pdu;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.zip.CRC32C;

/**
 * The wire encoding of PDUs: header, AHS, header digest, data segment padded to 4 bytes, data
 * digest (CRC32C, RFC 7143 §13.1 / RFC 3385). Which digests apply and how long a data segment
 * may be are the connection's negotiated state, passed in on every call.
 */
public final class PduCodec {

    /** Largest AHS the header can declare (255 words). */
    public static final int MAX_AHS = 255 * 4;

    private static final byte[] PADDING = new byte[3];

    private PduCodec() {
    }

    /**
     * Reads one PDU, its data segment into an array of its own. A data segment longer than
     * {@code maxDataLength} is read and dropped, then reported as a protocol-error reject; a data
     * digest error as a data-digest reject; a header digest error is fatal (at ErrorRecoveryLevel 0
     * the framing cannot be trusted).
     *
     * @return the PDU, or {@code null} at a clean end of stream before any byte of a header
     */
    public static Pdu read(final PduInput in, final boolean headerDigest, final boolean dataDigest,
            final int maxDataLength) throws IOException, PduException {
        return read(in, headerDigest, dataDigest, maxDataLength, DataPlacement.OWN_ARRAY);
    }

    /**
     * Reads one PDU as {@link #read(PduInput, boolean, boolean, int)} does, its data segment where
     * {@code placement} says ({@link Pdu#dataPlaced} tells which).
     */
    public static Pdu read(final PduInput in, final boolean headerDigest, final boolean dataDigest,
            final int maxDataLength, final DataPlacement placement) throws IOException, PduException {
        byte[] bhs = new byte[Pdu.BHS_LENGTH];
        int first = in.read();
        if (first < 0) {
            return null;
        }
        bhs[0] = (byte) first;
        in.readFully(bhs, 1, Pdu.BHS_LENGTH - 1);
        Pdu pdu = new Pdu(bhs, null, null);
        byte[] ahs = new byte[pdu.declaredAhsLength()];
        in.readFully(ahs, 0, ahs.length);
        pdu.ahs(ahs);
        if (headerDigest) {
            CRC32C crc = new CRC32C();
            crc.update(bhs);
            crc.update(ahs);
            int expected = readInt(in);
            if (expected != digestValue(crc)) {
                throw PduException.fatal("header digest error on " + Opcode.name(pdu.opcode()));
            }
        }
        int length = pdu.declaredDataLength();
        int padded = (length + 3) & ~3;
        if (length > maxDataLength) {
            in.skipFully(padded + (dataDigest && length > 0 ? 4 : 0));
            throw PduException.reject(Opcode.REJECT_PROTOCOL_ERROR, pdu,
                    "data segment of " + length + " bytes exceeds MaxRecvDataSegmentLength " + maxDataLength);
        }
        ByteBuffer data = length == 0 ? null : placement.destination(pdu);
        if (data == null) {
            byte[] own = new byte[length];
            in.readFully(own, 0, length);
            pdu.data(own);
            data = ByteBuffer.wrap(own);
        } else {
            try {
                in.readFully(data.duplicate());
            } finally {
                placement.settled(pdu);
            }
            pdu.placedData(data);
        }
        in.skipFully(padded - length);
        if (dataDigest && length > 0) {
            CRC32C crc = new CRC32C();
            crc.update(data.duplicate());
            crc.update(PADDING, 0, padded - length);
            int expected = readInt(in);
            if (expected != digestValue(crc)) {
                throw PduException.reject(Opcode.REJECT_DATA_DIGEST, pdu, "data digest error");
            }
        }
        return pdu;
    }

    /** Writes {@code pdu} (lengths are set from its segments first) in the encoding of {@link PduWriter}. */
    public static void write(final OutputStream out, final Pdu pdu, final boolean headerDigest,
            final boolean dataDigest) throws IOException {
        PduWriter writer = new PduWriter(Channels.newChannel(out), 0);
        writer.add(pdu, headerDigest, dataDigest);
        writer.flush();
        out.flush();
    }

    /** The iSCSI digest of {@code crc}: the CRC32C value in the byte order RFC 7143 §13.1 puts on the wire. */
    static int digestValue(final CRC32C crc) {
        // iSCSI sends the CRC least significant byte first; readInt and the writer's putInt are big-endian, so swap.
        return Integer.reverseBytes((int) crc.getValue());
    }

    private static int readInt(final PduInput in) throws IOException {
        byte[] b = new byte[4];
        in.readFully(b, 0, 4);
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
    }
}
