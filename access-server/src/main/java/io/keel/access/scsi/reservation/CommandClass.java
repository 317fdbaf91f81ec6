package io.keel.access.scsi.reservation;

/**
 * How a command fares under a persistent reservation it does not hold (SPC-4 table 64, SBC-3
 * table 13): always allowed, a read (allowed through Write Exclusive types), or anything that may
 * change the medium or the unit's state (only holders, and registrants under registrants types).
 */
enum CommandClass {
    ALLOWED,
    READ,
    WRITE;

    static CommandClass of(final byte[] cdb) {
        int op = cdb[0] & 0xff;
        return switch (op) {
            // TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY(10), LOG SENSE, PERSISTENT RESERVE IN/OUT
            // (PR OUT checks registrations itself), ACCESS CONTROL IN/OUT, REPORT LUNS
            case 0x00, 0x03, 0x12, 0x25, 0x4D, 0x5E, 0x5F, 0x86, 0x87, 0xA0 -> ALLOWED;
            // READ(6/10/12/16), VERIFY(10/12/16), PRE-FETCH(10/16), MODE SENSE(6/10), READ BUFFER,
            // RECEIVE DIAGNOSTIC RESULTS, READ DEFECT DATA(10/12), READ ATTRIBUTE, SECURITY PROTOCOL IN,
            // RECEIVE COPY RESULTS
            case 0x08, 0x28, 0xA8, 0x88, 0x2F, 0xAF, 0x8F, 0x34, 0x90, 0x1A, 0x5A, 0x3C, 0x1C, 0x37, 0xB7, 0x8C,
                    0xA2, 0x84 -> READ;
            // SERVICE ACTION IN(16): READ CAPACITY(16) always; GET LBA STATUS and the rest read.
            case 0x9E -> cdb.length > 1 && (cdb[1] & 0x1f) == 0x10 ? ALLOWED : READ;
            // MAINTENANCE IN: the REPORT ... service actions are allowed, the rest read.
            case 0xA3 -> cdb.length > 1 && maintenanceReport(cdb[1] & 0x1f) ? ALLOWED : READ;
            // START STOP UNIT: starting the unit in its current power condition is allowed (SBC-3 table 13).
            case 0x1B -> cdb.length > 4 && (cdb[4] & 0x01) != 0 && (cdb[4] & 0xf0) == 0 ? ALLOWED : WRITE;
            // Variable length: READ(32) and VERIFY(32) read; the writes do not.
            case 0x7F -> cdb.length > 9 && cdb[8] == 0 && (cdb[9] == 0x09 || cdb[9] == 0x0A) ? READ : WRITE;
            default -> WRITE;
        };
    }

    /** REPORT IDENTIFYING INFORMATION, TARGET PORT GROUPS, ALIASES, SUPPORTED OPCODES and TMFs, PRIORITY, TIMESTAMP. */
    private static boolean maintenanceReport(final int sa) {
        return sa == 0x05 || (sa >= 0x0A && sa <= 0x0F);
    }
}
