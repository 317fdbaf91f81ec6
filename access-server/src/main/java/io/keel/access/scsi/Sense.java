package io.keel.access.scsi;

/**
 * Sense data for CHECK CONDITION: sense key, additional sense code and qualifier, and the
 * optional INFORMATION field (e.g. the LBA that failed, or a miscompare's offset) and
 * sense-key-specific field-pointer (which CDB or parameter byte and bit was invalid).
 *
 * @param key the sense key (0x0–0xF)
 * @param asc the additional sense code
 * @param ascq the additional sense code qualifier
 * @param information the INFORMATION field, or -1 when not valid
 * @param fieldPointer a sense-key-specific field pointer, or {@code null}
 */
public record Sense(int key, int asc, int ascq, long information, FieldPointer fieldPointer) {

    /** Sense key NO SENSE. */
    public static final int NO_SENSE = 0x0;
    /** Sense key NOT READY. */
    public static final int NOT_READY = 0x2;
    /** Sense key MEDIUM ERROR. */
    public static final int MEDIUM_ERROR = 0x3;
    /** Sense key HARDWARE ERROR. */
    public static final int HARDWARE_ERROR = 0x4;
    /** Sense key ILLEGAL REQUEST. */
    public static final int ILLEGAL_REQUEST = 0x5;
    /** Sense key UNIT ATTENTION. */
    public static final int UNIT_ATTENTION = 0x6;
    /** Sense key DATA PROTECT. */
    public static final int DATA_PROTECT = 0x7;
    /** Sense key COPY ABORTED. */
    public static final int COPY_ABORTED = 0xA;
    /** Sense key ABORTED COMMAND. */
    public static final int ABORTED_COMMAND = 0xB;
    /** Sense key MISCOMPARE. */
    public static final int MISCOMPARE = 0xE;

    /** HARDWARE ERROR / INTERNAL TARGET FAILURE: something in the target failed that the initiator cannot fix. */
    public static final Sense INTERNAL_TARGET_FAILURE = new Sense(HARDWARE_ERROR, 0x44, 0x00, -1, null);

    /** UNIT ATTENTION / REPORTED LUNS DATA HAS CHANGED (SPC-4 table F.2): the target's LUN map changed. */
    public static final Sense REPORTED_LUNS_CHANGED = new Sense(UNIT_ATTENTION, 0x3f, 0x0e, -1, null);

    /**
     * UNIT ATTENTION / COMMANDS CLEARED BY ANOTHER INITIATOR (SAM-5 5.6): another nexus's CLEAR
     * TASK SET or PREEMPT AND ABORT aborted tasks of this one, which got no status.
     */
    public static final Sense COMMANDS_CLEARED_BY_ANOTHER_INITIATOR = new Sense(UNIT_ATTENTION, 0x2f, 0x00, -1, null);

    /** Sense without INFORMATION or field pointer. */
    public static Sense of(final int key, final int asc, final int ascq) {
        return new Sense(key, asc, ascq, -1, null);
    }

    /** ILLEGAL REQUEST / INVALID FIELD IN CDB pointing at {@code byteIndex} (and {@code bit}, or -1: whole byte). */
    public static Sense invalidFieldInCdb(final int byteIndex, final int bit) {
        return new Sense(ILLEGAL_REQUEST, 0x24, 0x00, -1, new FieldPointer(true, byteIndex, bit));
    }

    /** ILLEGAL REQUEST / INVALID FIELD IN PARAMETER LIST pointing at {@code byteIndex} (and {@code bit}, or -1). */
    public static Sense invalidFieldInParameterList(final int byteIndex, final int bit) {
        return new Sense(ILLEGAL_REQUEST, 0x26, 0x00, -1, new FieldPointer(false, byteIndex, bit));
    }

    /** A sense-key-specific field pointer (SPC-4 4.5.2.4.2). */
    public record FieldPointer(boolean inCdb, int byteIndex, int bit) {
    }

    /** Fixed-format sense data (response code 70h, 18 bytes). */
    public byte[] toFixedFormat() {
        byte[] b = new byte[18];
        boolean hasInformation = information >= 0;
        b[0] = (byte) (0x70 | (hasInformation ? 0x80 : 0));
        b[2] = (byte) (key & 0x0f);
        if (hasInformation) {
            // The fixed format has 4 bytes of INFORMATION; larger values (64-bit LBAs) are truncated as SPC-4 allows
            // only with VALID clear, so they are left out.
            if (information > 0xffffffffL) {
                b[0] = 0x70;
            } else {
                b[3] = (byte) (information >>> 24);
                b[4] = (byte) (information >>> 16);
                b[5] = (byte) (information >>> 8);
                b[6] = (byte) information;
            }
        }
        b[7] = 10; // additional sense length
        b[12] = (byte) asc;
        b[13] = (byte) ascq;
        if (fieldPointer != null) {
            int flags = 0x80 | (fieldPointer.inCdb() ? 0x40 : 0);
            if (fieldPointer.bit() >= 0) {
                flags |= 0x08 | (fieldPointer.bit() & 0x07);
            }
            b[15] = (byte) flags;
            b[16] = (byte) (fieldPointer.byteIndex() >>> 8);
            b[17] = (byte) fieldPointer.byteIndex();
        }
        return b;
    }
}
