package io.keel.access.iscsi.pdu;

/**
 * A PDU the target cannot accept. With a reject reason the connection answers with a Reject PDU
 * and goes on; a fatal one (framing lost, header digest error, protocol violation in login) closes
 * the connection.
 */
public final class PduException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int rejectReason;
    private final boolean fatal;
    private final transient Pdu pdu;

    private PduException(final String message, final int rejectReason, final boolean fatal, final Pdu pdu) {
        super(message);
        this.rejectReason = rejectReason;
        this.fatal = fatal;
        this.pdu = pdu;
    }

    /** A PDU to answer with a Reject carrying {@code reason}. */
    public static PduException reject(final int reason, final Pdu pdu, final String message) {
        return new PduException(message, reason, false, pdu);
    }

    /** An error after which the connection cannot go on. */
    public static PduException fatal(final String message) {
        return new PduException(message, 0, true, null);
    }

    /** The Reject reason code (meaningless when fatal). */
    public int rejectReason() {
        return rejectReason;
    }

    /** Whether the connection must be closed. */
    public boolean fatal() {
        return fatal;
    }

    /** The offending PDU, or {@code null}. */
    public Pdu pdu() {
        return pdu;
    }
}
