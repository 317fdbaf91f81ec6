package io.keel.access.scsi;

/**
 * How many bytes of data-out a CDB calls for (its SCSI transfer length), so a transport can
 * report the residual when the initiator's expected transfer length differs (RFC 7143 §11.4.5,
 * FCP-4 9.4.2). Logical blocks are 512 bytes, as every Keel logical unit has them.
 */
public final class TransferLength {

    private static final int BLOCK = 512;

    private TransferLength() {
    }

    /** Bytes of data-out {@code cdb} asks for, or -1 when it has none or its length is not known here. */
    public static long dataOut(final byte[] cdb) {
        if (cdb == null || cdb.length < 6) {
            return -1;
        }
        byte[] c = LogicalUnit.padded(cdb);
        return switch (Bytes.u8(c, 0)) {
            // WRITE(6/10/12/16), WRITE AND VERIFY(10/12/16), ORWRITE(16): the blocks the CDB names,
            // decoded as the logical unit decodes them.
            case 0x0a, 0x2a, 0x2e, 0xaa, 0xae, 0x8a, 0x8e, 0x8b -> BLOCK * BlockIo.length(c);
            case 0x89 -> 2L * BLOCK * Bytes.u8(c, 13); // COMPARE AND WRITE: verify data, then write data
            case 0x9c -> BLOCK * (long) Bytes.u16(c, 12); // WRITE ATOMIC(16)
            case 0x48 -> Bytes.u16(c, 7); // SANITIZE
            case 0x83 -> Bytes.u32(c, 10); // EXTENDED COPY
            case 0x2f, 0xaf, 0x8f -> verifyBytes(c, BlockIo.length(c)); // VERIFY(10/12/16)
            case 0x41 -> BLOCK; // WRITE SAME(10)
            case 0x93 -> (c[1] & 0x01) != 0 ? 0 : BLOCK; // WRITE SAME(16), NDOB sends no data
            case 0x15 -> Bytes.u8(c, 4); // MODE SELECT(6)
            case 0x55, 0x42 -> Bytes.u16(c, 7); // MODE SELECT(10), UNMAP
            case 0x5f -> Bytes.u32(c, 5); // PERSISTENT RESERVE OUT
            default -> -1;
        };
    }

    /**
     * Bytes of the medium {@code cdb} has the logical unit read into memory at once: a READ's blocks
     * (data-in), the blocks VERIFY and WRITE AND VERIFY compare, what ORWRITE, WRITE ATOMIC and
     * COMPARE AND WRITE read and replace (twice the range), an EXTENDED COPY's 1 MiB piece; 0 for
     * anything else. A transport bounds what one session's commands may hold by it.
     */
    public static long readIntoMemory(final byte[] cdb) {
        if (cdb == null || cdb.length < 6) {
            return 0;
        }
        byte[] c = LogicalUnit.padded(cdb);
        return switch (Bytes.u8(c, 0)) {
            case 0x08, 0x28, 0xa8, 0x88, 0x2f, 0xaf, 0x8f, 0x2e, 0xae, 0x8e -> BLOCK * BlockIo.length(c);
            case 0x8b, 0x9c -> 2L * BLOCK * BlockIo.length(c);
            case 0x89 -> 2L * BLOCK * Bytes.u8(c, 13);
            case 0x83 -> ExtendedCopy.PIECE_BYTES;
            default -> 0;
        };
    }

    private static long verifyBytes(final byte[] c, final long blocks) {
        return switch ((c[1] >>> 1) & 0x03) {
            case 1 -> BLOCK * blocks;
            case 3 -> BLOCK;
            default -> 0;
        };
    }
}
