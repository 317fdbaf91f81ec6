package io.keel.access.iscsi.pdu;

/** iSCSI opcodes (RFC 7143 §11.2.1.2) and Reject reason codes (§11.17.1). */
public final class Opcode {
    /** Initiator: NOP-Out. */
    public static final int NOP_OUT = 0x00;
    /** Initiator: SCSI Command. */
    public static final int SCSI_COMMAND = 0x01;
    /** Initiator: Task Management Function Request. */
    public static final int TASK_MGMT_REQUEST = 0x02;
    /** Initiator: Login Request. */
    public static final int LOGIN_REQUEST = 0x03;
    /** Initiator: Text Request. */
    public static final int TEXT_REQUEST = 0x04;
    /** Initiator: SCSI Data-Out. */
    public static final int DATA_OUT = 0x05;
    /** Initiator: Logout Request. */
    public static final int LOGOUT_REQUEST = 0x06;
    /** Initiator: SNACK Request. */
    public static final int SNACK_REQUEST = 0x10;
    /** Target: NOP-In. */
    public static final int NOP_IN = 0x20;
    /** Target: SCSI Response. */
    public static final int SCSI_RESPONSE = 0x21;
    /** Target: Task Management Function Response. */
    public static final int TASK_MGMT_RESPONSE = 0x22;
    /** Target: Login Response. */
    public static final int LOGIN_RESPONSE = 0x23;
    /** Target: Text Response. */
    public static final int TEXT_RESPONSE = 0x24;
    /** Target: SCSI Data-In. */
    public static final int DATA_IN = 0x25;
    /** Target: Logout Response. */
    public static final int LOGOUT_RESPONSE = 0x26;
    /** Target: Ready To Transfer. */
    public static final int R2T = 0x31;
    /** Target: Asynchronous Message. */
    public static final int ASYNC_MESSAGE = 0x32;
    /** Target: Reject. */
    public static final int REJECT = 0x3f;

    /** Reject reason: data (payload) digest error. */
    public static final int REJECT_DATA_DIGEST = 0x02;
    /** Reject reason: SNACK reject. */
    public static final int REJECT_SNACK = 0x03;
    /** Reject reason: protocol error. */
    public static final int REJECT_PROTOCOL_ERROR = 0x04;
    /** Reject reason: command not supported. */
    public static final int REJECT_NOT_SUPPORTED = 0x05;
    /** Reject reason: immediate command rejected (too many immediate commands). */
    public static final int REJECT_IMMEDIATE = 0x06;
    /** Reject reason: task in progress. */
    public static final int REJECT_TASK_IN_PROGRESS = 0x07;
    /** Reject reason: invalid PDU field. */
    public static final int REJECT_INVALID_FIELD = 0x09;
    /** Reject reason: long operation reject (out of resources). */
    public static final int REJECT_OUT_OF_RESOURCES = 0x0a;
    /** Reject reason: waiting for logout. */
    public static final int REJECT_WAITING_FOR_LOGOUT = 0x0c;

    private Opcode() {
    }

    /** Whether {@code opcode} is one an initiator may send. */
    public static boolean isInitiatorOpcode(final int opcode) {
        return opcode >= NOP_OUT && opcode <= LOGOUT_REQUEST || opcode == SNACK_REQUEST;
    }

    /** A name for logs. */
    public static String name(final int opcode) {
        return switch (opcode) {
            case NOP_OUT -> "NOP-Out";
            case SCSI_COMMAND -> "SCSI-Command";
            case TASK_MGMT_REQUEST -> "TMF-Request";
            case LOGIN_REQUEST -> "Login-Request";
            case TEXT_REQUEST -> "Text-Request";
            case DATA_OUT -> "Data-Out";
            case LOGOUT_REQUEST -> "Logout-Request";
            case SNACK_REQUEST -> "SNACK";
            case NOP_IN -> "NOP-In";
            case SCSI_RESPONSE -> "SCSI-Response";
            case TASK_MGMT_RESPONSE -> "TMF-Response";
            case LOGIN_RESPONSE -> "Login-Response";
            case TEXT_RESPONSE -> "Text-Response";
            case DATA_IN -> "Data-In";
            case LOGOUT_RESPONSE -> "Logout-Response";
            case R2T -> "R2T";
            case ASYNC_MESSAGE -> "Async-Message";
            case REJECT -> "Reject";
            default -> String.format("opcode-0x%02x", opcode);
        };
    }
}
