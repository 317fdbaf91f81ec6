package io.keel.access.scsi;

/** SAM task attributes, as the iSCSI SCSI Command PDU carries them (values 0–4). */
public enum TaskAttribute {
    /** Untagged: treated as SIMPLE. */
    UNTAGGED,
    /** May run in any order with other SIMPLE tasks. */
    SIMPLE,
    /** Runs after every earlier task and before every later one. */
    ORDERED,
    /** Runs before every task not yet started. */
    HEAD_OF_QUEUE,
    /** Auto contingent allegiance: treated as SIMPLE. */
    ACA;

    /** The attribute for the 3-bit field of an iSCSI SCSI Command PDU; reserved values count as SIMPLE. */
    public static TaskAttribute fromCode(final int code) {
        return switch (code) {
            case 0 -> UNTAGGED;
            case 2 -> ORDERED;
            case 3 -> HEAD_OF_QUEUE;
            case 4 -> ACA;
            default -> SIMPLE;
        };
    }
}
