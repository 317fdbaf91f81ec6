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

    /** Less data-out arrived than the CDB asks for (the iSCSI EDTL was shorter): nothing is written. */
    static SenseException missingDataOut() {
        return of(Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
    }
}
