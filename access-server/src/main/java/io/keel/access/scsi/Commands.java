package io.keel.access.scsi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The commands a logical unit supports and, for each, its CDB usage map. The same map answers
 * REPORT SUPPORTED OPERATION CODES and rejects CDBs with bits set outside it, so what is
 * reported is exactly what is validated.
 */
final class Commands {

    /** Nominal and recommended timeouts reported with RCTD, in seconds (0 = not specified). */
    private static final int NOMINAL_TIMEOUT = 0;
    private static final int RECOMMENDED_TIMEOUT = 30;

    /** One supported command (or service action of one) and its CDB usage map. */
    record Op(int opcode, int serviceAction, String name, byte[] usage) {

        int length() {
            return usage.length;
        }

        boolean hasServiceAction() {
            return serviceAction >= 0;
        }
    }

    private final Map<Integer, Op> byKey = new HashMap<>();
    private final Set<Integer> serviceActionOpcodes = new HashSet<>();
    private final List<Op> all = new ArrayList<>();

    private Commands() {
    }

    /**
     * The commands of a logical unit; UNMAP, the UNMAP bit of WRITE SAME and the SANITIZE erases
     * (which deallocate) only when {@code thin}.
     */
    static Commands forUnit(final boolean thin) {
        Commands c = new Commands();
        c.add(0x00, "TEST UNIT READY", "00 00 00 00 00 00");
        c.add(0x03, "REQUEST SENSE", "03 01 00 00 ff 00");
        c.add(0x08, "READ(6)", "08 1f ff ff ff 00");
        c.add(0x0a, "WRITE(6)", "0a 1f ff ff ff 00");
        c.add(0x12, "INQUIRY", "12 01 ff ff ff 00");
        c.add(0x15, "MODE SELECT(6)", "15 11 00 00 ff 00");
        c.add(0x16, "RESERVE(6)", "16 00 00 00 00 00");
        c.add(0x17, "RELEASE(6)", "17 00 00 00 00 00");
        c.add(0x1a, "MODE SENSE(6)", "1a 08 ff ff ff 00");
        c.add(0x1b, "START STOP UNIT", "1b 01 00 0f f7 00");
        c.add(0x25, "READ CAPACITY(10)", "25 00 ff ff ff ff 00 00 01 00");
        c.add(0x28, "READ(10)", "28 1a ff ff ff ff 1f ff ff 00");
        c.add(0x2a, "WRITE(10)", "2a 1a ff ff ff ff 1f ff ff 00");
        c.add(0x2e, "WRITE AND VERIFY(10)", "2e 12 ff ff ff ff 1f ff ff 00");
        c.add(0x2f, "VERIFY(10)", "2f 16 ff ff ff ff 1f ff ff 00");
        c.add(0x34, "PRE-FETCH(10)", "34 02 ff ff ff ff 1f ff ff 00");
        c.add(0x35, "SYNCHRONIZE CACHE(10)", "35 06 ff ff ff ff 1f ff ff 00");
        c.add(0x37, "READ DEFECT DATA(10)", "37 00 1f 00 00 00 00 ff ff 00");
        c.add(0x41, "WRITE SAME(10)", thin ? "41 08 ff ff ff ff 1f ff ff 00" : "41 00 ff ff ff ff 1f ff ff 00");
        if (thin) {
            c.add(0x42, "UNMAP", "42 00 00 00 00 00 1f ff ff 00");
        }
        c.addServiceAction(Sanitize.OPCODE, Sanitize.OVERWRITE, "SANITIZE", "48 a0 00 00 00 00 00 ff ff 00");
        if (thin) {
            c.addServiceAction(Sanitize.OPCODE, Sanitize.BLOCK_ERASE, "SANITIZE", "48 a0 00 00 00 00 00 ff ff 00");
            c.addServiceAction(Sanitize.OPCODE, Sanitize.CRYPTOGRAPHIC_ERASE, "SANITIZE",
                    "48 a0 00 00 00 00 00 ff ff 00");
        }
        c.addServiceAction(Sanitize.OPCODE, Sanitize.EXIT_FAILURE_MODE, "SANITIZE", "48 a0 00 00 00 00 00 ff ff 00");
        c.add(0x55, "MODE SELECT(10)", "55 11 00 00 00 00 00 ff ff 00");
        c.add(0x56, "RESERVE(10)", "56 00 00 00 00 00 00 00 00 00");
        c.add(0x57, "RELEASE(10)", "57 00 00 00 00 00 00 00 00 00");
        c.add(0x5a, "MODE SENSE(10)", "5a 18 ff ff 00 00 00 ff ff 00");
        for (int sa = 0; sa <= 3; sa++) {
            c.addServiceAction(0x5e, sa, "PERSISTENT RESERVE IN", "5e 00 00 00 00 00 00 ff ff 00");
        }
        for (int sa = 0; sa <= 7; sa++) {
            c.addServiceAction(0x5f, sa, "PERSISTENT RESERVE OUT", "5f 00 ff 00 00 ff ff ff ff 00");
        }
        String rw16 = " 1a ff ff ff ff ff ff ff ff ff ff ff ff 1f 00";
        c.addServiceAction(ExtendedCopy.EXTENDED_COPY, 0x00, "EXTENDED COPY(LID1)",
                "83 00 00 00 00 00 00 00 00 00 ff ff ff ff 00 00");
        c.addServiceAction(ExtendedCopy.RECEIVE_COPY_RESULTS, ExtendedCopy.COPY_STATUS, "RECEIVE COPY RESULTS",
                "84 00 ff 00 00 00 00 00 00 00 ff ff ff ff 00 00");
        c.addServiceAction(ExtendedCopy.RECEIVE_COPY_RESULTS, ExtendedCopy.OPERATING_PARAMETERS,
                "RECEIVE COPY RESULTS", "84 00 00 00 00 00 00 00 00 00 ff ff ff ff 00 00");
        c.add(0x88, "READ(16)", "88" + rw16);
        c.add(0x89, "COMPARE AND WRITE", "89 1a ff ff ff ff ff ff ff ff 00 00 00 ff 1f 00");
        c.add(0x8a, "WRITE(16)", "8a" + rw16);
        c.add(0x8b, "ORWRITE(16)", "8b" + rw16);
        c.add(0x8e, "WRITE AND VERIFY(16)", "8e 12 ff ff ff ff ff ff ff ff ff ff ff ff 1f 00");
        c.add(0x8f, "VERIFY(16)", "8f 16 ff ff ff ff ff ff ff ff ff ff ff ff 1f 00");
        c.add(0x90, "PRE-FETCH(16)", "90 02 ff ff ff ff ff ff ff ff ff ff ff ff 1f 00");
        c.add(0x91, "SYNCHRONIZE CACHE(16)", "91 06 ff ff ff ff ff ff ff ff ff ff ff ff 1f 00");
        c.add(0x93, "WRITE SAME(16)", (thin ? "93 09" : "93 01") + " ff ff ff ff ff ff ff ff ff ff ff ff 1f 00");
        c.addServiceAction(0x9e, 0x10, "READ CAPACITY(16)", "9e 00 ff ff ff ff ff ff ff ff ff ff ff ff 01 00");
        c.addServiceAction(0x9e, 0x12, "GET LBA STATUS", "9e 00 ff ff ff ff ff ff ff ff ff ff ff ff 00 00");
        c.add(0x9c, "WRITE ATOMIC(16)", "9c 18 ff ff ff ff ff ff ff ff 00 00 ff ff 1f 00");
        c.add(0xa0, "REPORT LUNS", "a0 00 ff 00 00 00 ff ff ff ff 00 00");
        c.addServiceAction(0xa3, 0x0c, "REPORT SUPPORTED OPERATION CODES", "a3 00 87 ff ff ff ff ff ff ff 00 00");
        c.add(0xa8, "READ(12)", "a8 1a ff ff ff ff ff ff ff ff 1f 00");
        c.add(0xaa, "WRITE(12)", "aa 1a ff ff ff ff ff ff ff ff 1f 00");
        c.add(0xae, "WRITE AND VERIFY(12)", "ae 12 ff ff ff ff ff ff ff ff 1f 00");
        c.add(0xaf, "VERIFY(12)", "af 16 ff ff ff ff ff ff ff ff 1f 00");
        c.add(0xb7, "READ DEFECT DATA(12)", "b7 1f ff ff ff ff ff ff ff ff 00 00");
        c.all.sort(Comparator.comparingInt(Op::opcode).thenComparingInt(Op::serviceAction));
        return c;
    }

    private void add(final int opcode, final String name, final String usage) {
        Op op = new Op(opcode, -1, name, hex(usage));
        byKey.put(key(opcode, -1), op);
        all.add(op);
    }

    private void addServiceAction(final int opcode, final int sa, final String name, final String usage) {
        byte[] u = hex(usage);
        u[1] = (byte) ((u[1] & 0xe0) | sa);
        Op op = new Op(opcode, sa, name, u);
        byKey.put(key(opcode, sa), op);
        serviceActionOpcodes.add(opcode);
        all.add(op);
    }

    private static int key(final int opcode, final int sa) {
        return opcode << 8 | (sa & 0xff);
    }

    private static byte[] hex(final String s) {
        String[] parts = s.trim().split(" ");
        byte[] b = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            b[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return b;
    }

    /** The command {@code cdb} (padded to 16 bytes) asks for, its reserved bits checked; else the proper sense. */
    Op decode(final byte[] cdb) {
        int opcode = Bytes.u8(cdb, 0);
        Op op;
        if (serviceActionOpcodes.contains(opcode)) {
            op = byKey.get(key(opcode, cdb[1] & 0x1f));
            if (op == null) {
                throw SenseException.invalidCdb(1, 4);
            }
        } else {
            op = byKey.get(key(opcode, -1));
            if (op == null) {
                throw SenseException.of(Sense.ILLEGAL_REQUEST, 0x20, 0x00);
            }
        }
        checkUsage(op, cdb);
        return op;
    }

    private static void checkUsage(final Op op, final byte[] cdb) {
        byte[] usage = op.usage();
        for (int i = 1; i < usage.length; i++) {
            int allowed = usage[i] & 0xff;
            if (i == 1 && op.hasServiceAction()) {
                allowed = (allowed & 0xe0) | 0x1f;
            }
            int extra = cdb[i] & 0xff & ~allowed;
            if (extra != 0) {
                throw SenseException.invalidCdb(i, 31 - Integer.numberOfLeadingZeros(extra));
            }
        }
    }

    /** The parameter data of REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN, service action 0Ch). */
    ByteBuffer reportSupported(final byte[] cdb) {
        boolean rctd = (cdb[2] & 0x80) != 0;
        int options = cdb[2] & 0x07;
        int opcode = Bytes.u8(cdb, 3);
        int sa = Bytes.u16(cdb, 4);
        switch (options) {
            case 0:
                return allCommands(rctd);
            case 1:
                if (serviceActionOpcodes.contains(opcode)) {
                    throw SenseException.invalidCdb(3, -1);
                }
                return oneCommand(byKey.get(key(opcode, -1)), rctd);
            case 2:
                if (byKey.containsKey(key(opcode, -1))) {
                    throw SenseException.invalidCdb(3, -1);
                }
                return oneCommand(sa > 0x1f ? null : byKey.get(key(opcode, sa)), rctd);
            case 3:
                if (serviceActionOpcodes.contains(opcode)) {
                    return oneCommand(sa > 0x1f ? null : byKey.get(key(opcode, sa)), rctd);
                }
                return oneCommand(byKey.get(key(opcode, -1)), rctd);
            default:
                throw SenseException.invalidCdb(2, 2);
        }
    }

    private ByteBuffer allCommands(final boolean rctd) {
        int each = rctd ? 20 : 8;
        byte[] b = new byte[4 + each * all.size()];
        Bytes.put32(b, 0, b.length - 4L);
        int p = 4;
        for (Op op : all) {
            b[p] = (byte) op.opcode();
            if (op.hasServiceAction()) {
                Bytes.put16(b, p + 2, op.serviceAction());
            }
            b[p + 5] = (byte) ((rctd ? 0x02 : 0) | (op.hasServiceAction() ? 0x01 : 0));
            Bytes.put16(b, p + 6, op.length());
            if (rctd) {
                timeouts(b, p + 8);
            }
            p += each;
        }
        return ByteBuffer.wrap(b);
    }

    private static ByteBuffer oneCommand(final Op op, final boolean rctd) {
        if (op == null) {
            byte[] b = new byte[4];
            b[1] = 0x01;
            return ByteBuffer.wrap(b);
        }
        byte[] b = new byte[4 + op.length() + (rctd ? 12 : 0)];
        b[1] = (byte) ((rctd ? 0x80 : 0) | 0x03);
        Bytes.put16(b, 2, op.length());
        System.arraycopy(op.usage(), 0, b, 4, op.length());
        if (rctd) {
            timeouts(b, 4 + op.length());
        }
        return ByteBuffer.wrap(b);
    }

    private static void timeouts(final byte[] b, final int p) {
        Bytes.put16(b, p, 0x0a);
        Bytes.put32(b, p + 4, NOMINAL_TIMEOUT);
        Bytes.put32(b, p + 8, RECOMMENDED_TIMEOUT);
    }
}
