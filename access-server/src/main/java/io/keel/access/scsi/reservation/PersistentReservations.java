package io.keel.access.scsi.reservation;

import io.keel.access.scsi.ItNexus;
import io.keel.access.scsi.ReservationStore;
import io.keel.access.scsi.Reservations;
import io.keel.access.scsi.ScsiResult;
import io.keel.access.scsi.ScsiStatus;
import io.keel.access.scsi.Sense;
import io.keel.access.scsi.UnitAttentionSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A logical unit's reservations: SPC-4 persistent reservations, saved to a {@link ReservationStore}
 * before any change is reported GOOD, and SPC-2 RESERVE/RELEASE, kept in memory. Thread-safe:
 * changes are serialized on one lock, {@link #conflicts} reads an immutable snapshot without it.
 * The constructor throws {@link ReservationStateException} when the stored state cannot be read.
 */
public final class PersistentReservations implements Reservations {

    static final int MAX_REGISTRATIONS = 1024;

    private static final int PR_IN = 0x5E;
    private static final int PR_OUT = 0x5F;
    private static final int RESERVE_6 = 0x16;
    private static final int RELEASE_6 = 0x17;
    private static final int RESERVE_10 = 0x56;
    private static final int RELEASE_10 = 0x57;

    private static final int SA_REGISTER = 0;
    private static final int SA_RESERVE = 1;
    private static final int SA_RELEASE = 2;
    private static final int SA_CLEAR = 3;
    private static final int SA_PREEMPT = 4;
    private static final int SA_PREEMPT_AND_ABORT = 5;
    private static final int SA_REGISTER_AND_IGNORE = 6;
    private static final int SA_REGISTER_AND_MOVE = 7;

    private static final int BASIC_PARAMETER_LENGTH = 24;
    private static final Pattern ISID = Pattern.compile("[0-9a-fA-F]{12}");
    private static final int MAX_NAME_BYTES = 223;

    private static final Sense REGISTRATIONS_PREEMPTED = Sense.of(Sense.UNIT_ATTENTION, 0x2A, 0x05);
    private static final Sense RESERVATIONS_PREEMPTED = Sense.of(Sense.UNIT_ATTENTION, 0x2A, 0x03);
    private static final Sense RESERVATIONS_RELEASED = Sense.of(Sense.UNIT_ATTENTION, 0x2A, 0x04);

    private static final ScsiResult CONFLICT = ScsiResult.status(ScsiStatus.RESERVATION_CONFLICT);
    private static final ScsiResult LENGTH_ERROR =
            ScsiResult.checkCondition(Sense.of(Sense.ILLEGAL_REQUEST, 0x1A, 0x00));
    private static final ScsiResult INTERNAL_FAILURE = ScsiResult.checkCondition(Sense.INTERNAL_TARGET_FAILURE);
    private static final ScsiResult INVALID_RELEASE =
            ScsiResult.checkCondition(Sense.of(Sense.ILLEGAL_REQUEST, 0x26, 0x04));
    private static final ScsiResult NO_REGISTRATION_RESOURCES =
            ScsiResult.checkCondition(Sense.of(Sense.ILLEGAL_REQUEST, 0x55, 0x04));

    private final String volumeId;
    private final ReservationStore store;
    private final UnitAttentionSink attentions;
    private final Object lock = new Object();
    private volatile PrState state;
    private volatile ItNexus spc2Holder;

    /** Loads {@code volumeId}'s state from {@code store}; throws {@link ReservationStateException} if it cannot. */
    public PersistentReservations(final String volumeId, final ReservationStore store,
            final UnitAttentionSink attentions) {
        this.volumeId = volumeId;
        this.store = store;
        this.attentions = attentions;
        byte[] raw;
        try {
            raw = store.load(volumeId);
        } catch (IOException e) {
            throw new ReservationStateException("cannot load the persistent reservation state of volume "
                    + volumeId + ": " + e.getMessage(), e);
        }
        this.state = StateCodec.decode(volumeId, raw);
    }

    // ---------------------------------------------------------------- PERSISTENT RESERVE IN

    @Override
    public ScsiResult persistentReserveIn(final ItNexus nexus, final byte[] cdb) {
        if (cdb == null || cdb.length < 10) {
            return ScsiResult.checkCondition(Sense.invalidFieldInCdb(0, -1));
        }
        if (spc2Holder != null) {
            return CONFLICT; // SPC-2 5.5.1: PR commands conflict while any SPC-2 reservation exists
        }
        PrState s = state;
        return switch (cdb[1] & 0x1f) {
            case 0 -> ScsiResult.good(readKeys(s));
            case 1 -> ScsiResult.good(readReservation(s));
            case 2 -> ScsiResult.good(reportCapabilities(s));
            case 3 -> ScsiResult.good(readFullStatus(s));
            default -> ScsiResult.checkCondition(Sense.invalidFieldInCdb(1, 4));
        };
    }

    private static ByteBuffer readKeys(final PrState s) {
        ByteBuffer b = ByteBuffer.allocate(8 + 8 * s.registrations().size());
        b.putInt(s.generation()).putInt(8 * s.registrations().size());
        for (Registration r : s.registrations()) {
            b.putLong(r.key());
        }
        return b.flip();
    }

    private static ByteBuffer readReservation(final PrState s) {
        ByteBuffer b = ByteBuffer.allocate(s.reserved() ? 24 : 8);
        b.putInt(s.generation()).putInt(s.reserved() ? 16 : 0);
        if (s.reserved()) {
            b.putLong(s.reservationKey()).putInt(0).put((byte) 0).put((byte) s.type().code).putShort((short) 0);
        }
        return b.flip();
    }

    private static ByteBuffer reportCapabilities(final PrState s) {
        ByteBuffer b = ByteBuffer.allocate(8);
        b.putShort((short) 8);
        // CRH 0, SIP_C 0 (no SPEC_I_PT), ATP_C 1, PTPL_C 1.
        b.put((byte) 0x05);
        // TMV 1, ALLOW COMMANDS 100b (TUR through WE/EA; MODE SENSE and the like through WE), PTPL_A.
        b.put((byte) (0x80 | 0x40 | (s.aptpl() ? 0x01 : 0)));
        // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX; EX_AC_AR.
        b.put((byte) (0x80 | 0x40 | 0x20 | 0x08 | 0x02)).put((byte) 0x01);
        b.putShort((short) 0);
        return b.flip();
    }

    private static ByteBuffer readFullStatus(final PrState s) {
        List<byte[]> ids = new ArrayList<>();
        int total = 0;
        for (Registration r : s.registrations()) {
            byte[] id = transportId(r.initiatorPortName());
            ids.add(id);
            total += 24 + id.length;
        }
        ByteBuffer b = ByteBuffer.allocate(8 + total);
        b.putInt(s.generation()).putInt(total);
        for (int i = 0; i < ids.size(); i++) {
            Registration r = s.registrations().get(i);
            boolean holder = s.isHolder(r);
            b.putLong(r.key()).putInt(0);
            b.put((byte) ((r.allTargetPorts() ? 0x02 : 0) | (holder ? 0x01 : 0)));
            b.put((byte) (holder ? s.type().code : 0));
            b.putInt(0);
            b.putShort((short) (r.allTargetPorts() ? 0 : r.portalGroupTag()));
            b.putInt(ids.get(i).length).put(ids.get(i));
        }
        return b.flip();
    }

    /** An iSCSI TransportID, format 01b: the initiator port name, NUL-terminated, padded to 4 bytes (min 20). */
    static byte[] transportId(final String initiatorPortName) {
        byte[] name = initiatorPortName.getBytes(StandardCharsets.UTF_8);
        int padded = Math.max(20, (name.length + 1 + 3) & ~3);
        byte[] id = new byte[4 + padded];
        id[0] = 0x45;
        id[2] = (byte) (padded >>> 8);
        id[3] = (byte) padded;
        System.arraycopy(name, 0, id, 4, name.length);
        return id;
    }

    // ---------------------------------------------------------------- PERSISTENT RESERVE OUT

    @Override
    public ScsiResult persistentReserveOut(final ItNexus nexus, final byte[] cdb, final ByteBuffer parameters) {
        if (cdb == null || cdb.length < 10) {
            return ScsiResult.checkCondition(Sense.invalidFieldInCdb(0, -1));
        }
        int sa = cdb[1] & 0x1f;
        if (sa > SA_REGISTER_AND_MOVE) {
            return ScsiResult.checkCondition(Sense.invalidFieldInCdb(1, 4));
        }
        long listLength = Integer.toUnsignedLong(ByteBuffer.wrap(cdb, 5, 4).getInt());
        ByteBuffer p = parameters == null ? ByteBuffer.allocate(0) : parameters.slice();
        if (listLength < BASIC_PARAMETER_LENGTH || p.remaining() < BASIC_PARAMETER_LENGTH) {
            return LENGTH_ERROR;
        }
        if (listLength < p.remaining()) {
            p.limit((int) listLength);
        }
        Request q = new Request(nexus, sa, (cdb[2] >>> 4) & 0x0f, cdb[2] & 0x0f, p.getLong(0), p.getLong(8),
                p.get(20), p.get(17));
        if (sa != SA_REGISTER_AND_MOVE) {
            if ((sa == SA_REGISTER || sa == SA_REGISTER_AND_IGNORE) && (q.flags & 0x08) != 0) {
                // SPEC_I_PT is not supported (SIP_C = 0).
                return ScsiResult.checkCondition(Sense.invalidFieldInParameterList(20, 3));
            }
            if (listLength != BASIC_PARAMETER_LENGTH) {
                return LENGTH_ERROR;
            }
        }
        if (!validNexus(nexus)) {
            return INTERNAL_FAILURE;
        }
        synchronized (lock) {
            if (spc2Holder != null) {
                return CONFLICT;
            }
            PrState cur = state;
            Outcome o = switch (sa) {
                case SA_REGISTER -> register(cur, q, false);
                case SA_REGISTER_AND_IGNORE -> register(cur, q, true);
                case SA_RESERVE -> reserve(cur, q);
                case SA_RELEASE -> release(cur, q);
                case SA_CLEAR -> clear(cur, q);
                case SA_PREEMPT, SA_PREEMPT_AND_ABORT -> preempt(cur, q);
                default -> registerAndMove(cur, q, p);
            };
            if (o.failure != null) {
                return o.failure;
            }
            if (o.next != cur) {
                byte[] encoded = StateCodec.encode(o.next);
                if (encoded.length > store.maxStateBytes() && encoded.length > StateCodec.encode(cur).length) {
                    return NO_REGISTRATION_RESOURCES;
                }
                try {
                    store.save(volumeId, encoded);
                } catch (IOException | RuntimeException e) {
                    return INTERNAL_FAILURE; // nothing changed: the initiator may retry
                }
                state = o.next;
            }
            for (Attention a : o.attentions) {
                if (a.registrant.allTargetPorts()) {
                    attentions.raiseForInitiatorPort(a.registrant.nexus(), a.except, a.sense);
                } else {
                    attentions.raise(a.registrant.nexus(), a.sense);
                }
            }
            if (sa == SA_PREEMPT_AND_ABORT) {
                List<Registration> preempted = removed(cur, o.next);
                if (!preempted.isEmpty()) {
                    return ScsiResult.good().afterAbortingTasksOf(n -> preempted.stream().anyMatch(r -> r.matches(n)));
                }
            }
            return ScsiResult.good();
        }
    }

    /** The registrations of {@code before} that {@code after} no longer has. */
    private static List<Registration> removed(final PrState before, final PrState after) {
        List<Registration> gone = new ArrayList<>();
        for (Registration r : before.registrations()) {
            if (after.registrations().stream().noneMatch(a -> PrState.sameRegistrant(a, r))) {
                gone.add(r);
            }
        }
        return List.copyOf(gone);
    }

    private static boolean validNexus(final ItNexus n) {
        return n != null && n.initiatorName() != null && !n.initiatorName().isEmpty() && n.targetName() != null
                && n.isid() != null && ISID.matcher(n.isid()).matches()
                && n.initiatorName().getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES
                && n.targetName().getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES
                && n.portalGroupTag() >= 0 && n.portalGroupTag() <= 0xffff;
    }

    /** The fields of one PERSISTENT RESERVE OUT command. */
    private record Request(ItNexus nexus, int sa, int scope, int typeCode, long key, long saKey, int flags,
            int moveFlags) {
        boolean allTargetPorts() {
            return (flags & 0x04) != 0;
        }

        boolean aptpl() {
            return (flags & 0x01) != 0;
        }
    }

    /**
     * A unit attention for the I_T nexuses of {@code registrant}: one, or with ALL_TG_PT all of its
     * initiator port's but {@code except} (null: none), the nexus the command came through.
     */
    private record Attention(Registration registrant, Sense sense, ItNexus except) {
        Attention(final Registration registrant, final Sense sense) {
            this(registrant, sense, null);
        }
    }

    /**
     * Adds {@code sense} for the nexuses of {@code o} other than {@code via}, the one the command of
     * {@code issuer}'s came through (SPC-4: "every registered I_T nexus other than the I_T nexus on
     * which the command was received"): all of them for another registrant; for the issuer's own
     * registration, only when it was made for all target ports, its other target ports.
     */
    private static void tellOthers(final List<Attention> uas, final Registration o, final Registration issuer,
            final ItNexus via, final Sense sense) {
        if (!PrState.sameRegistrant(o, issuer)) {
            uas.add(new Attention(o, sense));
        } else if (o.allTargetPorts()) {
            uas.add(new Attention(o, sense, via));
        }
    }

    /** A command's result: a failure, or the next state (the current one when nothing changes) and its UAs. */
    private record Outcome(ScsiResult failure, PrState next, List<Attention> attentions) {
        static Outcome fail(final ScsiResult r) {
            return new Outcome(r, null, List.of());
        }

        static Outcome of(final PrState next) {
            return new Outcome(null, next, List.of());
        }

        static Outcome of(final PrState next, final List<Attention> attentions) {
            return new Outcome(null, next, attentions);
        }
    }

    private static Outcome register(final PrState cur, final Request q, final boolean ignoreKey) {
        Registration r = cur.find(q.nexus);
        if (r == null) {
            if (!ignoreKey && q.key != 0) {
                return Outcome.fail(CONFLICT);
            }
            if (q.saKey == 0) {
                return Outcome.of(cur);
            }
            // One key per I_T nexus: registering every target port must not cover one this initiator port
            // registered through already (its I/O would then act under the older key, not the holder's).
            if (q.allTargetPorts() && cur.registrations().stream().anyMatch(o -> o.sameInitiatorPort(q.nexus))) {
                return Outcome.fail(CONFLICT);
            }
            if (cur.registrations().size() >= MAX_REGISTRATIONS) {
                return Outcome.fail(NO_REGISTRATION_RESOURCES);
            }
            return Outcome.of(cur.put(Registration.of(q.nexus, q.allTargetPorts(), q.saKey)).bumped()
                    .withAptpl(q.aptpl()));
        }
        if (!ignoreKey && q.key != r.key()) {
            return Outcome.fail(CONFLICT);
        }
        if (q.saKey != 0) {
            return Outcome.of(cur.put(r.withKey(q.saKey)).bumped().withAptpl(q.aptpl()));
        }
        PrState next = cur.remove(r).bumped();
        List<Attention> uas = new ArrayList<>();
        // SPC-4 5.9.11.2: a registrants-only holder leaving releases the reservation, and the others are told.
        if (cur.isHolder(r) && cur.type().registrantsAccess && !cur.type().allRegistrants) {
            for (Registration o : next.registrations()) {
                uas.add(new Attention(o, RESERVATIONS_RELEASED));
            }
        }
        return Outcome.of(next, uas);
    }

    private static Outcome reserve(final PrState cur, final Request q) {
        Registration r = cur.find(q.nexus);
        if (r == null || q.key != r.key()) {
            return Outcome.fail(CONFLICT);
        }
        ScsiResult bad = checkScopeAndType(q);
        if (bad != null) {
            return Outcome.fail(bad);
        }
        ReservationType type = ReservationType.fromCode(q.typeCode);
        if (cur.reserved()) {
            return cur.isHolder(r) && cur.type() == type ? Outcome.of(cur) : Outcome.fail(CONFLICT);
        }
        return Outcome.of(cur.withReservation(type, r));
    }

    private static ScsiResult checkScopeAndType(final Request q) {
        if (q.scope != 0) {
            return ScsiResult.checkCondition(Sense.invalidFieldInCdb(2, 7));
        }
        if (ReservationType.fromCode(q.typeCode) == null) {
            return ScsiResult.checkCondition(Sense.invalidFieldInCdb(2, 3));
        }
        return null;
    }

    private static Outcome release(final PrState cur, final Request q) {
        Registration r = cur.find(q.nexus);
        if (r == null || q.key != r.key()) {
            return Outcome.fail(CONFLICT);
        }
        if (!cur.isHolder(r)) {
            return Outcome.of(cur);
        }
        if (q.scope != 0 || q.typeCode != cur.type().code) {
            return Outcome.fail(INVALID_RELEASE);
        }
        List<Attention> uas = new ArrayList<>();
        if (cur.type().registrantsAccess) {
            for (Registration o : cur.registrations()) {
                tellOthers(uas, o, r, q.nexus, RESERVATIONS_RELEASED);
            }
        }
        return Outcome.of(cur.withReservation(null, null), uas);
    }

    private static Outcome clear(final PrState cur, final Request q) {
        Registration r = cur.find(q.nexus);
        if (r == null || q.key != r.key()) {
            return Outcome.fail(CONFLICT);
        }
        List<Attention> uas = new ArrayList<>();
        for (Registration o : cur.registrations()) {
            tellOthers(uas, o, r, q.nexus, RESERVATIONS_PREEMPTED);
        }
        return Outcome.of(new PrState(cur.generation() + 1, cur.aptpl(), List.of(), null, null), uas);
    }

    private static Outcome preempt(final PrState cur, final Request q) {
        Registration r = cur.find(q.nexus);
        if (r == null || q.key != r.key()) {
            return Outcome.fail(CONFLICT);
        }
        boolean takeOver = cur.reserved()
                && (cur.type().allRegistrants ? q.saKey == 0 : q.saKey == cur.holder().key());
        if (!takeOver) {
            // SPC-4 5.9.11.4.2/4: only registrations are removed; the reservation stays.
            if (q.saKey == 0) {
                return Outcome.fail(ScsiResult.checkCondition(Sense.invalidFieldInParameterList(8, -1)));
            }
            PrState next = cur;
            List<Attention> uas = new ArrayList<>();
            for (Registration o : cur.registrations()) {
                if (o.key() == q.saKey) {
                    next = next.remove(o);
                    tellOthers(uas, o, r, q.nexus, REGISTRATIONS_PREEMPTED);
                }
            }
            if (next == cur) {
                return Outcome.fail(CONFLICT);
            }
            return Outcome.of(next.bumped(), uas);
        }
        ScsiResult bad = checkScopeAndType(q);
        if (bad != null) {
            return Outcome.fail(bad);
        }
        ReservationType type = ReservationType.fromCode(q.typeCode);
        // SPC-4 5.9.11.4.3: every registration named by SARK (all others for all-registrants with SARK 0)
        // except the preempting one goes, and the preempting nexus holds a reservation of the new type.
        List<Registration> kept = new ArrayList<>();
        List<Attention> uas = new ArrayList<>();
        for (Registration o : cur.registrations()) {
            boolean named = cur.type().allRegistrants || o.key() == q.saKey;
            if (named && !PrState.sameRegistrant(o, r)) {
                uas.add(new Attention(o, REGISTRATIONS_PREEMPTED));
            } else {
                kept.add(o);
            }
        }
        if (type != cur.type()) {
            for (Registration o : kept) {
                tellOthers(uas, o, r, q.nexus, RESERVATIONS_RELEASED);
            }
        }
        PrState next = cur.withRegistrations(kept).withReservation(type, r).bumped();
        return Outcome.of(next, uas);
    }

    private Outcome registerAndMove(final PrState cur, final Request q, final ByteBuffer p) {
        Registration r = cur.find(q.nexus);
        if (r == null || q.key != r.key()) {
            return Outcome.fail(CONFLICT);
        }
        if (!cur.isHolder(r) || cur.type().allRegistrants) {
            return Outcome.fail(CONFLICT);
        }
        ScsiResult bad = checkScopeAndType(q);
        if (bad != null) {
            return Outcome.fail(bad);
        }
        if (q.saKey == 0) {
            return Outcome.fail(ScsiResult.checkCondition(Sense.invalidFieldInParameterList(8, -1)));
        }
        long idLength = Integer.toUnsignedLong(p.getInt(20));
        if (idLength > p.remaining() - BASIC_PARAMETER_LENGTH) {
            return Outcome.fail(LENGTH_ERROR);
        }
        ItNexus dest = parseTransportId(p.slice(BASIC_PARAMETER_LENGTH, (int) idLength), q.nexus.targetName(),
                Short.toUnsignedInt(p.getShort(18)));
        if (dest == null || !validNexus(dest)) {
            return Outcome.fail(ScsiResult.checkCondition(Sense.invalidFieldInParameterList(24, -1)));
        }
        // The target has one port here (its portal group): a reservation moved to any other could never be used.
        if (dest.portalGroupTag() != q.nexus.portalGroupTag()) {
            return Outcome.fail(ScsiResult.checkCondition(Sense.invalidFieldInParameterList(18, -1)));
        }
        if (r.matches(dest)) {
            return Outcome.fail(ScsiResult.checkCondition(Sense.invalidFieldInParameterList(24, -1)));
        }
        Registration existing = cur.find(dest);
        if (existing == null && cur.registrations().size() >= MAX_REGISTRATIONS) {
            return Outcome.fail(NO_REGISTRATION_RESOURCES);
        }
        Registration moved = existing == null ? Registration.of(dest, false, q.saKey) : existing.withKey(q.saKey);
        PrState next = cur.put(moved).withReservation(ReservationType.fromCode(q.typeCode), moved);
        if ((q.moveFlags & 0x02) != 0) {
            next = next.remove(r);
        }
        return Outcome.of(next.bumped().withAptpl((q.moveFlags & 0x01) != 0));
    }

    /** The initiator port of an iSCSI TransportID of format 01b, or {@code null} when it is not one. */
    static ItNexus parseTransportId(final ByteBuffer id, final String targetName, final int portalGroupTag) {
        if (id.remaining() < 4 || (id.get(0) & 0xff) != 0x45) {
            return null;
        }
        int length = Short.toUnsignedInt(id.getShort(2));
        if (length < 4 || length + 4 > id.remaining()) {
            return null;
        }
        byte[] raw = new byte[length];
        id.get(4, raw);
        int end = 0;
        while (end < raw.length && raw[end] != 0) {
            end++;
        }
        if (end == raw.length) {
            return null;
        }
        String port = new String(raw, 0, end, StandardCharsets.UTF_8);
        int sep = port.toLowerCase(Locale.ROOT).lastIndexOf(",i,0x");
        if (sep <= 0) {
            return null;
        }
        String isid = port.substring(sep + 5);
        if (!ISID.matcher(isid).matches()) {
            return null;
        }
        return new ItNexus(port.substring(0, sep), isid.toLowerCase(Locale.ROOT), targetName, portalGroupTag);
    }

    // ---------------------------------------------------------------- SPC-2 RESERVE / RELEASE

    @Override
    public ScsiResult reserve(final ItNexus nexus, final byte[] cdb) {
        if (cdb == null || cdb.length < 6) {
            return ScsiResult.checkCondition(Sense.invalidFieldInCdb(0, -1));
        }
        int op = cdb[0] & 0xff;
        // Third-party and extent reservations are not supported (3RDPTY, RESERVE(10) LONGID, EXTENT).
        int unsupported = op == RESERVE_10 ? 0x13 : 0x11;
        if ((cdb[1] & unsupported) != 0) {
            return ScsiResult.checkCondition(Sense.invalidFieldInCdb(1, 31 - Integer.numberOfLeadingZeros(
                    cdb[1] & unsupported)));
        }
        synchronized (lock) {
            if (!state.registrations().isEmpty()) {
                return CONFLICT;
            }
            ItNexus holder = spc2Holder;
            if (holder != null && !holder.equals(nexus)) {
                return CONFLICT;
            }
            spc2Holder = nexus;
            return ScsiResult.good();
        }
    }

    @Override
    public ScsiResult release(final ItNexus nexus, final byte[] cdb) {
        synchronized (lock) {
            if (!state.registrations().isEmpty()) {
                return CONFLICT;
            }
            if (nexus != null && nexus.equals(spc2Holder)) {
                spc2Holder = null;
            }
            return ScsiResult.good();
        }
    }

    @Override
    public void logicalUnitReset() {
        synchronized (lock) {
            spc2Holder = null;
        }
    }

    @Override
    public void nexusLost(final ItNexus nexus) {
        synchronized (lock) {
            if (nexus != null && nexus.equals(spc2Holder)) {
                spc2Holder = null;
            }
        }
    }

    // ---------------------------------------------------------------- conflicts

    @Override
    public boolean conflicts(final ItNexus nexus, final byte[] cdb) {
        if (cdb == null || cdb.length == 0) {
            return false;
        }
        int op = cdb[0] & 0xff;
        ItNexus spc2 = spc2Holder;
        if (spc2 != null) {
            if (op == PR_IN || op == PR_OUT) {
                return true;
            }
            if (spc2.equals(nexus)) {
                return false;
            }
            return !(op == 0x12 || op == 0xA0 || op == 0x03 || op == RELEASE_6 || op == RELEASE_10);
        }
        PrState s = state;
        if (s.registrations().isEmpty()) {
            return false;
        }
        if (op == RESERVE_6 || op == RESERVE_10 || op == RELEASE_6 || op == RELEASE_10) {
            return true; // SPC-4 5.9.3: RESERVE and RELEASE conflict while any registration exists
        }
        if (!s.reserved()) {
            return false;
        }
        Registration r = nexus == null ? null : s.find(nexus);
        if (s.isHolder(r)) {
            return false;
        }
        return switch (CommandClass.of(cdb)) {
            case ALLOWED -> false;
            case READ -> !s.type().writeExclusive && !(s.type().registrantsAccess && r != null);
            case WRITE -> !(s.type().registrantsAccess && r != null);
        };
    }
}
