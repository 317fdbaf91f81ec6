package io.keel.access.scsi.reservation;

import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.Sense;
import io.keel.access.scsi.UnitAttentionSink;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Builds PR CDBs and parameter lists and reads PR IN data, for the tests. */
final class Pr {

    static final String TARGET = "iqn.2026-01.io.keel:vol1";
    static final ItNexus A = new ItNexus("iqn.1994-05.com.example:alpha", "400001370000", TARGET, 1);
    static final ItNexus B = new ItNexus("iqn.1994-05.com.example:beta", "400001370001", TARGET, 1);
    static final ItNexus C = new ItNexus("iqn.1994-05.com.example:gamma", "23d000000001", TARGET, 2);
    /** Same initiator as A, other target port. */
    static final ItNexus A2 = new ItNexus(A.initiatorName(), A.isid(), TARGET, 2);

    static final int REGISTER = 0;
    static final int RESERVE = 1;
    static final int RELEASE = 2;
    static final int CLEAR = 3;
    static final int PREEMPT = 4;
    static final int PREEMPT_AND_ABORT = 5;
    static final int REGISTER_AND_IGNORE = 6;
    static final int REGISTER_AND_MOVE = 7;

    static final int WE = 1;
    static final int EA = 3;
    static final int WE_RO = 5;
    static final int EA_RO = 6;
    static final int WE_AR = 7;
    static final int EA_AR = 8;
    static final int[] TYPES = {WE, EA, WE_RO, EA_RO, WE_AR, EA_AR};

    private Pr() {
    }

    /** Records the unit attentions raised. */
    static final class Attentions implements UnitAttentionSink {
        final List<ItNexus> nexuses = new ArrayList<>();
        final List<Sense> senses = new ArrayList<>();
        /** The nexuses whose whole initiator port was to be told (ALL_TG_PT registrations). */
        final List<ItNexus> initiatorPorts = new ArrayList<>();

        @Override
        public synchronized void raiseForInitiatorPort(final ItNexus nexus, final ItNexus except, final Sense sense) {
            initiatorPorts.add(nexus);
            if (!nexus.equals(except)) {
                raise(nexus, sense);
            }
        }

        @Override
        public synchronized void raise(final ItNexus nexus, final Sense sense) {
            nexuses.add(nexus);
            senses.add(sense);
        }

        synchronized List<String> list() {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < nexuses.size(); i++) {
                out.add(nexuses.get(i).initiatorName().replaceAll(".*:", "") + "/"
                        + String.format("%02x%02x", senses.get(i).asc(), senses.get(i).ascq()));
            }
            return out;
        }

        synchronized void clear() {
            nexuses.clear();
            senses.clear();
        }
    }

    static byte[] outCdb(final int sa, final int type, final int length) {
        byte[] cdb = new byte[10];
        cdb[0] = 0x5F;
        cdb[1] = (byte) sa;
        cdb[2] = (byte) type;
        ByteBuffer.wrap(cdb).putInt(5, length);
        return cdb;
    }

    static byte[] inCdb(final int sa) {
        byte[] cdb = new byte[10];
        cdb[0] = 0x5E;
        cdb[1] = (byte) sa;
        cdb[7] = (byte) 0xff;
        cdb[8] = (byte) 0xff;
        return cdb;
    }

    static ByteBuffer params(final long key, final long saKey, final int flags) {
        ByteBuffer b = ByteBuffer.allocate(24);
        b.putLong(key).putLong(saKey).putInt(0).put((byte) flags);
        return b.clear();
    }

    static ScsiResult out(final PersistentReservations pr, final ItNexus n, final int sa, final int type,
            final long key, final long saKey, final int flags) {
        return pr.persistentReserveOut(n, outCdb(sa, type, 24), params(key, saKey, flags));
    }

    static ScsiResult register(final PersistentReservations pr, final ItNexus n, final long key) {
        return out(pr, n, REGISTER_AND_IGNORE, 0, 0, key, 0);
    }

    static ScsiResult reserve(final PersistentReservations pr, final ItNexus n, final long key, final int type) {
        return out(pr, n, RESERVE, type, key, 0, 0);
    }

    static ByteBuffer in(final PersistentReservations pr, final ItNexus n, final int sa) {
        ScsiResult r = pr.persistentReserveIn(n, inCdb(sa));
        if (r.status() != 0) {
            throw new AssertionError("PR IN status " + r.status());
        }
        return r.dataIn();
    }

    static int generation(final PersistentReservations pr) {
        return in(pr, A, 0).getInt(0);
    }

    static List<Long> keys(final PersistentReservations pr) {
        ByteBuffer b = in(pr, A, 0);
        List<Long> keys = new ArrayList<>();
        int n = b.getInt(4) / 8;
        for (int i = 0; i < n; i++) {
            keys.add(b.getLong(8 + 8 * i));
        }
        return keys;
    }

    /** READ RESERVATION as {key, type}, or null when not reserved. */
    static long[] reservation(final PersistentReservations pr) {
        ByteBuffer b = in(pr, A, 1);
        if (b.getInt(4) == 0) {
            return null;
        }
        return new long[] {b.getLong(8), b.get(21) & 0x0f};
    }

    static byte[] read10() {
        return new byte[] {0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    }

    static byte[] write10() {
        return new byte[] {0x2A, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    }
}
