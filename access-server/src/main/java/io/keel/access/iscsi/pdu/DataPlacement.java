package io.keel.access.iscsi.pdu;

import java.nio.ByteBuffer;

/**
 * Where a received PDU's data segment goes, chosen once its header is in: into the buffer of the
 * command it belongs to (a Data-Out's bytes straight into its WRITE's lent buffer), or, by
 * default, into an array of its own.
 */
public interface DataPlacement {

    /** Every data segment into an array of its own. */
    DataPlacement OWN_ARRAY = new DataPlacement() {
        @Override
        public ByteBuffer destination(final Pdu header) {
            return null;
        }

        @Override
        public void settled(final Pdu header) {
        }
    };

    /**
     * A buffer with exactly {@code header.declaredDataLength()} bytes remaining to read the data
     * segment into, or null for an array of its own. Bytes read there before a digest error or the
     * end of the connection stay there, so only a range the command has not received yet may be
     * offered.
     */
    ByteBuffer destination(Pdu header);

    /** Reading into the buffer {@link #destination} gave for {@code header} ended, whole or not. */
    void settled(Pdu header);
}
