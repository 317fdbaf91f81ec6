package io.keel.access.scsi;

/**
 * A command ends in CHECK CONDITION: decoding and execution throw it deep in a command and the
 * logical unit turns it into sense data, so no decoding path has to thread a result back up.
 */
final class SenseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Sense sense;

    SenseException(final Sense sense) {
        super(null, null, false, false);
        this.sense = sense;
    }

    Sense sense() {
        return sense;
    }

    static SenseException of(final int key, final int asc, final int ascq) {
        return new SenseException(Sense.of(key, asc, ascq));
    }

    static SenseException invalidCdb(final int byteIndex, final int bit) {
        return new SenseException(Sense.invalidFieldInCdb(byteIndex, bit));
    }

    static SenseException invalidParameter(final int byteIndex, final int bit) {
        return new SenseException(Sense.invalidFieldInParameterList(byteIndex, bit));
    }

    static SenseException lbaOutOfRange() {
        return of(Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    static SenseException parameterListLength() {
        return of(Sense.ILLEGAL_REQUEST, 0x1a, 0x00);
    }

    /**
     * The data-out does not match the CDB (less arrived than it asks for, or a WRITE SAME or
     * COMPARE AND WRITE came with a different length): INVALID FIELD IN COMMAND INFORMATION UNIT,
     * and nothing is written.
     */
    static SenseException missingDataOut() {
        return of(Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
    }
}
